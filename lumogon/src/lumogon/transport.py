"""One bounded HTTP exchange (http.client, stdlib only), for the Docker Engine and the report service.

Bounded three ways, so that a stuck or hostile peer cannot hold a lumogon command: every socket
operation has a timeout, the whole exchange has a deadline (a timer shuts the socket down, which
also ends a peer that answers one byte at a time), and an answer larger than `max_bytes` is
refused as soon as it is seen to be.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import threading
from dataclasses import dataclass

from lumogon.errors import ExchangeError

# How long one socket operation may wait; the exchange's deadline is the caller's.
OPERATION_TIMEOUT = 5.0
_CHUNK = 65536
# Nesting of arrays and objects in an answer: the Docker Engine's lists nest about six deep, the
# report service's answer one. Deeper answers are refused before the json parser sees them (it
# would give up with a RecursionError, a traceback, some hundreds of levels down).
MAX_DEPTH = 16
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


@dataclass(frozen=True, slots=True)
class Answer:
    status: int
    reason: str
    body: bytes


class UnixConnection(http.client.HTTPConnection):
    """HTTP over a unix socket at `path` (the Docker Engine's)."""

    def __init__(self, path: str, timeout: float = OPERATION_TIMEOUT) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        try:
            sock.connect(self.path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


def exchange(
    conn: http.client.HTTPConnection,
    method: str,
    target: str,
    *,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    deadline: float,
    max_bytes: int,
) -> Answer:
    """Send one request on `conn` and read the whole answer within `deadline` seconds and
    `max_bytes` bytes; raises ExchangeError (its cause is the OS or HTTP error, if any).
    Closes `conn`."""
    cut = threading.Event()

    def cut_off() -> None:
        cut.set()
        sock = conn.sock
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked send or receive

    timer = threading.Timer(deadline, cut_off)
    timer.daemon = True
    timer.start()
    try:
        try:
            conn.request(method, target, body=body, headers=headers or {})
            response = conn.getresponse()
            length = response.getheader("Content-Length", "")
            # ASCII digits only: a header is read as latin-1, where "²" is a digit int() refuses.
            if length.isascii() and length.isdigit() and int(length) > max_bytes:
                raise _too_large(max_bytes)
            chunks: list[bytes] = []
            size = 0
            while not cut.is_set():
                chunk = response.read1(_CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raise _too_large(max_bytes)
                chunks.append(chunk)
        except (OSError, http.client.HTTPException) as exc:
            if cut.is_set():
                raise _late(deadline) from exc
            raise ExchangeError(describe(exc)) from exc
        if cut.is_set():  # a shut-down socket reads as the end of the answer
            raise _late(deadline)
        return Answer(response.status, response.reason, b"".join(chunks))
    finally:
        timer.cancel()
        conn.close()


def _too_large(max_bytes: int) -> ExchangeError:
    return ExchangeError(f"the answer is larger than {max_bytes // 1024} KiB, more than expected")


def _late(deadline: float) -> ExchangeError:
    return ExchangeError(f"no complete answer within {deadline:g} s")


def describe(exc: BaseException) -> str:
    """A failed exchange in words."""
    if isinstance(exc, FileNotFoundError):
        return "no such socket"
    if isinstance(exc, PermissionError):
        return "permission denied"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused (nothing listens there)"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, socket.gaierror):
        return f"the name cannot be resolved ({exc.strerror or exc})"
    if isinstance(exc, http.client.RemoteDisconnected):
        return "the connection was closed without an answer"
    if isinstance(exc, http.client.HTTPException):
        return f"the answer is not valid HTTP ({type(exc).__name__})"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return f"{type(exc).__name__}: {exc}"


def parse_json(body: bytes, max_depth: int = MAX_DEPTH) -> object:
    """An answer's JSON, the one way lumogon reads one: raises ValueError for what is not JSON,
    and for JSON nested deeper than `max_depth` (refused before the parser sees it)."""
    if body.count(b"[") + body.count(b"{") > max_depth and _too_deep(body, max_depth):
        raise ValueError(f"JSON nested deeper than {max_depth} levels (or unbalanced)")
    return json.loads(body)


def _too_deep(body: bytes, max_depth: int) -> bool:
    """In C, in at most `max_depth` + 2 linear passes: the brackets outside strings (quotes pair
    left to right, as the parser pairs them), each as `[` or `]`; each pass drops the innermost
    pairs. Something left after `max_depth` passes is deeper, or unbalanced."""
    outside = re.sub(rb'"[^"\\]*(?:\\.[^"\\]*)*"', b"", body, flags=re.DOTALL)
    residue = outside.translate(None, _NOT_BRACKETS).replace(b"{", b"[").replace(b"}", b"]")
    for _ in range(max_depth):
        shorter = residue.replace(b"[]", b"")
        if len(shorter) == len(residue):
            break
        residue = shorter
    return bool(residue)
