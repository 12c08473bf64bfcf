"""A fake Docker Engine on a unix socket and a fake report service on 127.0.0.1, for lumogon's tests.

Both are real servers in daemon threads, used as context managers. Each has behaviours for the
pathological peers lumogon must survive: `huge` (an answer over any cap), `malformed` (not the
JSON expected), `slow` (headers, then one byte at a time, never finishing in time), `http500`.
A slow handler waits on the server's `stopping` event, so closing the server ends it at once.
`deep-error` answers an error nested 100 000 deep; `raw` sends the bytes in `raw` as they are
(status line, headers and all), for the fuzz tests (tests/lumogon/test_fuzz_answers.py).
"""

from __future__ import annotations

import json
import shutil
import socketserver
import tempfile
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType

ENGINE_BEHAVIOURS = (
    "ok", "huge", "malformed", "wrong-shape", "slow", "http500", "garbage", "deep-error", "raw",
)  # fmt: skip
SERVICE_BEHAVIOURS = ("ok", "token", "http500", "garbage", "no-url", "slow", "huge", "raw")
REPORT_URL = "https://reports.example/r/8f3a2c"
SLOW_BYTE_INTERVAL = 0.2  # seconds between the bytes of a slow answer


def containers(count: int) -> list[dict[str, object]]:
    """`count` running containers, as GET /containers/json lists them."""
    return [
        {
            "Id": f"{i:064x}",
            "Names": [f"/web-{i}"],
            "Image": "nginx:1.27",
            "ImageID": "sha256:" + "ab" * 32,
            "Command": "nginx -g 'daemon off;'",
            "Created": 1764590400 + i,
            "State": "running",
            "Status": "Up 5 minutes",
            "Labels": {"com.example.team": "edge"},
        }
        for i in range(count)
    ]


VERSION = {"Version": "27.3.1", "ApiVersion": "1.47", "Os": "linux", "Arch": "amd64"}


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Serving

    def log_message(self, format: str, *args: object) -> None:
        pass

    def address_string(self) -> str:
        return "peer"

    def reply(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def slowly(self, body: bytes) -> None:
        """Headers now, then the body one byte at a time until the server stops."""
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        for byte in body:
            if self.server.stopping.wait(SLOW_BYTE_INTERVAL):
                return
            self.wfile.write(bytes([byte]))
            self.wfile.flush()

    def endless(self, status: int = 200) -> None:
        """A body that is far larger than any cap, without a length (chunked)."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        block = b"[" + b'{"Id":"x"},' * 6000
        for _ in range(20_000):  # at most ~1.3 GB; the client hangs up long before
            if self.server.stopping.is_set():
                return
            self.wfile.write(f"{len(block):x}\r\n".encode() + block + b"\r\n")


class _Serving:
    stopping: threading.Event
    behaviour: str


class _UnixServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up on a huge or slow answer: expected


class _TcpServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up on a huge or slow answer: expected


def _serving(server: _UnixServer | _TcpServer) -> threading.Thread:
    """The thread that will serve `server` (started by the fake's `__enter__`)."""
    server.stopping = threading.Event()  # type: ignore[union-attr]
    return threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )


def _stop(server: _UnixServer | _TcpServer, thread: threading.Thread) -> None:
    """Wake every handler still answering slowly or endlessly, then close the server."""
    server.stopping.set()  # type: ignore[union-attr]
    server.shutdown()
    server.server_close()
    thread.join(5)


class _EngineHandler(_Quiet):
    server: FakeEngine._Server  # type: ignore[assignment]

    def do_GET(self) -> None:
        engine = self.server.engine
        engine.requests.append(self.path)
        engine.accepts.append(self.headers.get("Accept", ""))
        behaviour = engine.behaviour
        if self.path == "/version" and engine.version_raw:
            self.wfile.write(engine.version_raw)
            self.close_connection = True
        elif self.path == "/version":
            self.reply(200, json.dumps(VERSION).encode())
        elif self.path != "/containers/json":
            self.reply(404, b'{"message":"page not found"}')
        elif behaviour == "ok":
            self.reply(200, engine.listing)
        elif behaviour == "huge":
            self.endless()
        elif behaviour == "malformed":
            self.reply(200, b'[{"Id": "abc", "Names": ["/x"]')
        elif behaviour == "wrong-shape":
            self.reply(200, b'[{"Id": "abc", "Created": "yesterday"}]')
        elif behaviour == "slow":
            self.slowly(engine.listing)
        elif behaviour == "http500":
            self.reply(500, b'{"message":"Cannot connect to containerd\\u001b[31m"}')
        elif behaviour == "deep-error":
            self.reply(500, b'{"message": ' + b"[" * 100_000 + b"]" * 100_000 + b"}")
        elif behaviour == "raw":
            self.wfile.write(engine.raw)
            self.close_connection = True  # then the answer ends, whatever its length said
        else:  # garbage: not HTTP at all
            self.wfile.write(b"\x00\xffnot http\r\n\r\n")


class FakeEngine:
    """A Docker Engine on a unix socket in a short temporary directory (`path`, `host`)."""

    class _Server(_UnixServer):
        engine: FakeEngine
        stopping: threading.Event

    def __init__(self, count: int = 3, behaviour: str = "ok") -> None:
        if behaviour not in ENGINE_BEHAVIOURS:
            raise ValueError(behaviour)
        self.behaviour = behaviour
        self.listing = json.dumps(containers(count)).encode()
        self.raw = b""  # what `raw` answers GET /containers/json with, byte for byte
        self.version_raw = b""  # what GET /version is answered with, byte for byte, if set
        self.requests: list[str] = []
        self.accepts: list[str] = []  # each request's Accept header
        # A unix socket path is limited to about 100 bytes: not under pytest's deep tmp_path.
        self._dir = Path(tempfile.mkdtemp(prefix="lgd"))
        self.path = str(self._dir / "docker.sock")
        self.host = f"unix://{self.path}"
        self._server = FakeEngine._Server(self.path, _EngineHandler)
        self._server.engine = self
        self._thread = _serving(self._server)

    def __enter__(self) -> FakeEngine:
        self._thread.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        _stop(self._server, self._thread)
        shutil.rmtree(self._dir, ignore_errors=True)


class _ServiceHandler(_Quiet):
    server: FakeService._Server  # type: ignore[assignment]

    def do_POST(self) -> None:
        service = self.server.service
        length = int(self.headers.get("Content-Length", "0"))
        body = self.rfile.read(length)
        service.received.append((self.path, dict(self.headers.items()), body))
        behaviour = service.behaviour
        if behaviour == "ok":
            self.reply(201, json.dumps({"url": REPORT_URL}).encode())
        elif behaviour == "token":
            self.reply(200, b'{"Token": "UuokYc0VMgA4oAZYaJRaN6O7xMqakDLsqgHGs0dBmJY="}')
        elif behaviour == "http500":
            self.reply(500, b'{"message": "the store is full"}')
        elif behaviour == "garbage":
            self.wfile.write(b"\x00\xffnot http\r\n\r\n")
        elif behaviour == "no-url":
            self.reply(200, b'{"url": "javascript:alert(1)\\u001b[2J"}')
        elif behaviour == "slow":
            self.slowly(json.dumps({"url": REPORT_URL}).encode())
        elif behaviour == "raw":
            self.wfile.write(service.raw)
            self.close_connection = True  # then the answer ends, whatever its length said
        else:  # huge
            self.endless()


class FakeService:
    """A report service on 127.0.0.1 (`url`); `received` holds (path, headers, body) per POST."""

    class _Server(_TcpServer):
        service: FakeService
        stopping: threading.Event

    def __init__(self, behaviour: str = "ok") -> None:
        if behaviour not in SERVICE_BEHAVIOURS:
            raise ValueError(behaviour)
        self.behaviour = behaviour
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        self.raw = b""  # what `raw` answers with, byte for byte
        self._server = FakeService._Server(("127.0.0.1", 0), _ServiceHandler)
        self._server.service = self
        self.url = f"http://127.0.0.1:{self._server.server_port}/api/v1"
        self._thread = _serving(self._server)

    def __enter__(self) -> FakeService:
        self._thread.start()
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        _stop(self._server, self._thread)


def engine_env(engine: FakeEngine) -> dict[str, str]:
    return {"DOCKER_HOST": engine.host}
