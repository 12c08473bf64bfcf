"""Opening the files the toolkit keeps, safely: no blocking, no symlink redirect, regular only.

Every file consent reads or writes (config, policy, log, id, locks, backups) is opened here or
created exclusively (O_CREAT | O_EXCL). Kept free of heavy imports: the disabled path reads
config and policy through `read_regular` and `read_policy`.

A system policy may be a symbolic link (NixOS links every file under /etc into /nix/store; GNU
stow and configuration management do the same): `read_policy` follows it only when no one but
root could have changed where it leads (`resolve_trusted`, the rule OpenSSH applies to its own
files, see docs/admin.md "NixOS"). The per-user config and log never go through this.
"""

from __future__ import annotations

import errno
import os
import stat
import sys

# Every open of a file the toolkit keeps: never blocks (a FIFO or a device in its place answers
# at once), and with `follow=False` never goes through a symlink. It never leaks into a child
# either: Python opens every descriptor non-inheritable (O_CLOEXEC where there is one).
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
_BINARY = getattr(os, "O_BINARY", 0)


LINK = "is a symbolic link, not a regular file"


class NotRegularFile(OSError):
    """Something other than a regular file (a FIFO, socket, device, directory or symlink)."""


class UntrustedLink(NotRegularFile):
    """A symbolic link on a policy's way that is not followed; `strerror` completes
    "<path> ...", naming the component that failed the check and why."""


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
        return _read_fd(fd, limit)
    finally:
        os.close(fd)


def match_owner(path: str | os.PathLike[str], like: os.stat_result | None) -> None:
    """Give `path` the owner and group of `like` (the file it replaces, or its directory).

    Only root can give a file away; for anyone else a new file already has their owner. So
    `sudo lumogon telemetry enable` with the user's HOME leaves files the user still owns.
    """
    if like is None or not hasattr(os, "geteuid") or os.geteuid() != 0:
        return
    try:  # contextlib's import would cost every sending host ~5 M instructions (its imports)
        st = os.lstat(path)
        if (st.st_uid, st.st_gid) != (like.st_uid, like.st_gid):
            os.chown(path, like.st_uid, like.st_gid, follow_symlinks=False)
    except OSError:
        pass


# The links followed on one policy's way, at most (Linux's own limit, MAXSYMLINKS), and the
# components looked at in all: a policy's way is bounded however its links are made.
MAX_LINKS = 40
MAX_STEPS = 4096
# macOS: the admin group (gid 80) may write where root owns, as its members can become root.
_ADMIN_GROUPS = frozenset({80}) if sys.platform == "darwin" else frozenset()


def read_policy(path: str, limit: int, root: str = "") -> tuple[bytes, str]:
    """At most `limit` + 1 bytes of a system policy, and the file read when a link led there
    ("" when `path` itself is the file). Raises FileNotFoundError when nothing is at `path`,
    UntrustedLink when a link on its way is not followed, NotRegularFile or OSError otherwise.

    A regular file at `path`, reached through no link, is read as it is (as `read_regular`).
    Only when `path` or a directory above it is a link is the whole way checked
    (`resolve_trusted`), and the file opened is the one checked (same device and inode).
    `root` stands for `/` (a test's system root, see AppSpec.system_root)."""
    if os.name == "nt":
        # O_NOFOLLOW does not exist there, and no owner is checked on Windows: a link on the
        # way is never followed (docs/admin.md, "NixOS, and other symlinked /etc").
        if os.path.islink(path):
            raise UntrustedLink(errno.ELOOP, f"{LINK_NOT_FOLLOWED} on Windows")
        if os.path.lexists(path) and _through_link(path):
            raise UntrustedLink(errno.ELOOP, f"{THROUGH_LINK} on Windows")
        return read_regular(path, limit, follow=False), ""
    fd = -1
    try:
        fd = open_regular(path, os.O_RDONLY, follow=False)
    except NotRegularFile as exc:
        if exc.strerror != LINK:
            raise
    try:
        if fd >= 0 and not _through_link(path):
            return _read_fd(fd, limit), ""
        if fd < 0:
            try:
                os.stat(path)
            except FileNotFoundError:
                # Said first: whatever else is wrong on its way, the link leads nowhere.
                raise UntrustedLink(errno.ENOENT, DANGLING) from None
            except OSError:
                pass  # a loop, or what the walk names below
        try:
            target, st = resolve_trusted(path, root)
        except FileNotFoundError:
            raise UntrustedLink(errno.ENOENT, DANGLING) from None
        except UntrustedLink as exc:
            if fd < 0:
                raise
            # The file is at `path`, but a directory on its way is a link.
            why = str(exc.strerror).replace(LINK_NOT_FOLLOWED, THROUGH_LINK)
            raise UntrustedLink(exc.errno, why) from None
        if fd < 0:
            fd = open_regular(target, os.O_RDONLY, follow=False)
        now = os.fstat(fd)
        if (now.st_dev, now.st_ino) != (st.st_dev, st.st_ino):
            raise UntrustedLink(
                errno.EAGAIN, f"{LINK_NOT_FOLLOWED}: {target} changed as it was checked"
            )
        return _read_fd(fd, limit), target
    finally:
        if fd >= 0:
            os.close(fd)


LINK_NOT_FOLLOWED = "is a symbolic link that is not followed"
THROUGH_LINK = "is reached through a symbolic link that is not followed"
DANGLING = "is a dangling symbolic link, not a regular file"


def _through_link(path: str) -> bool:
    """Is a directory on the way to `path` a symbolic link? (Only asked when a file is there.)"""
    here = os.path.dirname(path)
    for _ in range(MAX_STEPS):
        if os.path.islink(here):
            return True
        up = os.path.dirname(here)
        if up == here:
            return False
        here = up
    return True


def resolve_trusted(path: str, root: str = "") -> tuple[str, os.stat_result]:
    """Follow `path` component by component, links included, as the kernel would, and return
    the regular file it leads to with its status. Every directory entered, every link and the
    file must be owned by root and writable by no one else (the rule OpenSSH's `safe_path`
    applies to its configuration); a directory writable by its group passes only with the
    sticky bit (/nix/store is 1775 root:nixbld: no one but root can rename or remove what root
    owns there), one writable by every user never. Raises UntrustedLink naming the first
    component that fails, FileNotFoundError where the way ends.

    `root` (a test's system root) stands for `/`: the way is checked from it down, its owner
    counts as root, and a link that leads out of it is not followed."""
    if root and not (_under(path, root) or _under(path, os.path.realpath(root))):
        root = ""  # a place the environment adds (XDG_CONFIG_DIRS): checked from `/`
    way = _Way(root)
    todo = way.parts(path)[::-1]  # the components still to look at, the next one last
    here, st, links = way.base, os.stat(way.base), 0
    way.check(here, st, entered=True)
    for _ in range(MAX_STEPS):
        if not todo:
            return here, st
        name = todo.pop()
        if name == "..":
            if here == way.base and root:
                raise UntrustedLink(errno.EPERM, f"{LINK_NOT_FOLLOWED}: it leads out of {root}")
            here = os.path.dirname(here)
            continue
        step = os.path.join(here, name)
        st = os.lstat(step)
        way.check(step, st, entered=bool(todo))
        if stat.S_ISLNK(st.st_mode):
            links += 1
            if links > MAX_LINKS:
                raise UntrustedLink(
                    errno.ELOOP, f"{LINK_NOT_FOLLOWED}: more than {MAX_LINKS} links on its way"
                )
            target = os.readlink(step)
            if target.startswith("/"):
                if root and not (_under(target, root) or _under(target, way.base)):
                    raise UntrustedLink(
                        errno.EPERM, f"{LINK_NOT_FOLLOWED}: {step} leads out of {root}"
                    )
                here = way.base
            todo += way.parts(target)[::-1]
            continue
        if todo and not stat.S_ISDIR(st.st_mode):
            raise NotADirectoryError(errno.ENOTDIR, "Not a directory", step)
        if not todo and not stat.S_ISREG(st.st_mode):
            what = "a directory" if stat.S_ISDIR(st.st_mode) else "not a regular file"
            raise NotRegularFile(errno.EINVAL, f"is {what}")
        here = step
    raise UntrustedLink(errno.ELOOP, f"{LINK_NOT_FOLLOWED}: its way is too long")


class _Way:
    """Where a policy's way starts (`/`, or a test's root standing for it) and who may own it."""

    def __init__(self, root: str) -> None:
        self.root = root
        self.base = os.path.realpath(root) if root else os.sep
        self.owners = {0, os.stat(self.base).st_uid} if root else {0}

    def parts(self, path: str) -> list[str]:
        """The components of `path` below the root (an absolute one is taken from the root)."""
        if self.root and path.startswith("/"):
            cut = len(self.root) if _under(path, self.root) else len(self.base)
            path = path[cut:]
        return [c for c in path.split("/") if c not in ("", ".")]

    def check(self, where: str, st: os.stat_result, *, entered: bool) -> None:
        """Raise UntrustedLink unless `where` is owned by root and writable by no one else;
        `entered`: a directory the way goes on through (only such may be sticky)."""
        why = ""
        if st.st_uid not in self.owners:
            why = f"is owned by uid {st.st_uid}, not by root"
        elif stat.S_ISLNK(st.st_mode):
            return  # a link's own mode means nothing: its directory decides who can replace it
        elif st.st_mode & stat.S_IWOTH:
            why = "is writable by every user"
        elif (
            st.st_mode & stat.S_IWGRP
            and st.st_gid not in _ADMIN_GROUPS
            and not (entered and st.st_mode & stat.S_ISVTX)
        ):
            why = f"is writable by its group (gid {st.st_gid})"
        if why:
            raise UntrustedLink(errno.EPERM, f"{LINK_NOT_FOLLOWED}: {where} {why}")


def _under(path: str, top: str) -> bool:
    top = top.rstrip("/")
    return path == top or path.startswith(top + "/")


def _read_fd(fd: int, limit: int) -> bytes:
    chunks = []
    left = limit + 1
    while left > 0:
        chunk = os.read(fd, min(left, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        left -= len(chunk)
    return b"".join(chunks)
