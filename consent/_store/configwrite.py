"""Writing the user's `[telemetry]` table without losing anything they wrote.

tomlkit keeps comments, key order and every other table; the write is atomic and
serialised across processes. A file that cannot be read as valid consent is kept
beside the new one as a backup before anything replaces it.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from consent._core.names import MANAGED_KEYS, TABLE
from consent._core.records import ConsentRecord, consent_record
from consent._core.value import Record
from consent._errors import ConfigError
from consent._store.clock import utc_compact
from consent._store.fileio import atomic_write, locked, make_dirs, remove_stale_temps
from consent._store.safeopen import match_owner, read_regular
from consent._store.tomlread import BOM, MAX_BYTES, decode, parse_toml


class WriteResult(Record):
    path: Path  # the file written (the target when config.toml is a symlink)
    backup: Path | None  # where an unreadable or invalid earlier file was kept


# The keys to set, or a function of what the file records now that returns them: it runs under
# the file's lock, so that two concurrent changes of single purposes both count.
Values = dict[str, Any] | Callable[[ConsentRecord], dict[str, Any]]


def update_telemetry(path: Path, values: Values, *, timeout: float | None = None) -> WriteResult:
    """Set keys of the `[telemetry]` table in `path` (a None value removes the key).

    `timeout` bounds the wait for another writer's lock (LockTimeoutError beyond it); a host
    command's path passes milliseconds, a `telemetry` command waits longer.
    """
    target = Path(os.path.realpath(path))  # write through a symlink, keep the link
    try:
        st_mode = target.stat().st_mode
        if not stat.S_ISREG(st_mode):
            kind = "a directory" if stat.S_ISDIR(st_mode) else "not a regular file"
            raise ConfigError(
                f"{path} is {kind}, so the telemetry choice cannot be recorded there",
                path=path,
                hint="move it away (nothing was changed) and run the command again",
            )
    except FileNotFoundError:
        pass
    except OSError as exc:
        # A symlink loop, or a path running through a regular file: only a person can untangle it.
        raise ConfigError(
            f"cannot inspect {path} ({exc.strerror or exc}), so nothing was changed",
            path=path,
            hint=f"fix what is at that path, or set {_hint_env()} to another directory",
        ) from None
    try:
        make_dirs(target.parent)
    except OSError as exc:
        raise ConfigError(
            f"cannot create the config directory {target.parent} ({exc.strerror or exc})",
            path=target.parent,
            hint=f"set {_hint_env()} to a writable directory or fix its permissions",
        ) from None
    wait = {} if timeout is None else {"timeout": timeout}
    with locked(target.parent / f".{target.name}.lock", **wait):
        remove_stale_temps(target.parent)
        return _update_locked(path, target, values)


def _update_locked(shown: Path, target: Path, values: Values) -> WriteResult:
    import tomlkit

    doc, mode, backup, style = _load_for_edit(shown, target)
    if callable(values):
        try:
            current, fresh = consent_record(doc.unwrap()), False
        except ValueError:
            current, fresh = ConsentRecord(), True  # a file with bad keys records no choice
        values = values(current)
        if fresh:
            # The backup keeps the old file: no managed key of it is left to mix in.
            values = {**dict.fromkeys(MANAGED_KEYS), **values}
    table = doc.get(TABLE)
    if table is None:
        table = tomlkit.table()
        doc[TABLE] = table
    for key, value in values.items():
        if value is None:
            if key in table:
                del table[key]
        else:
            table[key] = value
    _drop_bad_managed(table)
    try:
        atomic_write(target, style.apply(tomlkit.dumps(doc)).encode("utf-8"), mode)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {shown} ({exc.strerror or exc})",
            path=shown,
            hint=f"make its directory writable, or set {_hint_env()} to a writable directory",
        ) from None
    return WriteResult(target, backup)


class Style(Record):
    """How a person's file is written: a byte order mark and CR LF line ends are kept."""

    bom: bool = False
    crlf: bool = False

    @classmethod
    def of(cls, data: bytes) -> Style:
        return cls(data.startswith(BOM.encode("utf-8")), b"\r\n" in data)

    def apply(self, text: str) -> str:
        if self.crlf:
            text = text.replace("\r\n", "\n").replace("\n", "\r\n")
        return BOM + text if self.bom else text


def _load_for_edit(shown: Path, target: Path) -> tuple[Any, int, Path | None, Style]:
    """The document to edit, the file mode to keep, the backup made of a bad file, the style."""
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    mode = 0o644
    try:
        st = target.stat()
        mode = stat.S_IMODE(st.st_mode) | stat.S_IRUSR | stat.S_IWUSR
        if st.st_size > MAX_BYTES:
            raise OSError(f"larger than {MAX_BYTES} bytes")
        data = read_regular(target, MAX_BYTES, follow=False)
        if len(data) > MAX_BYTES:
            raise OSError(f"larger than {MAX_BYTES} bytes")
    except FileNotFoundError:
        return tomlkit.document(), mode, None, Style()
    except OSError:
        # Unreadable: a rename needs no read permission, and keeps every byte.
        backup = _backup_path(target)
        try:
            os.rename(target, backup)
        except OSError as exc:
            raise ConfigError(
                f"{shown} cannot be read and cannot be moved aside ({exc.strerror or exc})",
                path=shown,
                hint="fix its permissions, then run the command again",
            ) from None
        # The new file keeps the old one's permissions: a private config stays private.
        return tomlkit.document(), mode, backup, Style()
    style = Style.of(data)
    try:
        parse_toml(data)  # the reader's verdict (caps included): what it rejects is broken
        doc = tomlkit.parse(decode(data))
    except (ValueError, TOMLKitError, RecursionError):
        return tomlkit.document(), mode, _write_backup(target, data), style
    table = doc.get(TABLE)
    if table is not None and not isinstance(table, dict):
        del doc[TABLE]  # keep every other table; the backup keeps the odd value
        return doc, mode, _write_backup(target, data), style
    try:
        consent_record(doc.unwrap())
    except ValueError:
        # Wrong types: the bad keys are replaced or dropped, the rest is kept.
        return doc, mode, _write_backup(target, data), style
    return doc, mode, None, style


def _drop_bad_managed(table: Any) -> None:
    """Remove managed keys of the wrong type that this write did not replace."""
    for key, kind in MANAGED_KEYS.items():
        if key in table and not isinstance(table[key], kind):
            del table[key]


def _backup_path(target: Path) -> Path:
    stamp = utc_compact()
    candidate = target.with_name(f"{target.name}.bak-{stamp}")
    n = 1
    while candidate.exists():
        candidate = target.with_name(f"{target.name}.bak-{stamp}-{n}")
        n += 1
    return candidate


def _write_backup(target: Path, data: bytes) -> Path:
    backup = _backup_path(target)
    try:
        # Exclusive: never into a file that is already there, nor through a link (O_CREAT |
        # O_EXCL fails on any name that exists, a symlink included).
        fd = os.open(backup, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        with contextlib.suppress(OSError):
            match_owner(backup, os.stat(target))
    except OSError as exc:
        with contextlib.suppress(OSError):
            backup.unlink()
        raise ConfigError(
            f"{target} is not valid and a backup of it could not be written "
            f"({exc.strerror or exc})",
            path=target,
            hint="nothing was changed",
        ) from None
    return backup


def _hint_env() -> str:
    return "XDG_CONFIG_HOME" if os.name == "posix" else "the config directory"
