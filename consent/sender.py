"""The detached sender: a child process that posts one request and exits.

It reads its job from stdin (never argv), writes the request bytes exactly as
given, waits at most `timeout` seconds in total for the status line, records the
outcome in the local log and swallows every error. Its stdin, stdout and stderr
are devnull or a pipe, so it never holds the host's terminal or pipes open.
Stdlib only, so it starts fast.
"""

from __future__ import annotations

import base64
import json
import socket
import ssl
import sys
import time
from pathlib import Path

from consent.telemetry_log import append, stamp

TIMEOUT = 3.0
MAX_JOB = 1024 * 1024


def post(host: str, port: int, tls: bool, raw: bytes, timeout: float = TIMEOUT) -> str:
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


def run(job: dict[str, object]) -> None:
    log = Path(str(job["log"]))
    hit_id = str(job["id"])
    try:
        outcome = post(
            str(job["host"]),
            int(str(job["port"])),
            bool(job["tls"]),
            base64.b64decode(str(job["raw"])),
            float(str(job.get("timeout", TIMEOUT))),
        )
    except Exception as exc:  # noqa: BLE001 - every failure is an outcome, never a crash
        outcome = f"failed: {type(exc).__name__}: {exc}"[:300]
    append(log, {"id": hit_id, "time": stamp(), "outcome": outcome})


def main() -> None:
    try:
        job = json.loads(sys.stdin.buffer.read(MAX_JOB))
        if isinstance(job, dict):
            run(job)
    except Exception:  # noqa: BLE001, S110 - nothing may escape a detached child
        pass


if __name__ == "__main__":
    main()
