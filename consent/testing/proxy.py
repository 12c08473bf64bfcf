"""A CONNECT proxy on 127.0.0.1 for tests: it records what it is asked, and tunnels, refuses or hangs.

    with ConnectProxy(routes={"collector.test:443": collector_address}) as proxy:
        run_the_app(env={"HTTPS_PROXY": proxy.url})
        [seen] = proxy.wait_for(1, timeout=5.0)
        assert seen.line == "CONNECT collector.test:443 HTTP/1.1"

`behaviour` is `tunnel` (answer 200 and relay bytes both ways to the loopback address that
`routes` gives for the requested `host:port`; a target without a route gets 502: this proxy
never connects anywhere but loopback), `refuse` (answer `status`, 403 unless told) or `hang`
(read the request, never answer). With `credentials`, a request without the matching
`Proxy-Authorization: Basic` header gets 407. Every request head is recorded whatever the
answer. Stdlib only; every wait is bounded.
"""

from __future__ import annotations

import base64
import contextlib
import selectors
import socket
import threading
import time
from collections.abc import Mapping
from types import TracebackType

BEHAVIOURS = ("tunnel", "refuse", "hang")
MAX_HEAD = 16 * 1024
# No connection outlives this, whatever the client does.
CONNECTION_SECONDS = 30.0
POLL = 0.05
REASONS = {200: "Connection established", 403: "Forbidden", 407: "Proxy Authentication Required"}


class Seen:
    """One request as the proxy read it: its request line and headers, in order."""

    def __init__(self, line: str, headers: tuple[tuple[str, str], ...]) -> None:
        self.line = line
        self.headers = headers

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def __repr__(self) -> str:
        return f"Seen({self.line!r}, {self.headers!r})"


class ConnectProxy:
    """The proxy in daemon threads; use it as a context manager (or `start()` and `close()`)."""

    def __init__(
        self,
        *,
        behaviour: str = "tunnel",
        status: int = 403,
        routes: Mapping[str, tuple[str, int]] | None = None,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; expected one of {BEHAVIOURS}")
        for target in (routes or {}).values():
            if not target[0].startswith("127.") and target[0] not in ("::1", "localhost"):
                raise ValueError(f"routes lead to loopback addresses only, not {target[0]!r}")
        self.behaviour = behaviour
        self.status = status
        self.routes = dict(routes or {})
        self.credentials = credentials
        self._seen: list[Seen] = []
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._open: set[socket.socket] = set()
        self._listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._thread: threading.Thread | None = None
        self._port = 0

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ConnectProxy:
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self._port = int(self._listener.getsockname()[1])
        self._listener.settimeout(POLL)
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()
        return self

    def __enter__(self) -> ConnectProxy:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=1.0)
        self._listener.close()
        with self._changed:
            for sock in list(self._open):
                with contextlib.suppress(OSError):
                    sock.close()

    def seen(self) -> list[Seen]:
        with self._changed:
            return list(self._seen)

    def wait_for(self, count: int, timeout: float) -> list[Seen]:
        """The requests seen once there are `count` (or what there is when `timeout` passes)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while len(self._seen) < count and time.monotonic() < deadline:
                self._changed.wait(max(0.0, deadline - time.monotonic()))
            return list(self._seen)

    # --- the server side -----------------------------------------------------------------

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _track(self, sock: socket.socket) -> None:
        with self._changed:
            self._open.add(sock)

    def _serve(self, conn: socket.socket) -> None:
        self._track(conn)
        deadline = time.monotonic() + CONNECTION_SECONDS
        try:
            head = _read_head(conn, deadline, self._stop)
            if head is None:
                return
            seen = _parse(head)
            with self._changed:
                self._seen.append(seen)
                self._changed.notify_all()
            if self.behaviour == "hang":
                _idle(conn, deadline, self._stop)
            elif self.credentials is not None and seen.header("Proxy-Authorization") != _basic(
                *self.credentials
            ):
                _answer(conn, 407, b'Proxy-Authenticate: Basic realm="test"\r\n')
            elif self.behaviour == "refuse" or not seen.line.startswith("CONNECT "):
                _answer(conn, self.status if self.behaviour == "refuse" else 405)
            else:
                target = self.routes.get(seen.line.split(" ")[1])
                if target is None:
                    _answer(conn, 502)
                    return
                upstream = socket.create_connection(target, timeout=5.0)
                self._track(upstream)
                _answer(conn, 200)
                conn.settimeout(5.0)
                _relay(conn, upstream, deadline, self._stop)
        except OSError:
            pass  # a client that resets or vanishes is normal here
        finally:
            with self._changed:
                for sock in [s for s in self._open if s is conn or s.fileno() < 0]:
                    self._open.discard(sock)
            conn.close()


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode("ascii")


def _read_head(conn: socket.socket, deadline: float, stop: threading.Event) -> bytes | None:
    data = b""
    conn.settimeout(POLL)
    while b"\r\n\r\n" not in data:
        if len(data) > MAX_HEAD or time.monotonic() > deadline or stop.is_set():
            return None
        try:
            chunk = conn.recv(MAX_HEAD)
        except TimeoutError:
            continue
        if not chunk:
            return None
        data += chunk
    return data.partition(b"\r\n\r\n")[0]


def _parse(head: bytes) -> Seen:
    line, *rest = head.decode("latin-1").split("\r\n")
    headers = tuple((k.strip(), v.strip()) for k, _, v in (h.partition(":") for h in rest))
    return Seen(line, headers)


def _answer(conn: socket.socket, status: int, extra: bytes = b"") -> None:
    reason = REASONS.get(status, "Refused")
    body = b"" if status == 200 else b"Content-Length: 0\r\n"
    conn.sendall(f"HTTP/1.1 {status} {reason}\r\n".encode() + extra + body + b"\r\n")


def _idle(conn: socket.socket, deadline: float, stop: threading.Event) -> None:
    """Keep the connection open, reading and dropping, until the client closes it."""
    conn.settimeout(POLL)
    while time.monotonic() < deadline and not stop.is_set():
        try:
            if not conn.recv(4096):
                return
        except TimeoutError:
            continue


def _relay(a: socket.socket, b: socket.socket, deadline: float, stop: threading.Event) -> None:
    """Copy bytes both ways until either side closes."""
    with b, selectors.DefaultSelector() as sel:
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        while time.monotonic() < deadline and not stop.is_set():
            for key, _ in sel.select(POLL):
                src = key.fileobj
                assert isinstance(src, socket.socket)
                data = src.recv(65536)
                if not data:
                    return
                key.data.sendall(data)
