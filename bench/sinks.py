"""Three loopback endpoints for the benchmark: ok, blackhole and refused.

Stdlib only, one thread per connection, every wait bounded. The sinks stop by themselves once
their lifetime has passed, even if nobody calls ``close()``; they never listen beyond 127.0.0.1.

- ok:        answers every request with ``200`` and a tiny JSON body at once, and counts it.
- blackhole: accepts connections and reads what arrives, but never answers (counts connections
             and the requests that arrived on them).
- refused:   a socket bound to a port but not listening, so a connect gets RST (ECONNREFUSED)
             at once, and the port cannot be taken by anyone else meanwhile.

Run ``python bench/sinks.py`` to try them by hand for a few seconds.
"""

from __future__ import annotations

import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from types import TracebackType

HOST = "127.0.0.1"
# Bounds on everything a client can make a sink do.
MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 1024 * 1024
READ_TIMEOUT_S = 5.0  # the ok sink gives up on a client that stops sending mid-request
BLACKHOLE_CONN_MAX_S = 120.0  # a blackhole connection is dropped after this, whatever happens
ACCEPT_POLL_S = 0.1  # how often the accept loops look at the stop flag and the deadline
OK_RESPONSE = (
    b"HTTP/1.1 200 OK\r\n"
    b"Content-Type: application/json\r\n"
    b"Content-Length: 2\r\n"
    b"Connection: close\r\n"
    b"\r\n"
    b"{}"
)


@dataclass
class SinkStats:
    """What a sink saw; a snapshot is a plain copy, safe to keep."""

    connections: int = 0  # TCP connections accepted
    requests: int = 0  # HTTP requests whose header block arrived
    open_connections: int = 0  # connections not yet closed (a blackhole's pending clients)
    paths: Counter[str] = field(default_factory=Counter)  # "POST /batch/" -> count

    def copy(self) -> SinkStats:
        return SinkStats(
            self.connections, self.requests, self.open_connections, Counter(self.paths)
        )


class _Sink:
    """A listening socket, an accept thread and per-connection threads, all bounded in time."""

    kind = "sink"

    def __init__(self, lifetime_s: float) -> None:
        self._deadline = time.monotonic() + lifetime_s
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._stats = SinkStats()
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((HOST, 0))
        self.port: int = self._sock.getsockname()[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        self._sock.listen(128)
        self._sock.settimeout(ACCEPT_POLL_S)
        self._thread = threading.Thread(target=self._accept_loop, name=self.kind, daemon=True)
        self._thread.start()

    def _alive(self) -> bool:
        return not self._stop.is_set() and time.monotonic() < self._deadline

    def _accept_loop(self) -> None:
        while self._alive():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                break  # socket closed by close()
            with self._lock:
                self._stats.connections += 1
                self._stats.open_connections += 1
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()
        self._sock.close()

    def _serve(self, conn: socket.socket) -> None:
        try:
            with conn:
                self.handle(conn)
        except OSError:
            pass  # a client that resets or vanishes is normal here
        finally:
            with self._lock:
                self._stats.open_connections -= 1

    def handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def _count_request(self, head: bytes) -> None:
        line = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")
        parts = line.split(" ")
        key = " ".join(parts[:2]).split("?", 1)[0] if len(parts) >= 2 else line[:60]
        with self._lock:
            self._stats.requests += 1
            self._stats.paths[key] += 1

    def stats(self) -> SinkStats:
        with self._lock:
            return self._stats.copy()

    def wait_idle(self, timeout_s: float) -> bool:
        """Wait (bounded) until no connection is open, so counts are final for a run."""
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            if self.stats().open_connections == 0:
                return True
            time.sleep(0.005)
        return self.stats().open_connections == 0

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2 * ACCEPT_POLL_S + 1)


def _read_head(conn: socket.socket, deadline: float) -> tuple[bytes, bytes] | None:
    """Read up to the end of the header block; return (head, body bytes already read)."""
    buf = b""
    while b"\r\n\r\n" not in buf:
        if len(buf) > MAX_HEADER_BYTES or time.monotonic() > deadline:
            return None
        conn.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = conn.recv(65536)
        if not chunk:
            return None
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    return head, rest


def _header(head: bytes, name: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        key, sep, value = line.partition(b":")
        if sep and key.strip().lower() == name:
            return value.strip()
    return None


class OkSink(_Sink):
    """Answers 200 at once to every complete request, one request per connection."""

    kind = "ok"

    def handle(self, conn: socket.socket) -> None:
        deadline = time.monotonic() + READ_TIMEOUT_S
        got = _read_head(conn, deadline)
        if got is None:
            return
        head, body = got
        if (_header(head, b"expect") or b"").lower() == b"100-continue":
            conn.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        chunked = (_header(head, b"transfer-encoding") or b"").lower() == b"chunked"
        length = min(int(_header(head, b"content-length") or b"0"), MAX_BODY_BYTES)
        # Read the whole body before answering: a hit counts once it has fully arrived.
        while (b"0\r\n\r\n" not in body) if chunked else (len(body) < length):
            if len(body) > MAX_BODY_BYTES or time.monotonic() > deadline:
                return
            conn.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = conn.recv(65536)
            if not chunk:
                return
            body += chunk
        self._count_request(head)
        conn.sendall(OK_RESPONSE)


class BlackholeSink(_Sink):
    """Accepts and reads, never answers; drops a connection when the client closes it."""

    kind = "blackhole"

    def handle(self, conn: socket.socket) -> None:
        end = min(time.monotonic() + BLACKHOLE_CONN_MAX_S, self._deadline)
        buf = b""
        counted = False
        conn.settimeout(ACCEPT_POLL_S)
        while self._alive() and time.monotonic() < end:
            try:
                chunk = conn.recv(65536)
            except TimeoutError:
                continue
            if not chunk:
                return  # the client gave up
            if not counted:
                buf = (buf + chunk)[:MAX_HEADER_BYTES]
                if b"\r\n\r\n" in buf:
                    self._count_request(buf)
                    counted = True


class RefusedSink:
    """A bound, non-listening port: connecting fails at once with 'connection refused'."""

    kind = "refused"

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.bind((HOST, 0))
        self.port: int = self._sock.getsockname()[1]

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def start(self) -> None:
        pass

    def stats(self) -> SinkStats:
        return SinkStats()

    def wait_idle(self, timeout_s: float) -> bool:
        return True

    def close(self) -> None:
        self._sock.close()


class Sinks:
    """The three endpoints together; a context manager that always closes them."""

    def __init__(self, lifetime_s: float = 3600.0) -> None:
        self.ok = OkSink(lifetime_s)
        self.blackhole = BlackholeSink(lifetime_s)
        self.refused = RefusedSink()

    def by_name(self, name: str) -> OkSink | BlackholeSink | RefusedSink:
        if name == "ok":
            return self.ok
        if name == "blackhole":
            return self.blackhole
        if name == "refused":
            return self.refused
        raise KeyError(name)

    def __enter__(self) -> Sinks:
        for sink in (self.ok, self.blackhole, self.refused):
            sink.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for sink in (self.ok, self.blackhole, self.refused):
            sink.close()


def _demo(seconds: float = 10.0) -> None:
    with Sinks(lifetime_s=seconds + 1) as sinks:
        for name in ("ok", "blackhole", "refused"):
            print(f"{name:9} {sinks.by_name(name).url}")
        print(f"(stopping by itself in {seconds:.0f} s)")
        time.sleep(seconds)
        print("ok:", sinks.ok.stats(), "blackhole:", sinks.blackhole.stats())


if __name__ == "__main__":
    _demo()
