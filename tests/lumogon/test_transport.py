"""lumogon/transport.py: one bounded exchange over a real socket, to the byte; a failure in
words; JSON read with its nesting bounded before the parser sees it."""

from __future__ import annotations

import contextlib
import errno
import gc
import http.client
import json
import os
import shutil
import socket
import tempfile
import threading
import time
from collections.abc import Iterator

import pytest
from lumogon.errors import ExchangeError
from lumogon.transport import MAX_DEPTH, UnixConnection, describe, exchange, parse_json

from tests.lumogon.fakes import FakeService


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (FileNotFoundError(errno.ENOENT, "No such file or directory"), "no such socket"),
        (PermissionError(errno.EACCES, "Permission denied"), "permission denied"),
        (
            ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"),
            "connection refused (nothing listens there)",
        ),
        (TimeoutError("timed out"), "timed out"),
        (
            socket.gaierror(socket.EAI_NONAME, "Name or service not known"),
            "the name cannot be resolved (Name or service not known)",
        ),
        (socket.gaierror("no name"), "the name cannot be resolved (no name)"),
        (
            http.client.RemoteDisconnected("Remote end closed connection"),
            "the connection was closed without an answer",
        ),
        (http.client.BadStatusLine("\x00\xff"), "the answer is not valid HTTP (BadStatusLine)"),
        (OSError(errno.EHOSTUNREACH, "No route to host"), "no route to host"),
        (OSError("no errno"), "OSError: no errno"),
        (ValueError("odd"), "ValueError: odd"),
    ],
)
def test_a_failure_in_words(exc: BaseException, words: str) -> None:
    assert describe(exc) == words


def test_nesting_is_bounded_to_the_level() -> None:
    nested: object = []
    for _ in range(MAX_DEPTH - 1):
        nested = [nested]
    assert parse_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) == nested
    deep = b'{"a": ' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1)
    with pytest.raises(ValueError) as refused:
        parse_json(deep)
    assert str(refused.value) == f"JSON nested deeper than {MAX_DEPTH} levels (or unbalanced)"
    assert MAX_DEPTH == 16  # as docs/security.md's inventory states it
    assert parse_json(deep, max_depth=MAX_DEPTH + 1) is not None
    with pytest.raises(ValueError, match="nested deeper than 2 levels"):
        parse_json(b"[[[]]]", max_depth=2)
    # Brackets inside strings are text, escaped quotes included; only the structure counts.
    text = '"[{\\' * 40 + "]}"
    assert parse_json(json.dumps([text]).encode()) == [text]
    assert parse_json(b'{"[[[[": "]]]]]]]]]]]]]]]]]]]]"}') == {"[[[[": "]" * 20}
    # Many brackets, shallow: not refused.
    assert parse_json(b"[" + b"[]," * 40 + b"[]]") == [[]] * 41


def test_unbalanced_brackets_are_not_json() -> None:
    for body in (b"[" * (MAX_DEPTH + 4), b"]" * (MAX_DEPTH + 4), b"[[]" * 10):
        with pytest.raises(ValueError):
            parse_json(body)


def http_answer(body: bytes, length: int | None) -> bytes:
    head = b"HTTP/1.1 200 Fine\r\nConnection: close\r\n"
    if length is not None:
        head += b"Content-Length: " + str(length).encode() + b"\r\n"
    return head + b"\r\n" + body


@pytest.fixture
def service() -> Iterator[FakeService]:
    with FakeService(behaviour="raw") as fake:
        yield fake


def ask(service: FakeService, max_bytes: int, **kwargs: object) -> object:
    host, port = service.url.split("//")[1].split("/")[0].split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    return exchange(conn, "POST", "/api/v1", body=b"{}", deadline=10, max_bytes=max_bytes, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize("length", [None, 64])
def test_an_answer_of_max_bytes_is_read_one_more_is_refused(
    service: FakeService, length: int | None
) -> None:
    service.raw = http_answer(b"x" * 64, length)
    answer = ask(service, 64)
    assert (answer.status, answer.reason, answer.body) == (200, "Fine", b"x" * 64)  # type: ignore[attr-defined]
    service.raw = http_answer(b"x" * 65, None if length is None else 65)
    with pytest.raises(ExchangeError) as caught:
        ask(service, 64)
    assert caught.value.message == "the answer is larger than 0 KiB, more than expected"
    service.raw = http_answer(b"x" * 3000, None)
    with pytest.raises(ExchangeError, match="larger than 2 KiB, more than expected"):
        ask(service, 2048)


def test_a_length_beyond_the_cap_is_refused_before_the_body(service: FakeService) -> None:
    service.raw = http_answer(b"x" * 10, 99_999)  # the body never comes: refused on the header
    with pytest.raises(ExchangeError, match="larger than 1 KiB"):
        ask(service, 1024)


def test_the_headers_given_are_sent(service: FakeService) -> None:
    service.raw = http_answer(b"{}", 2)
    ask(service, 64, headers={"X-Report": "1"})
    assert service.received[-1][1]["X-Report"] == "1"
    ask(service, 64)
    assert "X-Report" not in service.received[-1][1]


def test_a_failed_exchange_names_its_cause(service: FakeService) -> None:
    service.raw = b"\x00\xffnot http\r\n\r\n"
    with pytest.raises(ExchangeError) as caught:
        ask(service, 64)
    assert caught.value.message == "the answer is not valid HTTP (BadStatusLine)"
    assert isinstance(caught.value.__cause__, http.client.BadStatusLine)


@pytest.fixture
def mute_socket() -> Iterator[str]:
    """A unix socket that accepts and never answers."""
    where = tempfile.mkdtemp(prefix="lgt")  # short: a unix socket path has ~100 bytes
    path = os.path.join(where, "s.sock")
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(1)
    try:
        yield path
    finally:
        server.close()
        shutil.rmtree(where, ignore_errors=True)


def test_each_socket_operation_has_its_timeout(mute_socket: str) -> None:
    """The connection's own timeout ends a silent peer before the exchange's deadline."""
    with pytest.raises(ExchangeError) as caught:
        exchange(UnixConnection(mute_socket, timeout=0.05), "GET", "/", deadline=30, max_bytes=9)
    assert caught.value.message == "timed out"
    # The deadline shuts the socket down: a blocked receive wakes then, not when it times out.
    start = time.monotonic()
    with pytest.raises(ExchangeError) as late:
        exchange(UnixConnection(mute_socket, timeout=30), "GET", "/", deadline=0.05, max_bytes=9)
    assert late.value.message == "no complete answer within 0.05 s"
    assert time.monotonic() - start < 15  # half the socket's own timeout
    # And no timer is left waiting: each exchange's is cancelled when it ends.
    for timer in [t for t in threading.enumerate() if isinstance(t, threading.Timer)]:
        timer.join(5)
        assert not timer.is_alive()


class _LateConnection(UnixConnection):
    """Connects only once the exchange's deadline has passed (its timer has run)."""

    def connect(self) -> None:
        for timer in [t for t in threading.enumerate() if isinstance(t, threading.Timer)]:
            timer.join(5)
        super().connect()


def test_a_deadline_before_the_connection_is_no_error_in_its_timer(
    mute_socket: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    raised: list[object] = []
    monkeypatch.setattr(threading, "excepthook", raised.append)
    with pytest.raises(ExchangeError) as late:
        exchange(_LateConnection(mute_socket, 0.05), "GET", "/", deadline=0.01, max_bytes=9)
    assert late.value.message == "no complete answer within 0.01 s"
    assert raised == []


class _Peer:
    """A unix socket peer that reads each request's head and answers `answer`."""

    def __init__(self, answer: bytes) -> None:
        self.where = tempfile.mkdtemp(prefix="lgp")
        self.path = os.path.join(self.where, "s.sock")
        self.answer, self.heads = answer, list[bytes]()
        self.closed = threading.Semaphore(0)  # released as each connection is closed here
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(self.path)
        self.server.listen(4)
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = self.server.accept()
                with conn:
                    head = b""
                    while b"\r\n\r\n" not in head and len(head) < 65536:
                        head += conn.recv(4096) or b"\r\n\r\n"
                    self.heads.append(head)
                    conn.sendall(self.answer)
                self.closed.release()

    def close(self) -> None:
        self.server.shutdown(socket.SHUT_RDWR)
        self.server.close()
        self.thread.join(5)
        shutil.rmtree(self.where, ignore_errors=True)


def test_the_request_on_the_unix_socket() -> None:
    peer = _Peer(http_answer(b"{}", 2))
    try:
        answer = exchange(
            UnixConnection(peer.path), "GET", "/version", headers={"Accept": "x/y"},
            deadline=5, max_bytes=9,
        )  # fmt: skip
    finally:
        peer.close()
    assert answer.body == b"{}"
    assert peer.heads[0].startswith(b"GET /version HTTP/1.1\r\nHost: localhost\r\n")
    assert b"\r\nAccept: x/y\r\n" in peer.heads[0]


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_no_descriptor_is_left_open() -> None:
    """Answered or refused, each exchange closes its socket (kept alive by the peer, too)."""
    peer = _Peer(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}")
    try:
        exchange(UnixConnection(peer.path), "GET", "/", deadline=5, max_bytes=9)
        assert peer.closed.acquire(timeout=5)  # the peer's end too: counted in this process
        gc.collect()  # what earlier tests left for the collector closes now, not in the count
        before = len(os.listdir("/proc/self/fd"))
        kept: list[object] = []  # as a caller keeps the errors it reports (their causes hold
        # the frames) and its connection
        for _ in range(3):
            conn = UnixConnection(peer.path)
            kept.append(conn)  # the caller's connection is closed, whoever still holds it
            exchange(conn, "GET", "/", deadline=5, max_bytes=9)
            assert peer.closed.acquire(timeout=5)
            with pytest.raises(ExchangeError) as caught:
                exchange(UnixConnection(peer.path + ".none"), "GET", "/", deadline=5, max_bytes=9)
            kept.append(caught.value)
        # Not one more. (One fewer is another test's leftover closed meanwhile: the suite runs
        # many tests in this process.)
        assert len(os.listdir("/proc/self/fd")) <= before
    finally:
        peer.close()


def test_no_socket_is_a_clear_error() -> None:
    with pytest.raises(ExchangeError) as caught:
        exchange(UnixConnection("/nonexistent/s.sock"), "GET", "/", deadline=5, max_bytes=9)
    assert caught.value.message == "no such socket"
