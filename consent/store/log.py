"""The local log of hits handed to the sender: time, event, hit, outcome.

The parent appends when it hands a hit over; the detached sender appends the
outcome under the same id. Appends are single small writes with O_APPEND, so
concurrent writers never interleave inside a line. The file is capped.
"""

from __future__ import annotations

import contextlib
import os

from consent.core.jsonline import dumps
from consent.core.names import LOG_KEEP_LINES, LOG_MAX_BYTES
from consent.errors import ConsentError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


def append(path: str | os.PathLike[str], record: dict[str, Any]) -> bool:
    """Append one record; False if it could not be written. Never raises (a log must not
    break the host)."""
    line = (dumps(record) + "\n").encode("ascii")
    try:
        os.makedirs(os.path.dirname(os.fspath(path)), mode=0o700, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            written = os.write(fd, line)
            size = os.fstat(fd).st_size
        finally:
            os.close(fd)
    except OSError:
        return False
    if size > LOG_MAX_BYTES:
        with contextlib.suppress(OSError, ConsentError):  # a busy lock: trim next time
            _trim(path)
    return written == len(line)


def _trim(name: str | os.PathLike[str]) -> None:
    from pathlib import Path

    from consent.store.fileio import atomic_write, locked

    path = Path(name)

    with locked(path.with_name(f".{path.name}.lock"), timeout=1.0):
        lines = path.read_bytes().splitlines(keepends=True)[-LOG_KEEP_LINES:]
        # Keep at most half the cap, so that a full log is not rewritten on every append.
        while lines and sum(map(len, lines)) > LOG_MAX_BYTES // 2:
            lines = lines[len(lines) // 4 or 1 :]
        atomic_write(path, b"".join(lines), 0o600)


def entries(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Hits in order, each with its latest outcome merged in."""
    try:
        with open(path, "rb") as fh:
            data = fh.read()
    except OSError:
        return []
    import json  # reading is for `telemetry log`, never the sending path

    merged: dict[str, dict[str, Any]] = {}
    for raw in data.splitlines():
        try:
            record = json.loads(raw)
        except ValueError:
            continue  # a line cut by a crash is skipped, not fatal
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            continue
        entry = merged.setdefault(record["id"], {})
        if "outcome" in record and "outcome" in entry:
            entry["outcome_at"] = record.get("time", "")
            entry["outcome"] = record["outcome"]
            if "client_id" in record:  # filled in by the sender
                entry["client_id"] = record["client_id"]
        else:
            entry.update(record)
    return list(merged.values())
