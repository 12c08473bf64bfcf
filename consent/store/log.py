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
        record.pop("client_id", None)  # written by earlier versions' senders; never shown
        if "outcome" in record and "outcome" in entry:
            entry["outcome_at"] = record.get("time", "")
            entry["outcome"] = record["outcome"]
        else:
            entry.update(record)
    return list(merged.values())


def scrub(name: str | os.PathLike[str], secret: str, stand_in: str) -> bool:
    """Replace every occurrence of `secret` (the pseudonymous id) in the log with `stand_in`, and
    drop the `client_id` key that earlier versions' senders wrote. True if the file changed.

    `disable` and `reset` call this, so that no file the toolkit wrote keeps an old id.
    """
    from pathlib import Path

    from consent.store.fileio import atomic_write, locked

    path = Path(name)
    if not secret or not path.exists():
        return False
    import json

    with locked(path.with_name(f".{path.name}.lock"), timeout=5.0):
        data = path.read_bytes()
        if secret.encode("ascii", "replace") not in data and b'"client_id"' not in data:
            return False
        out: list[bytes] = []
        for raw in data.splitlines():
            try:
                record = json.loads(raw)
            except ValueError:
                out.append(raw.replace(secret.encode("ascii", "replace"), stand_in.encode()))
                continue
            if isinstance(record, dict):
                record.pop("client_id", None)
            out.append(dumps(_replaced(record, secret, stand_in)).encode("ascii"))
        atomic_write(path, b"".join(line + b"\n" for line in out), 0o600)
    return True


def _replaced(value: Any, secret: str, stand_in: str) -> Any:
    if isinstance(value, str):
        return value.replace(secret, stand_in)
    if isinstance(value, dict):
        return {k: _replaced(v, secret, stand_in) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v, secret, stand_in) for v in value]
    return value
