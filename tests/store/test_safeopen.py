"""Opening the toolkit's files (consent/_store/safeopen.py): how much is read, what each refusal
says, and that `sudo` never gives a file away through a link."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from consent._store.safeopen import (
    DANGLING,
    LINK_NOT_FOLLOWED,
    MAX_STEPS,
    THROUGH_LINK,
    NotRegularFile,
    UntrustedLink,
    match_owner,
    open_regular,
    read_policy,
    read_regular,
    resolve_trusted,
)


@pytest.mark.parametrize("size", [0, 9, 10, 11, 25, (1 << 20) + 3])
def test_read_regular_reads_at_most_one_byte_past_the_limit(tmp_path: Path, size: int) -> None:
    """One byte past `limit` is how a caller tells "too large"; never more is read."""
    data = bytes(i % 251 for i in range(size))
    (tmp_path / "f").write_bytes(data)
    limit = 10 if size < 100 else 1 << 20
    assert read_regular(tmp_path / "f", limit, follow=False) == data[: limit + 1]


LINK_WORDS = "is a symbolic link, not a regular file"  # the words read_toml shows


@pytest.mark.parametrize(
    ("make", "flags", "follow", "words", "code"),
    [
        (lambda p: p.mkdir(), os.O_RDONLY, True, "is a directory", errno.EINVAL),
        (os.mkfifo, os.O_RDONLY, True, "is not a regular file", errno.EINVAL),
        (os.mkfifo, os.O_WRONLY, True, "is not a regular file", errno.ENXIO),  # no reader
        (lambda p: p.symlink_to(p.parent / "x"), os.O_RDONLY, False, LINK_WORDS, errno.ELOOP),
    ],
)
def test_each_refusal_says_what_is_there(
    tmp_path: Path, make: object, flags: int, follow: bool, words: str, code: int
) -> None:
    (tmp_path / "x").write_text("x")
    path = tmp_path / "p"
    make(path)  # type: ignore[operator]
    with pytest.raises(NotRegularFile) as caught:
        open_regular(path, flags, follow=follow)
    assert caught.value.strerror == words and caught.value.errno == code


def test_a_followed_link_to_a_regular_file_is_opened(tmp_path: Path) -> None:
    (tmp_path / "real").write_bytes(b"mine\n")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert read_regular(tmp_path / "link", 100, follow=True) == b"mine\n"
    with pytest.raises(NotRegularFile):
        read_regular(tmp_path / "link", 100, follow=False)


def test_a_file_with_two_names_is_read_but_never_written(tmp_path: Path) -> None:
    (tmp_path / "a").write_bytes(b"x\n")
    os.link(tmp_path / "a", tmp_path / "b")
    assert read_regular(tmp_path / "b", 10, follow=False) == b"x\n"
    with pytest.raises(NotRegularFile) as caught:
        open_regular(tmp_path / "b", os.O_WRONLY | os.O_APPEND)
    assert caught.value.strerror == "has more than one hard link"
    fd = open_regular(tmp_path / "c", os.O_WRONLY | os.O_CREAT)  # one name: fine
    os.close(fd)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="root only")
def test_match_owner_gives_the_link_never_its_target(tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_text("someone's\n")
    link = tmp_path / "link"
    link.symlink_to(target)
    like = os.stat(tmp_path).__class__((0o100644, 0, 0, 1, 4321, 8765, 0, 0, 0, 0))
    match_owner(link, like)
    assert (os.lstat(link).st_uid, os.lstat(link).st_gid) == (4321, 8765)
    assert (target.stat().st_uid, target.stat().st_gid) == (0, 0)
    match_owner(target, None)  # nothing to match: left alone
    assert target.stat().st_uid == 0


def test_descriptors_are_blocking_and_never_inherited(tmp_path: Path) -> None:
    """What open_regular returns is an ordinary descriptor a child process never gets."""
    fd = open_regular(tmp_path / "f", os.O_WRONLY | os.O_CREAT)
    try:
        assert not os.get_inheritable(fd) and os.get_blocking(fd)
    finally:
        os.close(fd)


# --- a system policy's way (read_policy, resolve_trusted) ------------------------------------

ROOT_ONLY = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="giving a file away needs root"
)
POLICY = b"[telemetry]\nenabled = false\n"


def system_root(where: Path) -> Path:
    """A test's system root (its owner counts as root): etc/, a store with the policy file,
    etc/linked -> ../store (a link on the way), etc/policy.toml -> ../store/policy.toml."""
    (where / "etc").mkdir(parents=True)
    (where / "store").mkdir()
    (where / "store" / "policy.toml").write_bytes(POLICY)
    (where / "etc" / "linked").symlink_to("../store")
    (where / "etc" / "policy.toml").symlink_to("../store/policy.toml")
    (where / "etc" / "plain.toml").write_bytes(POLICY)
    for d in (where, where / "etc", where / "store"):
        d.chmod(0o755)
    return where


def open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc")
def test_no_descriptor_is_left_open_whatever_the_answer(tmp_path: Path) -> None:
    root = system_root(tmp_path / "root")
    (tmp_path / "dir").mkdir()
    before = open_fds()
    assert read_regular(root / "etc" / "plain.toml", 100, follow=False) == POLICY
    with pytest.raises(NotRegularFile):
        open_regular(tmp_path / "dir", os.O_RDONLY, follow=True)  # opened, then refused
    etc = str(root / "etc")
    assert read_policy(f"{etc}/plain.toml", 100, str(root)) == (POLICY, "")
    target = str(root / "store" / "policy.toml")
    assert read_policy(f"{etc}/linked/policy.toml", 100, str(root)) == (POLICY, target)
    assert read_policy(f"{etc}/policy.toml", 100, str(root)) == (POLICY, target)
    (root / "store").chmod(0o777)
    with pytest.raises(UntrustedLink):
        read_policy(f"{etc}/linked/policy.toml", 100, str(root))
    assert open_fds() == before


def read_with_stdin_closed(root: Path) -> list[list[object]]:
    """In a child with descriptor 0 closed (`cmd <&-`), so that the policy's open gets it:
    each policy's answer, and whether descriptor 0 is closed again after it."""
    import json

    def closed() -> bool:
        try:
            os.fstat(0)
        except OSError:
            return True
        return False

    out, into = os.pipe()
    pid = os.fork()
    if pid == 0:
        code = 1
        try:
            os.close(out)
            os.close(0)
            answers: list[list[object]] = []
            for name in ("plain.toml", "linked/policy.toml", "untrusted/policy.toml"):
                try:
                    answers.append([name, read_policy(f"{root}/etc/{name}", 100, str(root))[1]])
                except UntrustedLink as exc:
                    answers.append([name, exc.strerror])
                answers[-1].append(closed())
            os.write(into, json.dumps(answers).encode())
            code = 0
        finally:
            os._exit(code)
    os.close(into)
    with os.fdopen(out, "rb") as fh:
        data = fh.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    answers = json.loads(data)
    assert isinstance(answers, list)
    return answers


def test_a_policy_opened_as_descriptor_0_is_read_and_closed_as_any_other(tmp_path: Path) -> None:
    """A host command run with stdin closed: the policy's open gets descriptor 0."""
    root = system_root(tmp_path / "root")
    (root / "open").mkdir()
    (root / "open").chmod(0o777)
    (root / "open" / "policy.toml").write_bytes(POLICY)
    (root / "etc" / "untrusted").symlink_to("../open")
    assert read_with_stdin_closed(root) == [
        ["plain.toml", "", True],
        ["linked/policy.toml", str(root / "store" / "policy.toml"), True],
        [
            "untrusted/policy.toml",
            f"{THROUGH_LINK}: {root / 'open'} is writable by every user",
            True,
        ],
    ]


def test_a_followed_link_loop_is_an_ordinary_error(tmp_path: Path) -> None:
    (tmp_path / "loop").symlink_to("loop")
    with pytest.raises(OSError) as caught:
        read_regular(tmp_path / "loop", 100, follow=True)
    assert caught.value.errno == errno.ELOOP and not isinstance(caught.value, NotRegularFile)


def test_a_policy_that_is_no_file_is_said_so_not_taken_for_a_link(tmp_path: Path) -> None:
    # Under a directory anyone may write: a walk from `/` would refuse it as a link's way.
    where = tmp_path / "open"
    where.mkdir()
    where.chmod(0o777)
    os.mkfifo(where / "fifo")
    (where / "dir").mkdir()
    for name, words in (("fifo", "is not a regular file"), ("dir", "is a directory")):
        with pytest.raises(NotRegularFile) as caught:
            read_policy(str(where / name), 100)
        assert type(caught.value) is NotRegularFile and caught.value.strerror == words


def test_a_way_removed_as_it_is_checked_reads_as_dangling(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import consent._store.safeopen as safeopen

    root = system_root(tmp_path / "root")

    def removed(path: str, root: str = "") -> tuple[str, os.stat_result]:
        raise FileNotFoundError(errno.ENOENT, "No such file or directory", path)

    monkeypatch.setattr(safeopen, "resolve_trusted", removed)
    with pytest.raises(UntrustedLink) as caught:
        read_policy(str(root / "etc" / "policy.toml"), 100, str(root))
    assert (caught.value.errno, caught.value.strerror) == (errno.ENOENT, DANGLING)


def chain(root: Path, links: int) -> str:
    """etc/l0 -> l1 -> ... -> the store's policy: `links` links in all."""
    for n in range(links):
        nxt = f"l{n + 1}" if n + 1 < links else "../store/policy.toml"
        (root / "etc" / f"l{n}").symlink_to(nxt)
    return str(root / "etc" / "l0")


def test_links_on_the_way_are_counted_as_the_kernel_counts_them(tmp_path: Path) -> None:
    """As many links as the kernel follows on one way (Linux's MAXSYMLINKS, 40), no more."""
    root = system_root(tmp_path / "forty")
    forty = chain(root, 40)
    os.stat(forty)  # the kernel follows them
    assert resolve_trusted(forty, str(root))[0] == str(root / "store" / "policy.toml")
    root = system_root(tmp_path / "more")
    more = chain(root, 41)
    with pytest.raises(OSError) as kernel:
        os.stat(more)
    assert kernel.value.errno == errno.ELOOP
    with pytest.raises(UntrustedLink) as caught:
        resolve_trusted(more, str(root))
    assert caught.value.strerror == f"{LINK_NOT_FOLLOWED}: more than 40 links on its way"


def test_a_way_is_counted_step_by_step(tmp_path: Path) -> None:
    """Every component looked at, `..` and each link's own included, counts: a way of
    MAX_STEPS - 1 components is walked, one more is too long."""
    root = system_root(tmp_path / "root")
    (root / "d").mkdir(mode=0o755)
    (root / "s").symlink_to("store")  # one component more than `store` itself

    def way(tail: str) -> str:
        """root/p -> q1 -> q2 -> `tail`, each through `d/..` many times: 1 + 2 * 1365 + 1362
        components, and those of `tail`."""
        for name in ("p", "q1", "q2"):
            (root / name).unlink(missing_ok=True)
        (root / "q2").symlink_to("d/../" * 681 + tail)
        (root / "q1").symlink_to("d/../" * 682 + "q2")
        (root / "p").symlink_to("d/../" * 682 + "q1")
        return str(root / "p")

    assert MAX_STEPS - 1 == 1 + 2 * 1365 + 1362 + 2
    policy = str(root / "store" / "policy.toml")
    assert resolve_trusted(way("store/policy.toml"), str(root))[0] == policy
    with pytest.raises(UntrustedLink) as caught:
        resolve_trusted(way("s/policy.toml"), str(root))  # s, store, policy.toml: one more
    assert caught.value.strerror == f"{LINK_NOT_FOLLOWED}: its way is too long"


def test_the_root_itself_is_checked(tmp_path: Path) -> None:
    root = system_root(tmp_path / "root")
    root.chmod(0o1775)  # group-writable with the sticky bit, as /nix/store: passes
    assert resolve_trusted(str(root / "etc" / "policy.toml"), str(root))[0] == str(
        root / "store" / "policy.toml"
    )
    root.chmod(0o777)
    with pytest.raises(UntrustedLink) as caught:
        resolve_trusted(str(root / "etc" / "policy.toml"), str(root))
    assert caught.value.strerror == f"{LINK_NOT_FOLLOWED}: {root} is writable by every user"


def test_a_root_named_through_a_link_or_with_a_slash_holds_both_of_its_names(
    tmp_path: Path,
) -> None:
    real = system_root(tmp_path / "the-real-root-X")
    named = tmp_path / "r"  # a shorter name: the cut below the root differs
    named.symlink_to(real)
    policy = str(real / "store" / "policy.toml")
    (real / "etc" / "via-name").symlink_to(named / "store" / "policy.toml")
    (real / "etc" / "via-real").symlink_to(real / "store" / "policy.toml")
    (real / "etc" / "up").symlink_to(real)  # the root itself
    for path in (named / "etc" / "via-name", real / "etc" / "via-real"):
        assert resolve_trusted(str(path), str(named))[0] == policy
    assert resolve_trusted(f"{named}/etc/up/etc/./policy.toml", str(named))[0] == policy
    assert resolve_trusted(str(real / "etc" / "up" / "store" / "policy.toml"), str(real))[0] == (
        policy
    )
    assert resolve_trusted(str(real / "etc" / "via-real"), f"{real}/")[0] == policy
    assert resolve_trusted(str(named / "etc" / "via-name"), f"{named}/")[0] == policy
    assert resolve_trusted(f"{real}/etc/./policy.toml", str(real))[0] == policy


def test_what_the_way_ends_at_or_runs_through(tmp_path: Path) -> None:
    root = system_root(tmp_path / "root")
    os.mkfifo(root / "store" / "fifo")
    for name, words in (("fifo", "is not a regular file"), ("", "is a directory")):
        with pytest.raises(NotRegularFile) as caught:
            resolve_trusted(str(root / "etc" / "linked" / name), str(root))
        assert type(caught.value) is NotRegularFile and caught.value.strerror == words
    # A file in the middle of the way: `..` after it does not lead back out.
    with pytest.raises(NotADirectoryError) as refused:
        resolve_trusted(str(root / "etc" / "plain.toml" / ".." / "plain.toml"), str(root))
    assert refused.value.strerror == "Not a directory"
    assert refused.value.filename == str(root / "etc" / "plain.toml")


def test_a_way_out_of_the_root_is_refused_naming_it(tmp_path: Path) -> None:
    root = system_root(tmp_path / "root")
    (root / "etc" / "out").symlink_to("/etc/hostname")
    with pytest.raises(UntrustedLink) as caught:
        resolve_trusted(str(root / "etc" / "out"), str(root))
    assert caught.value.strerror == (
        f"{LINK_NOT_FOLLOWED}: {root / 'etc' / 'out'} leads out of {root}"
    )
    (root / "etc" / "up").symlink_to("../..")
    with pytest.raises(UntrustedLink) as caught:
        resolve_trusted(str(root / "etc" / "up" / "x"), str(root))
    assert caught.value.strerror == f"{LINK_NOT_FOLLOWED}: it leads out of {root}"


def test_a_file_root_owns_is_trusted_from_the_real_root() -> None:
    """From `/` itself, where only uid 0 counts; `..` at the top stays there, as the kernel's."""
    path = os.path.realpath(os.__file__)
    ways = [path, *(p for p in Path(path).parents)]
    if any(os.stat(p).st_uid != 0 or os.stat(p).st_mode & 0o022 for p in ways):
        pytest.skip("this Python is not installed where root alone may write")
    assert resolve_trusted(path)[0] == path
    assert resolve_trusted(f"/..{path}")[0] == path


@ROOT_ONLY
def test_a_root_owned_by_another_account_counts_as_root_with_root_itself(tmp_path: Path) -> None:
    root = system_root(tmp_path / "root")
    os.chown(root, 4321, 4321)  # a test root made by a user: its owner stands for root
    assert resolve_trusted(str(root / "etc" / "policy.toml"), str(root))[0] == str(
        root / "store" / "policy.toml"
    )


@ROOT_ONLY
def test_the_admin_group_may_write_on_macos_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import consent._store.safeopen as safeopen

    root = system_root(tmp_path / "root")
    os.chown(root / "store", 0, 80)
    (root / "store").chmod(0o775)
    policy = str(root / "etc" / "policy.toml")
    with pytest.raises(UntrustedLink) as caught:
        resolve_trusted(policy, str(root))
    assert caught.value.strerror == (
        f"{LINK_NOT_FOLLOWED}: {root / 'store'} is writable by its group (gid 80)"
    )
    monkeypatch.setattr(safeopen, "_ADMIN_GROUPS", frozenset({80}))  # as on macOS
    assert resolve_trusted(policy, str(root))[0] == str(root / "store" / "policy.toml")


@ROOT_ONLY
def test_match_owner_gives_nothing_away_unless_root(tmp_path: Path) -> None:
    """A user may change a file's group to another of theirs; match_owner never does."""
    path = tmp_path / "mine"
    path.write_text("x\n")
    os.chown(path, 4321, 4321)
    like = os.stat(tmp_path).__class__((0o100644, 0, 0, 1, 4321, 4322, 0, 0, 0, 0))
    tmp_path.chmod(0o711)  # the user may look the file up there, from there
    pid = os.fork()
    if pid == 0:  # the child becomes that user, in both groups
        code = 1
        try:
            os.chdir(tmp_path)
            path = Path("mine")
            os.setgroups([4321, 4322])
            os.setgid(4321)
            os.setuid(4321)
            os.stat(path)  # the user can reach it: a chown would not fail for want of that
            match_owner(path, like)
            code = 0
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    assert (path.stat().st_uid, path.stat().st_gid) == (4321, 4321)


def test_a_link_anywhere_above_a_policy_is_checked(tmp_path: Path) -> None:
    root = system_root(tmp_path / "root")
    (root / "store" / "sub").mkdir(mode=0o755)
    (root / "store" / "sub" / "policy.toml").write_bytes(POLICY)
    deep = str(root / "etc" / "linked" / "sub" / "policy.toml")  # the link two levels up
    assert read_policy(deep, 100, str(root)) == (
        POLICY,
        str(root / "store" / "sub" / "policy.toml"),
    )
    (root / "store").chmod(0o777)
    with pytest.raises(UntrustedLink) as caught:
        read_policy(deep, 100, str(root))
    assert caught.value.strerror == f"{THROUGH_LINK}: {root / 'store'} is writable by every user"


def test_a_file_swapped_as_it_is_checked_is_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import consent._store.safeopen as safeopen

    root = system_root(tmp_path / "root")
    checked = resolve_trusted
    other = os.stat(root / "etc" / "plain.toml")
    monkeypatch.setattr(safeopen, "resolve_trusted", lambda p, r="": (checked(p, r)[0], other))
    with pytest.raises(UntrustedLink) as caught:
        read_policy(str(root / "etc" / "policy.toml"), 100, str(root))
    target = root / "store" / "policy.toml"
    assert caught.value.strerror == f"{LINK_NOT_FOLLOWED}: {target} changed as it was checked"
