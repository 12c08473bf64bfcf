"""The local log of hits handed to the sender: time, event, hit, outcome.

The parent appends when it hands a hit over; the detached sender appends the outcome under the
same id. Appends are single small writes with O_APPEND, so concurrent writers never interleave
inside a line; the file is opened like every kept file (no FIFO, no symlink, no second hard
link: see consent/_store/safeopen.py).

The log is capped by rotation, never by rewriting: when the file grows past half the cap it is
renamed to `<name>.1` (replacing the older generation) and the next append starts a new file.
A rename reads nothing, so it costs the host the same whatever the size, and a writer that
opened the file just before the rename still writes into the kept generation, so a record is
dropped only with its whole generation, the older of the two, never while it is being written.
The rename is tried under a lock that is never waited for: a busy lock means another process
is rotating.
"""

from __future__ import annotations

import os

from consent._core.jsonline import dumps, loads
from consent._core.names import LOG_MAX_BYTES

TYPE_CHECKING = False
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

# The fields a log entry may show, with their types; anything else in a line is dropped.
_TEXT_FIELDS = (
    "id",
    "time",
    "event",
    "purpose",
    "url",
    "outcome",  # its time is shown as `outcome_at`, set by `entries` when it merges
    "payload",  # kept local: the exact body
    "request",  # kept local: the exact request
)


def older(path: str | os.PathLike[str]) -> str:
    """The previous generation of the log."""
    return os.fspath(path) + ".1"


def append(path: str | os.PathLike[str], record: dict[str, Any]) -> bool:
    """Append one record; False if it could not be written. Never raises (a log must not
    break the host)."""
    from consent._store.safeopen import match_owner, open_regular

    line = (dumps(record) + "\n").encode("ascii")
    name = os.fspath(path)
    try:
        directory = os.path.dirname(name)
        root = hasattr(os, "geteuid") and os.geteuid() == 0
        if root and not os.path.isdir(directory):
            from pathlib import Path

            from consent._store.fileio import make_dirs

            make_dirs(Path(directory), 0o700)  # owned like their parents (`sudo` keeps $HOME)
        else:  # not make_dirs: fileio's imports would cost the sending host (test_one_hit.py)
            os.makedirs(directory, mode=0o700, exist_ok=True)
        fd = open_regular(name, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                # A line cut by a crash stays cut; this one starts afresh. (Racing another
                # appender mid-write, this may leave a blank line: readers skip it.)
                line = b"\n" + line
            written = os.write(fd, line)
            size += written
        finally:
            os.close(fd)
        if root:
            match_owner(name, os.stat(directory))
    except OSError:
        return False
    if size > LOG_MAX_BYTES // 2:
        rotate(name)
    return written == len(line)


def rotate(name: str) -> None:
    """Start a new generation if the log is still over half the cap; never waits, never raises."""
    import contextlib  # here, not above: the sending host appends, it rarely rotates
    import stat

    from consent._errors import ConsentError
    from consent._store.fileio import locked

    directory, base = os.path.split(name)

    # A busy lock: another process rotates.
    with contextlib.suppress(OSError, ConsentError), locked(_lock_path(directory, base), timeout=0):
        st = os.lstat(name)
        if stat.S_ISREG(st.st_mode) and st.st_size > LOG_MAX_BYTES // 2:
            os.replace(name, older(name))


def _lock_path(directory: str, base: str) -> Path:
    from pathlib import Path

    return Path(directory, f".{base}.lock")


def _read(path: str) -> bytes:
    """The last LOG_MAX_BYTES of a log file (its newest lines), or nothing."""
    from consent._store.safeopen import open_regular

    try:
        fd = open_regular(path, os.O_RDONLY, follow=False)
    except OSError:
        return b""
    try:
        size = os.fstat(fd).st_size
        return os.pread(fd, LOG_MAX_BYTES, max(size - LOG_MAX_BYTES, 0))
    except OSError:
        return b""
    finally:
        os.close(fd)


def entries(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Hits in order, each with its latest outcome merged in. Survives any bytes in the files:
    a line that is not a JSON object with a string `id` is skipped, a field of the wrong type
    dropped."""
    name = os.fspath(path)
    data = _read(older(name)) + b"\n" + _read(name)
    merged: dict[str, dict[str, Any]] = {}
    for raw in data.splitlines():
        try:
            record = loads(raw)  # nesting bounded: see consent/_core/jsonline.py
        except ValueError:
            continue  # a line cut by a crash, or garbage, is skipped, not fatal
        if not isinstance(record, dict) or not isinstance(record.get("id"), str):
            continue
        record = _clean(record)  # drops `client_id`, which earlier versions' senders wrote
        entry = merged.setdefault(record["id"], {})
        if "outcome" in record and "outcome" in entry:
            entry["outcome_at"] = record.get("time", "")
            entry["outcome"] = record["outcome"]
        else:
            entry.update(record)
    return list(merged.values())


def scrub(name: str | os.PathLike[str], secret: str, stand_in: str) -> bool:
    """Replace every occurrence of `secret` (the pseudonymous id) in both generations of the log
    with `stand_in`, and drop the `client_id` key that earlier versions' senders wrote. True if
    a file changed.

    `disable` and `reset` call this, so that no file the toolkit wrote keeps an old id.
    """
    from pathlib import Path

    from consent._store.fileio import atomic_write, locked

    if not secret:
        return False
    path = os.fspath(name)
    directory, base = os.path.split(path)
    if not any(os.path.lexists(g) for g in (older(path), path)):
        return False  # no log: nothing holds the id
    changed = False
    with locked(_lock_path(directory, base), timeout=5.0):
        for generation in (older(path), path):
            data = _read(generation)
            if secret.encode("ascii", "replace") not in data and b'"client_id"' not in data:
                continue
            out: list[bytes] = []
            for raw in data.splitlines():
                try:
                    record = loads(raw)
                except ValueError:
                    out.append(raw.replace(secret.encode("ascii", "replace"), stand_in.encode()))
                    continue
                if isinstance(record, dict):
                    record.pop("client_id", None)
                out.append(dumps(_replaced(record, secret, stand_in)).encode("ascii"))
            atomic_write(Path(generation), b"".join(line + b"\n" for line in out), 0o600)
            changed = True
    return changed


def _replaced(value: Any, secret: str, stand_in: str) -> Any:
    if isinstance(value, str):
        return value.replace(secret, stand_in)
    if isinstance(value, dict):
        return {k: _replaced(v, secret, stand_in) for k, v in value.items()}
    if isinstance(value, list):
        return [_replaced(v, secret, stand_in) for v in value]
    return value


def _clean(record: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {k: record[k] for k in _TEXT_FIELDS if isinstance(record.get(k), str)}
    hit = record.get("hit")
    if isinstance(hit, dict):
        # Text, or an integer field's number (never a bool, which JSON also reads as a value).
        out["hit"] = {str(k): v for k, v in hit.items() if isinstance(v, str) or type(v) is int}
    if record.get("local") is True:  # kept local (local mode): never sent
        out["local"] = True
    return out
