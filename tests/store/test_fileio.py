"""Careful file writing (consent/_store/fileio.py): the mode each new file gets, the owner it keeps
under `sudo`, the lock that serialises writers and what a lock timeout says, and the temp files
a killed writer leaves."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path

import pytest

from consent._errors import LockTimeoutError
from consent._store.fileio import (
    atomic_write,
    locked,
    locked_shared,
    make_dirs,
    remove_stale_temps,
)

ROOT_ONLY = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give a file away"
)


@pytest.mark.parametrize("mode", [0o600, 0o644, 0o640])
def test_a_new_file_gets_exactly_its_mode(tmp_path: Path, mode: int) -> None:
    old = os.umask(0o077)  # the mode is set, not filtered through the umask
    try:
        atomic_write(tmp_path / "f", b"data\n", mode)
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f").stat().st_mode) == mode
    assert (tmp_path / "f").read_bytes() == b"data\n"


def test_the_default_mode_is_0644_and_a_replaced_file_takes_the_new_mode(tmp_path: Path) -> None:
    path = tmp_path / "f"
    atomic_write(path, b"one\n")
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    atomic_write(path, b"two\n", 0o600)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and path.read_bytes() == b"two\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]  # no temp file left


@ROOT_ONLY
def test_under_sudo_a_replaced_file_keeps_its_owner(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text("mine\n")
    os.chown(path, 4321, 8765)
    atomic_write(path, b"new\n", 0o600)
    st = path.stat()
    assert (st.st_uid, st.st_gid) == (4321, 8765)


@ROOT_ONLY
def test_under_sudo_a_new_file_and_new_directories_are_owned_like_their_parent(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, 4321, 8765)
    make_dirs(home / "a" / "b", 0o700)
    for new in (home / "a", home / "a" / "b"):
        st = new.stat()
        assert (st.st_uid, st.st_gid) == (4321, 8765), new
        assert stat.S_IMODE(st.st_mode) == 0o700, new
    atomic_write(home / "a" / "b" / "id", b"x\n", 0o600)
    st = (home / "a" / "b" / "id").stat()
    assert (st.st_uid, st.st_gid) == (4321, 8765)
    with locked(home / "a" / ".lock"):
        pass
    st = (home / "a" / ".lock").stat()
    assert (st.st_uid, st.st_gid) == (4321, 8765)
    assert stat.S_IMODE(st.st_mode) == 0o600


def test_make_dirs_makes_every_missing_parent_and_accepts_existing_ones(tmp_path: Path) -> None:
    make_dirs(tmp_path / "x" / "y" / "z")
    assert (tmp_path / "x" / "y" / "z").is_dir()
    make_dirs(tmp_path / "x" / "y" / "z")  # again: nothing to do, no error
    (tmp_path / "file").write_text("")
    with pytest.raises(OSError):
        make_dirs(tmp_path / "file" / "sub")


def test_a_failed_write_leaves_the_old_file_and_no_temp(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.mkdir()  # os.replace cannot put a file over a directory
    with pytest.raises(OSError):
        atomic_write(target, b"new\n")
    assert target.is_dir() and list(tmp_path.iterdir()) == [target]


@pytest.mark.parametrize(("timeout", "shown"), [(0.05, "50 ms"), (1.0, "1 s")])
def test_a_held_lock_times_out_saying_for_how_long(
    tmp_path: Path, timeout: float, shown: str
) -> None:
    lock = tmp_path / ".config.toml.lock"
    with locked(lock), pytest.raises(LockTimeoutError) as caught, locked(lock, timeout=timeout):
        pass
    assert caught.value.message == f"another process has held {lock} for {shown}"
    assert caught.value.hint == (
        "try again in a moment: the lock is released as soon as that process finishes or ends "
        "(keep the lock file; it is reused)"
    )
    assert "remove" not in caught.value.hint and "delete" not in caught.value.hint
    assert caught.value.waited == timeout
    with locked(lock, timeout=0.05):  # released: taken at once
        pass


def test_a_lock_path_that_is_not_a_file_locks_the_directory(tmp_path: Path) -> None:
    lock = tmp_path / ".lock"
    os.mkfifo(lock)
    with locked(lock), pytest.raises(LockTimeoutError), locked(lock, timeout=0.05):
        pass  # the same path meets the same directory lock
    assert stat.S_ISFIFO(lock.lstat().st_mode)  # never replaced


def test_stale_temp_files_are_removed_and_fresh_ones_kept(tmp_path: Path) -> None:
    stale = tmp_path / ".consent-tmp-old"
    fresh = tmp_path / ".consent-tmp-new"
    other = tmp_path / "config.toml"
    for path in (stale, fresh, other):
        path.write_text("x")
    hour_ago = time.time() - 3600
    os.utime(stale, (time.time() - 90, time.time() - 90))  # a minute and a half: stale
    os.utime(other, (hour_ago, hour_ago))
    minute_less = time.time() - 50
    os.utime(fresh, (minute_less, minute_less))
    remove_stale_temps(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".consent-tmp-new", "config.toml"]


def test_a_writer_waits_for_the_lock_and_then_takes_it(tmp_path: Path) -> None:
    """Another writer that finishes within the timeout is waited for, not reported."""
    import threading

    lock = tmp_path / ".lock"
    held, release = threading.Event(), threading.Event()

    def other_writer() -> None:
        with locked(lock):
            held.set()
            release.wait(30)

    thread = threading.Thread(target=other_writer)
    thread.start()
    try:
        assert held.wait(30)
        # The other writer lets go once this one is waiting (or soon after, if it is slow).
        threading.Timer(0.2, release.set).start()
        with locked(lock, timeout=30):
            assert release.is_set()
    finally:
        release.set()
        thread.join(30)


def test_a_lock_whose_directory_is_missing_says_so(tmp_path: Path) -> None:
    from consent._errors import ConfigError

    with pytest.raises(ConfigError) as caught, locked(tmp_path / "gone" / ".lock"):
        pass
    assert "cannot create the lock file" in caught.value.message
    assert "No such file or directory" in caught.value.message
    assert caught.value.hint == "check that its directory is writable"


def test_make_dirs_default_mode_is_the_umasks(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        make_dirs(tmp_path / "a" / "b")
    finally:
        os.umask(old)
    for new in (tmp_path / "a", tmp_path / "a" / "b"):
        assert stat.S_IMODE(new.stat().st_mode) == 0o750, new


def test_make_dirs_accepts_a_directory_made_meanwhile_by_another_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two commands starting at once both create the config directory: neither fails."""
    real_mkdir = os.mkdir

    def raced(path: object, mode: int = 0o777) -> None:
        real_mkdir(path, mode)  # type: ignore[arg-type]  # the other process, first
        real_mkdir(path, mode)  # type: ignore[arg-type]  # this one: FileExistsError

    monkeypatch.setattr(os, "mkdir", raced)
    make_dirs(tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b").is_dir()


@ROOT_ONLY
def test_under_sudo_a_file_replacing_a_link_is_owned_like_the_directory(tmp_path: Path) -> None:
    """A symlink at the path is replaced, never followed: not even for the owner to copy."""
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, 4321, 8765)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_text("not yours\n")
    os.chown(elsewhere, 1111, 2222)
    (home / "config.toml").symlink_to(elsewhere)
    atomic_write(home / "config.toml", b"new\n", 0o600)
    st = os.lstat(home / "config.toml")
    assert stat.S_ISREG(st.st_mode) and (st.st_uid, st.st_gid) == (4321, 8765)
    assert elsewhere.read_text() == "not yours\n"


def test_the_documented_waits_are_the_enforced_ones() -> None:
    """docs/configuration.md and docs/security.md state how long a lock is waited for."""
    from consent._store.fileio import HOST_LOCK_TIMEOUT, LOCK_TIMEOUT

    docs = Path(__file__).resolve().parents[2] / "docs"
    configuration = " ".join((docs / "configuration.md").read_text("utf-8").split())
    security = " ".join((docs / "security.md").read_text("utf-8").split())
    assert f"wait at most {LOCK_TIMEOUT:g} s for another process writing the file" in configuration
    ms = HOST_LOCK_TIMEOUT * 1000
    assert f"A host command waits at most {ms:g} ms for the config's lock" in security


def test_a_lock_that_cannot_be_taken_anywhere_says_what_to_check(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A FIFO where the lock file should be, and a directory this user cannot open."""
    from consent._errors import ConfigError

    lock = tmp_path / ".lock"
    os.mkfifo(lock)
    real_open = os.open

    def no_directory(path: object, flags: int, *args: object) -> int:
        if os.fspath(path) == str(tmp_path):  # type: ignore[call-overload]
            raise PermissionError(13, "Permission denied")
        return real_open(path, flags, *args)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", no_directory)
    with pytest.raises(ConfigError) as caught, locked(lock):
        pass
    assert caught.value.message == f"cannot create the lock file {lock} (Permission denied)"
    assert caught.value.hint == "check that its directory is writable"
    assert caught.value.path == str(lock)
    assert stat.S_ISFIFO(lock.lstat().st_mode)


def test_a_stale_temp_name_is_judged_by_its_own_age(tmp_path: Path) -> None:
    """Links are never followed: an old dangling link with a temp file's name goes."""
    old = time.time() - 3600
    dangling = tmp_path / ".consent-tmp-dangling"
    dangling.symlink_to(tmp_path / "nowhere")
    os.utime(dangling, (old, old), follow_symlinks=False)
    remove_stale_temps(tmp_path)
    assert not os.path.lexists(dangling)


def test_a_write_is_synced_and_so_is_its_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Durable across a crash: the file's bytes, then the rename (its directory) reach the disk."""
    synced: list[str] = []
    real_fsync = os.fsync

    def recording(fd: int) -> None:
        synced.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("names descriptors through /proc")
    monkeypatch.setattr(os, "fsync", recording)
    atomic_write(tmp_path / "config.toml", b"x\n")
    assert len(synced) == 2 and synced[1] == str(tmp_path)
    assert Path(synced[0]).parent == tmp_path  # the temp file, before its rename


def test_shared_holders_exclude_only_an_exclusive_one(tmp_path: Path) -> None:
    """Senders hold the id's lock shared, all at once; `disable` takes it exclusively, and so
    waits for every one of them."""
    lock = tmp_path / ".client-id.lock"
    with locked_shared(lock, timeout=0.02):
        with locked_shared(lock, timeout=0.02):  # a second sender, not kept waiting
            pass
        with pytest.raises(LockTimeoutError), locked(lock, timeout=0.02):
            pass
    with (
        locked(lock, timeout=0.02),
        pytest.raises(LockTimeoutError),
        locked_shared(lock, timeout=0.02),
    ):
        pass


class FakeClock:
    """`time` as consent/_store/fileio.py uses it, stepped by the sleeps it asks for: a wait is
    exact and takes no time."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.mark.parametrize(
    ("timeout", "every", "shown"),
    [(1.0, 0.01, "1 s"), (0.05, 0.005, "50 ms"), (0.9, 0.01, "900 ms"), (0.0, 0.0, "0 ms")],
)
def test_a_held_lock_is_polled_at_its_pace_until_the_deadline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, timeout: float, every: float, shown: str
) -> None:
    """A waiter asks again every tenth of its timeout, at least every 10 ms and at most every
    1 ms, and gives up at the deadline itself (a lock held for exactly the wait is held too
    long): never a busy loop, never a wait longer than asked."""
    from consent._store import fileio

    clock = FakeClock()
    lock = tmp_path / ".lock"
    with locked(lock):
        monkeypatch.setattr(fileio, "time", clock)
        with pytest.raises(LockTimeoutError) as caught, locked(lock, timeout=timeout):
            pass
    assert caught.value.message == f"another process has held {lock} for {shown}"
    if timeout == 0:  # the deadline is now: asked once, never waited for
        assert clock.sleeps == []
        return
    assert clock.sleeps and set(clock.sleeps) == {every}
    assert clock.now >= timeout and clock.now - every < timeout  # not one poll past it


def test_taking_and_writing_leave_no_descriptor_open(tmp_path: Path) -> None:
    """Each lock and each write closes what it opened (the lock file, the temp file, the
    directory it syncs): a host that records for hours does not run out of descriptors."""
    fds = Path(f"/proc/{os.getpid()}/fd")
    if not fds.is_dir():
        pytest.skip("needs /proc")
    before = len(os.listdir(fds))
    for n in range(20):
        with locked(tmp_path / ".lock"), locked_shared(tmp_path / ".shared"):
            atomic_write(tmp_path / "f", b"%d" % n)
    assert len(os.listdir(fds)) < before + 5  # 20 of any of them would show


def test_a_lock_under_a_file_says_so_exactly(tmp_path: Path) -> None:
    from consent._errors import ConfigError

    (tmp_path / "file").write_text("")
    lock = tmp_path / "file" / ".lock"
    with pytest.raises(ConfigError) as caught, locked(lock):
        pass
    assert caught.value.message == f"cannot create the lock file {lock} (Not a directory)"
    assert caught.value.path == str(lock)


def test_make_dirs_refuses_a_file_in_the_way(tmp_path: Path) -> None:
    (tmp_path / "a").write_text("mine")
    with pytest.raises(FileExistsError):
        make_dirs(tmp_path / "a" / "b")
    assert (tmp_path / "a").read_text() == "mine"


def test_a_write_in_progress_is_a_temp_file_the_cleanup_knows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While it is written, the new content sits under the temp prefix that
    `remove_stale_temps` looks for: a killed writer's leftover is found and removed."""
    from consent._store import fileio

    seen: list[list[str]] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        seen.append(sorted(os.listdir(tmp_path)))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    atomic_write(tmp_path / "f", b"x")
    assert any(name.startswith(fileio._TMP_PREFIX) for name in seen[0]), seen


@ROOT_ONLY
def test_an_existing_lock_file_keeps_its_owner(tmp_path: Path) -> None:
    """Only a lock file this run creates is given its directory's owner (under sudo): one that
    was there is used as it is."""
    lock = tmp_path / ".lock"
    lock.write_text("")
    os.chown(lock, 4321, 4321)
    with locked(lock):
        pass
    assert (lock.stat().st_uid, lock.stat().st_gid) == (4321, 4321)
