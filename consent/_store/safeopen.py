"""Opening the files the toolkit keeps, safely: no blocking, no symlink redirect, regular only.

Every file consent reads or writes (config, policy, log, id, locks, backups) is opened here or
created exclusively (O_CREAT | O_EXCL). Kept free of heavy imports: the disabled path reads
config and policy through `read_regular`.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat

# Every open of a file the toolkit keeps: never blocks (a FIFO or a device in its place answers
# at once), and with `follow=False` never goes through a symlink. It never leaks into a child
# either: Python opens every descriptor non-inheritable (O_CLOEXEC where there is one).
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


LINK = "is a symbolic link, not a regular file"


class NotRegularFile(OSError):
    """Something other than a regular file (a FIFO, socket, device, directory or symlink)."""


def open_regular(
    path: str | os.PathLike[str], flags: int, mode: int = 0o600, *, follow: bool = False
) -> int:
    """Open `path` as a regular file and return the descriptor; raise OSError otherwise.

    The open cannot block (O_NONBLOCK: a FIFO without a writer or reader, a tty or a device
    answers at once), does not follow a final symlink unless `follow` (O_NOFOLLOW: a link
    cannot redirect a write into another file), and the descriptor is checked with fstat before
    a byte is read or written: anything but a regular file is closed and refused with
    NotRegularFile. A file opened for writing must also have one link only, so that a hard link
    cannot make a write land in a second name.
    """
    extra = _NONBLOCK | _BINARY | (0 if follow else _NOFOLLOW)
    try:
        fd = os.open(path, flags | extra, mode)
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow:
            raise NotRegularFile(exc.errno, LINK) from None
        if exc.errno == errno.ENXIO:  # a FIFO opened for writing with no reader
            raise NotRegularFile(exc.errno, "is not a regular file") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            what = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise NotRegularFile(errno.EINVAL, f"is {what}")
        writing = flags & (os.O_WRONLY | os.O_RDWR)
        if writing and st.st_nlink > 1:
            raise NotRegularFile(errno.EMLINK, "has more than one hard link")
        if _NONBLOCK:
            # A regular file never blocks anyway; leave the descriptor as an ordinary one.
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_regular(path: str | os.PathLike[str], limit: int, *, follow: bool) -> bytes:
    """At most `limit` + 1 bytes of a regular file (so a caller can tell "too large"); each
    caller says whether a symlink at `path` is followed (a config) or refused (a policy)."""
    fd = open_regular(path, os.O_RDONLY, follow=follow)
    try:
        chunks = []
        left = limit + 1
        while left > 0:
            chunk = os.read(fd, min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def match_owner(path: str | os.PathLike[str], like: os.stat_result | None) -> None:
    """Give `path` the owner and group of `like` (the file it replaces, or its directory).

    Only root can give a file away; for anyone else a new file already has their owner. So
    `sudo lumogon telemetry enable` with the user's HOME leaves files the user still owns.
    """
    if like is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    with contextlib.suppress(OSError):
        st = os.lstat(path)
        if (st.st_uid, st.st_gid) != (like.st_uid, like.st_gid):
            os.chown(path, like.st_uid, like.st_gid, follow_symlinks=False)
