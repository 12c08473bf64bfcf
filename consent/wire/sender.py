"""The detached sender: a child process that posts one request and exits.

It reads its job from stdin (never argv), writes the request bytes exactly as
given, waits at most `timeout` seconds in total for the status line, records the
outcome in the local log and swallows every error. Its stdin, stdout and stderr
are devnull or a pipe, so it never holds the host's terminal or pipes open.
It also loads (or creates) the anonymous id and fills it into the request: the
keyring is slow to load, and here no one waits for it.
"""

from __future__ import annotations

import json
import socket
import ssl
import sys
import time
from pathlib import Path

from consent.store.log import append, stamp

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
    record: dict[str, object] = {"id": str(job["id"])}
    try:
        raw = str(job["raw"]).encode("latin-1")
        placeholder = job.get("id_placeholder")
        if isinstance(placeholder, str) and placeholder:
            client_id = _client_id(job)
            token = placeholder.encode("ascii")
            if len(client_id) != len(placeholder) or raw.count(token) != 1:
                raise ValueError("the anonymous id could not be filled in")
            raw = raw.replace(token, client_id.encode("ascii"))
            record["client_id"] = client_id
        outcome = post(
            str(job["host"]),
            int(str(job["port"])),
            bool(job["tls"]),
            raw,
            float(str(job.get("timeout", TIMEOUT))),
        )
    except Exception as exc:  # noqa: BLE001 - every failure is an outcome, never a crash
        outcome = f"failed: {type(exc).__name__}: {exc}"[:300]
    append(log, {**record, "time": stamp(), "outcome": outcome})


def _client_id(job: dict[str, object]) -> str:
    """Load or create the anonymous id here, in the child, where its cost is nobody's wait."""
    from consent.store.identity import load_or_create_at

    stored = load_or_create_at(str(job["keyring_service"]), Path(str(job["id_file"])))
    if stored.value is None:
        raise ValueError("no anonymous id could be stored")
    return stored.value


def main() -> None:
    try:
        job = json.loads(sys.stdin.buffer.read(MAX_JOB))
        if isinstance(job, dict):
            run(job)
    except Exception:  # noqa: BLE001, S110 - nothing may escape a detached child
        pass


if __name__ == "__main__":
    main()
