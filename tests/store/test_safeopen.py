"""Opening the toolkit's files (consent/_store/safeopen.py): how much is read, what each refusal
says, and that `sudo` never gives a file away through a link."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from consent._store.safeopen import NotRegularFile, match_owner, open_regular, read_regular


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
