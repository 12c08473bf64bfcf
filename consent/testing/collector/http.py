"""The socket side of the local collector: reading requests exactly, and each behaviour.

consent.testing.collector.server owns the lifecycle; this module holds the request handler and the shared state
(`Hub`) it reports to. Every blocking call is bounded by a socket timeout or by `Hub.stopping`.
"""

from __future__ import annotations

import contextlib
import io
import json
import socket
import socketserver
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from consent.testing.collector.hub import MAX_HOLD, Hub
from consent.testing.collector.routes import (
    GIF,
    INSPECTION_PATH,
    JSON_TYPE,
    Reply,
    Request,
    route,
    split_target,
)

BEHAVIOURS = ("ok", "blackhole", "http500", "garbage", "trickle", "endless")
GARBAGE = b"\x00\xff\xfeNOT-HTTP \x13\x37 this is not an HTTP response\r\n\r\n\x00"
MAX_BODY = 8 * 1024 * 1024  # far above every protocol limit, yet bounded
IO_TIMEOUT = 10.0  # an idle or stalled client connection is dropped after this
ENDLESS_CHUNK = b"\x00" * 8192


class _Recorder(io.BufferedReader):
    """A socket reader that keeps a copy of every byte handed out, for `raw_request`."""

    def __init__(self, raw: io.RawIOBase) -> None:
        super().__init__(raw)
        self.captured = bytearray()

    def read(self, size: int | None = -1) -> bytes:
        data = super().read(size)
        self.captured += data
        return data

    def readline(self, size: int | None = -1) -> bytes:
        data = super().readline(size)
        self.captured += data
        return data


class _BadRequest(Exception):
    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "consent-collector/1"
    timeout = IO_TIMEOUT
    server: Server

    def setup(self) -> None:
        hub = self.server.hub
        self.request.settimeout(IO_TIMEOUT)
        if hub.tls is not None:
            self.request = hub.tls.wrap_socket(
                self.request, server_side=True, do_handshake_on_connect=False
            )
        # Tracked before the handshake so that close() can interrupt a client that never speaks.
        hub.track(self.request, True)
        if hub.stopping.is_set():  # accepted while close() ran: don't wait for this client
            with contextlib.suppress(OSError):
                self.request.shutdown(socket.SHUT_RDWR)
        try:
            if isinstance(self.request, ssl.SSLSocket):
                self.request.do_handshake()
        except OSError:
            hub.track(self.request, False)
            raise
        super().setup()
        self.rfile.close()
        self.recorder = _Recorder(self.connection.makefile("rb", buffering=0))
        self.rfile = self.recorder

    def finish(self) -> None:
        self.server.hub.track(self.connection, False)
        with contextlib.suppress(OSError):  # the peer went away; nothing left to flush to
            super().finish()

    def version_string(self) -> str:
        return self.server_version  # no Python version: the reply should look like a server's

    def log_message(self, format: str, *args: object) -> None:
        pass  # Hub.record logs one line per request instead of http.server's default chatter

    def handle_expect_100(self) -> bool:
        # A blackhole never answers anything, not even "100 Continue".
        return True if self.server.hub.behaviour == "blackhole" else super().handle_expect_100()

    def handle_one_request(self) -> None:
        hub = self.server.hub
        self.recorder.captured.clear()
        try:
            self.raw_requestline = self.rfile.readline(65537)
            if not self.raw_requestline or len(self.raw_requestline) > 65536:
                self.close_connection = True
                return
            if not self.parse_request():  # it has sent its own 400 reply
                return
            body = self._read_body()
        except _BadRequest as bad:
            self.send_error(bad.status, str(bad))
            self.close_connection = True
            return
        except OSError:  # timeout, reset, or close() shutting the socket down
            self.close_connection = True
            if hub.behaviour == "blackhole":
                hub.hold()
            return
        request = Request(
            self.command,
            self.path,
            self.request_version,
            tuple(self.headers.items()),
            body,
            bytes(self.recorder.captured),
            time.time(),
        )
        try:
            self._respond(request)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _read_body(self) -> bytes:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return self._read_chunked()
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            return b""
        length_text = length_text.strip()
        if not (length_text.isascii() and length_text.isdigit()):
            raise _BadRequest(400, "invalid Content-Length")
        length = int(length_text)
        if length > MAX_BODY:
            raise _BadRequest(413, "request body too large")
        body = self.rfile.read(length)
        if len(body) < length:
            raise ConnectionAbortedError("client closed the connection inside the body")
        return body

    def _read_chunked(self) -> bytes:
        body = bytearray()
        while True:
            line = self.rfile.readline(1024)
            try:
                size = int(line.split(b";")[0].strip(), 16)
            except ValueError:
                raise _BadRequest(400, "invalid chunk size") from None
            if size == 0:
                break
            if size < 0 or len(body) + size > MAX_BODY:
                raise _BadRequest(413, "request body too large")
            data = self.rfile.read(size + 2)
            if len(data) < size + 2:
                raise ConnectionAbortedError("client closed the connection inside a chunk")
            body += data[:size]
        for _ in range(100):  # trailer lines, up to the blank line
            if self.rfile.readline(65537).strip() == b"":
                break
        return bytes(body)

    def _respond(self, request: Request) -> None:
        hub = self.server.hub
        if split_target(request.target)[0] == INSPECTION_PATH:
            # Out-of-band inspection answers in every behaviour and is not itself recorded.
            if request.method != "GET":
                self._send(Reply(405, "text/plain", b"GET only\n", (("Allow", "GET"),)))
                return
            document = [r.to_json() for r in hub.snapshot()]
            self._send(Reply(200, JSON_TYPE, json.dumps(document).encode()))
            return
        received, reply = route(request, hub.settings)
        behaviour = hub.behaviour
        statuses = {
            "ok": str(reply.status),
            "http500": "500",
            "blackhole": "no reply",
            "garbage": "garbage",
        }
        hub.record(received, statuses.get(behaviour, f"200 ({behaviour})"))
        if behaviour != "ok":
            self.close_connection = True
        if behaviour == "ok":
            self._send(reply)
        elif behaviour == "http500":
            self._send(Reply(500, "text/plain; charset=utf-8", b"Internal Server Error\n"))
        elif behaviour == "blackhole":
            hub.hold()
        elif behaviour == "garbage":
            self.wfile.write(GARBAGE)
        elif behaviour == "trickle":
            body = reply.body or GIF
            kind = reply.content_type if reply.body else "image/gif"
            self._send(Reply(200, kind, body), trickle=True)
        else:
            self._endless()

    def _send(self, reply: Reply, *, trickle: bool = False) -> None:
        self.send_response(reply.status)
        for name, value in reply.headers:
            self.send_header(name, value)
        if reply.content_type is not None:
            self.send_header("Content-Type", reply.content_type)
        if reply.status != 204:
            self.send_header("Content-Length", str(len(reply.body)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if not trickle:
            self.wfile.write(reply.body)
            return
        self.wfile.flush()
        stopping = self.server.hub.stopping
        for i in range(len(reply.body)):
            if stopping.wait(self.server.hub.trickle_interval):
                return
            self.wfile.write(reply.body[i : i + 1])
            self.wfile.flush()

    def _endless(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        chunk = b"%x\r\n%s\r\n" % (len(ENDLESS_CHUNK), ENDLESS_CHUNK)
        deadline = time.monotonic() + MAX_HOLD
        # Paced at ~800 kB/s so that a reader is kept busy without spinning a CPU.
        while time.monotonic() < deadline and not self.server.hub.stopping.wait(0.01):
            self.wfile.write(chunk)
            self.wfile.flush()


class Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # close() bounds its own joins instead of waiting forever
    # socketserver's backlog of 5 makes bursts of clients wait for a SYN retry (1 s on Linux).
    request_queue_size = 128
    hub: Hub

    def server_bind(self) -> None:
        # HTTPServer.server_bind resolves the host name (getfqdn), which can stall for seconds.
        socketserver.TCPServer.server_bind(self)
        host, port = self.server_address[:2]
        self.server_name = str(host)
        self.server_port = int(port)

    def process_request_thread(
        self, request: socket.socket | tuple[bytes, socket.socket], client_address: Any
    ) -> None:
        me = threading.current_thread()
        with self.hub.changed:
            self.hub.threads.add(me)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self.hub.changed:
                self.hub.threads.discard(me)

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a failed TLS handshake or a vanished client is not the collector's problem


class Server6(Server):
    address_family = socket.AF_INET6
