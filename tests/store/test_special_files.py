"""Every file the toolkit opens is opened without blocking, never written through a link, and
refused unless it is a regular file (issue 12, class 1). Real FIFOs, sockets, devices, links."""

from __future__ import annotations

import os
import socket
import stat
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from consent._errors import ConfigError
from consent._store import identity
from consent._store.configwrite import update_telemetry
from consent._store.fileio import atomic_write, locked
from consent._store.log import append, entries
from consent._store.safeopen import NotRegularFile, open_regular, read_regular
from consent._store.tomlread import read_toml

Make = Callable[[Path, Path], None]


def fifo(path: Path, other: Path) -> None:
    os.mkfifo(path)


def unix_socket(path: Path, other: Path) -> None:
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(path))
    sock.close()


def device(path: Path, other: Path) -> None:
    path.symlink_to("/dev/zero")


def directory(path: Path, other: Path) -> None:
    path.mkdir()


def symlink(path: Path, other: Path) -> None:
    path.symlink_to(other)


def dangling(path: Path, other: Path) -> None:
    path.symlink_to(other.parent / "nowhere")


def hardlink(path: Path, other: Path) -> None:
    os.link(other, path)


KINDS: dict[str, Make] = {
    "fifo": fifo,
    "socket": unix_socket,
    "device-link": device,
    "directory": directory,
    "symlink": symlink,
    "dangling": dangling,
    "hardlink": hardlink,
}
OTHER = b"someone else's file\n"


@pytest.fixture(autouse=True)
def _keyring_restored() -> Iterator[None]:
    """Torn down after monkeypatch (set up before it): keyring re-reads the restored env."""
    yield
    import keyring.core

    keyring.core.init_backend()


@pytest.fixture(params=sorted(KINDS))
def odd(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path, Path]:
    other = tmp_path / "other.txt"
    other.write_bytes(OTHER)
    other.chmod(0o644)
    path = tmp_path / "state" / "the-file"
    path.parent.mkdir()
    KINDS[request.param](path, other)
    return request.param, path, other


def untouched(other: Path) -> None:
    assert other.read_bytes() == OTHER
    assert stat.S_IMODE(other.stat().st_mode) == 0o644


def test_open_for_writing_refuses_all_but_a_regular_file(odd: tuple[str, Path, Path]) -> None:
    _kind, path, other = odd
    with pytest.raises(OSError):
        os.close(open_regular(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT))
    untouched(other)


def test_reading_never_blocks_and_refuses_specials(odd: tuple[str, Path, Path]) -> None:
    kind, path, _other = odd
    if kind in ("symlink", "hardlink"):
        assert read_regular(path, 100, follow=True) == OTHER  # a link to a file may be read
    else:
        with pytest.raises(OSError):
            read_regular(path, 100, follow=True)
    if kind != "hardlink":
        with pytest.raises(OSError):
            read_regular(path, 100, follow=False)


def test_toml_reading_says_why(odd: tuple[str, Path, Path]) -> None:
    kind, path, _ = odd
    reading = read_toml(path, follow=False)
    if kind == "hardlink":
        assert reading.state == "error" and reading.reason == "invalid"  # read: not TOML
        return
    assert reading.state == "error"
    assert reading.reason in ("special", "directory")
    if kind in ("symlink", "dangling", "device-link"):
        assert "symbolic link" in reading.problem
    if kind == "dangling":
        assert "dangling" in reading.problem


def test_the_log_is_never_written_through(odd: tuple[str, Path, Path]) -> None:
    kind, path, other = odd
    assert append(path, {"id": "x", "event": "screenview", "outcome": "handed to sender"}) is False
    untouched(other)
    assert entries(path) == [] or kind == "hardlink"


def test_a_lock_is_never_taken_through_a_special_file(odd: tuple[str, Path, Path]) -> None:
    kind, path, other = odd
    if kind == "directory":
        with pytest.raises(ConfigError), locked(path, timeout=0.1):
            pass
    else:
        with locked(path, timeout=0.1):  # falls back to locking the directory
            pass
    untouched(other)
    assert os.path.lexists(path)  # what was there stays there


def test_the_id_file_is_never_read_nor_replaced(
    odd: tuple[str, Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    kind, path, other = odd
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    import keyring.core

    keyring.core.init_backend()
    other.write_text("8c4d9c3e-7f5a-4b8e-9a3b-2f1e0d9c8b7a\n")
    other.chmod(0o644)
    assert identity.load_at("svc", path).value is None or kind == "hardlink"
    if kind != "hardlink":
        with pytest.raises(OSError):
            identity.load_or_create_at("svc", path)
    assert other.read_text() == "8c4d9c3e-7f5a-4b8e-9a3b-2f1e0d9c8b7a\n"


def test_atomic_write_replaces_a_link_never_its_target(tmp_path: Path) -> None:
    other = tmp_path / "other.txt"
    other.write_bytes(OTHER)
    other.chmod(0o644)
    path = tmp_path / "file"
    path.symlink_to(other)
    atomic_write(path, b"new\n", 0o600)
    untouched(other)
    assert not path.is_symlink() and path.read_bytes() == b"new\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_config_writes_refuse_a_fifo_and_keep_it(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    os.mkfifo(path)
    with pytest.raises(ConfigError) as caught:
        update_telemetry(path, {"enabled": False})
    assert "not a regular file" in str(caught.value)
    assert stat.S_ISFIFO(path.lstat().st_mode)


def test_backups_are_exclusive_and_owned_like_the_config(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"not [ toml\n")
    result = update_telemetry(path, {"enabled": False})
    assert result.backup is not None
    assert result.backup.read_bytes() == b"not [ toml\n"
    assert stat.S_IMODE(result.backup.stat().st_mode) == 0o600


def test_not_regular_is_an_oserror() -> None:
    assert issubclass(NotRegularFile, OSError)
