"""Careful file writing: a cross-process lock and an atomic replace.

A reader sees either the old file or the new one, never half of either; a writer
killed at any point leaves at most a stray temp file, which the next writer
removes.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from consent._errors import ConfigError, LockTimeoutError
from consent._store.safeopen import NotRegularFile, match_owner, open_regular

LOCK_TIMEOUT = 10.0
# On a host command's path a lock is tried for this long at most, then the work is skipped.
HOST_LOCK_TIMEOUT = 0.05
_TMP_PREFIX = ".consent-tmp-"


def locked(
    lock_path: Path, timeout: float = LOCK_TIMEOUT
) -> contextlib.AbstractContextManager[None]:
    """Hold an exclusive lock on `lock_path` (created if needed), waiting at most `timeout`."""
    return _hold(lock_path, timeout, shared=False)


def locked_shared(
    lock_path: Path, timeout: float = LOCK_TIMEOUT
) -> contextlib.AbstractContextManager[None]:
    """Hold a shared lock on `lock_path`: any number of processes hold it at once, and only an
    exclusive one waits for them (where the platform has no shared lock, Windows, it is an
    exclusive one)."""
    return _hold(lock_path, timeout, shared=True)


@contextlib.contextmanager
def _hold(lock_path: Path, timeout: float, *, shared: bool) -> Iterator[None]:
    """The lock of `locked` or `locked_shared`, waiting at most `timeout`. The lock file is
    opened like every other file (`open_regular`: no FIFO, no symlink). A lock file a person
    cannot open (left by `sudo`, owned by root) does not stop them: the lock is then taken on
    the directory itself, which every process of the same user can open too. The lock is the
    kernel's, released when its process ends: a lock file is never in the way by itself.
    """
    fd = _open_lock(Path(lock_path))
    try:
        deadline = time.monotonic() + timeout
        while not _try_lock(fd, shared):
            if time.monotonic() >= deadline:
                shown = f"{timeout:.0f} s" if timeout >= 1 else f"{timeout * 1000:.0f} ms"
                raise LockTimeoutError(
                    f"another process has held {lock_path} for {shown}",
                    path=lock_path,
                    waited=timeout,
                    hint="try again in a moment: the lock is released as soon as that process "
                    "finishes or ends (keep the lock file; it is reused)",
                )
            time.sleep(min(0.01, max(timeout / 10, 0.001)))
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


def _open_lock(lock_path: Path) -> int:
    parent = lock_path.parent
    try:
        parent_st: os.stat_result | None = os.stat(parent)
    except OSError:
        parent_st = None
    try:
        existed = os.path.lexists(lock_path)
        fd = open_regular(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except (NotRegularFile, PermissionError):
        if sys.platform == "win32":
            raise ConfigError(
                f"cannot open the lock file {lock_path}",
                path=lock_path,
                hint="check what is at that path and its owner",
            ) from None
        # Someone else's lock file, or a FIFO or link in its place (never opened through): lock
        # the directory instead. Every process that meets the same path does the same.
        try:
            return os.open(parent, os.O_RDONLY)  # non-inheritable, as every os.open
        except OSError as exc:
            raise ConfigError(
                f"cannot create the lock file {lock_path} ({exc.strerror or exc})",
                path=lock_path,
                hint="check that its directory is writable",
            ) from None
    except OSError as exc:
        raise ConfigError(
            f"cannot create the lock file {lock_path} ({exc.strerror or exc})",
            path=lock_path,
            hint="check that its directory is writable",
        ) from None
    if not existed:
        match_owner(lock_path, parent_st)
    return fd


def _try_lock(fd: int, shared: bool = False) -> bool:
    if sys.platform == "win32":
        import msvcrt

        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    import fcntl

    try:
        fcntl.flock(fd, (fcntl.LOCK_SH if shared else fcntl.LOCK_EX) | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _unlock(fd: int) -> None:
    if sys.platform == "win32":
        import msvcrt

        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
    else:
        import fcntl

        fcntl.flock(fd, fcntl.LOCK_UN)


def atomic_write(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Replace `path` with `data` atomically: temp file, fsync, rename, fsync the directory.

    The temp file is created exclusively (never through a link); the rename replaces whatever
    name was at `path` (a symlink there is replaced, its target untouched). The new file gets
    `mode` exactly, and the owner and group of the file it replaces (else of its directory).
    """
    directory = path.parent
    like: os.stat_result | None = None
    for reference in (path, directory):
        with contextlib.suppress(OSError):
            st = os.lstat(reference) if reference is path else os.stat(reference)
            if reference is directory or stat.S_ISREG(st.st_mode):
                like = st
                break
    fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=directory)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        match_owner(tmp, like)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(directory)


def make_dirs(directory: Path, mode: int = 0o777) -> None:
    """`mkdir -p`, each new directory owned like its parent (see `match_owner`)."""
    missing = []
    here = directory
    while not os.path.isdir(here) and here != here.parent:
        missing.append(here)
        here = here.parent
    for new in reversed(missing):
        try:
            os.mkdir(new, mode)
        except FileExistsError:
            if not os.path.isdir(new):
                raise
            continue
        with contextlib.suppress(OSError):
            match_owner(new, os.stat(new.parent))


def remove_stale_temps(directory: Path, older_than: float = 60.0) -> None:
    """Remove temp files left by writers that were killed mid-write."""
    now = time.time()
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            if entry.name.startswith(_TMP_PREFIX):
                with contextlib.suppress(OSError):
                    if now - entry.stat(follow_symlinks=False).st_mtime > older_than:
                        os.unlink(entry.path)


def _fsync_dir(directory: Path) -> None:
    if sys.platform == "win32":
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
