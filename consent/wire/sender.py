"""The detached sender: a child process that posts one request and exits.

It reads its job from stdin (never argv), writes the request bytes exactly as
given, waits at most the job's `timeout` seconds in total for the status line, records the
outcome in the local log and swallows every error. Its stdin, stdout and stderr
are devnull or a pipe, so it never holds the host's terminal or pipes open.
It also loads (or creates) the pseudonymous id and fills it into the request: the
keyring is slow to load, and here no one waits for it.
"""

from __future__ import annotations

import socket
import ssl
import sys
import time

from consent.core.names import SENDER_TIMEOUT
from consent.store.clock import utc_stamp
from consent.store.log import append
from consent.wire.job import MAX_JOB, Job


def post(host: str, port: int, tls: bool, raw: bytes, timeout: float = SENDER_TIMEOUT) -> str:
    """Send `raw` and return the outcome as a short phrase; raises on failure."""
    deadline = time.monotonic() + timeout

    def left() -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no answer within {timeout:g} s")
        return remaining

    sock = socket.create_connection((host, port), timeout=left())
    try:
        if tls:
            context = ssl.create_default_context()
            sock.settimeout(left())
            sock = context.wrap_socket(sock, server_hostname=host)
        sock.settimeout(left())
        sock.sendall(raw)
        head = b""
        while b"\r\n" not in head and len(head) < 4096:
            sock.settimeout(left())
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    finally:
        sock.close()
    status = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    parts = status.split(" ", 2)
    if len(parts) >= 2 and parts[0].startswith("HTTP/") and parts[1].isdigit():
        return f"sent: HTTP {parts[1]}"
    raise ValueError("the answer was not HTTP")


def run(job: Job) -> None:
    record: dict[str, object] = {"id": job.id}
    try:
        raw = job.raw
        if job.id_placeholder:
            client_id = _client_id(job)
            token = job.id_placeholder.encode("ascii")
            if len(client_id) != len(job.id_placeholder) or raw.count(token) != 1:
                raise ValueError("the pseudonymous id could not be filled in")
            # The id goes on the wire only: the log never holds it (see `disable`).
            raw = raw.replace(token, client_id.encode("ascii"))
        outcome = post(job.host, job.port, job.tls, raw, job.timeout)
    except Exception as exc:  # noqa: BLE001 - every failure is an outcome, never a crash
        outcome = f"failed: {type(exc).__name__}: {exc}"[:300]
    append(job.log, {**record, "time": utc_stamp(), "outcome": outcome})


def _client_id(job: Job) -> str:
    """Load or create the pseudonymous id here, in the child, where its cost is nobody's wait."""
    from pathlib import Path

    from consent.store.identity import load_or_create_at

    stored = load_or_create_at(job.keyring_service, Path(job.id_file))
    if stored.value is None:
        raise ValueError("no pseudonymous id could be stored")
    return stored.value


def main() -> None:
    try:
        job = Job.from_json(sys.stdin.buffer.read(MAX_JOB))
    except Exception:  # noqa: BLE001 - not a job of ours: nothing to do, nowhere to say so
        return
    try:  # noqa: SIM105 - the same shape as every other guard here
        run(job)
    except Exception:  # noqa: BLE001, S110 - nothing may escape a detached child
        pass
