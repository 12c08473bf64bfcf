"""Config writes keep what a person's file looks like (issue 12, classes 10 and 11): a byte order
mark, CRLF line ends, the mode, every other key; bad files are kept as backups, each its own."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from consent._store.configwrite import Style, update_telemetry
from consent._store.tomlread import MAX_BYTES, parse_toml

BOM = b"\xef\xbb\xbf"
MINE = b"# mine\r\n[other]\r\nk = 1\r\n\r\n[telemetry]\r\nenabled = true\r\n"


@pytest.mark.parametrize(
    ("bom", "crlf"), [(False, False), (True, False), (False, True), (True, True)]
)
def test_bom_and_line_ends_are_kept(tmp_path: Path, bom: bool, crlf: bool) -> None:
    path = tmp_path / "config.toml"
    body = MINE if crlf else MINE.replace(b"\r\n", b"\n")
    path.write_bytes((BOM if bom else b"") + body)
    result = update_telemetry(path, {"enabled": False, "decided_via": "test"})
    assert result.backup is None
    data = path.read_bytes()
    assert data.startswith(BOM) is bom
    assert (b"\r\n" in data) is crlf
    if crlf:
        assert data.replace(b"\r\n", b"").count(b"\n") == 0
    doc = parse_toml(data)
    assert doc["telemetry"] == {"enabled": False, "decided_via": "test"}
    assert doc["other"] == {"k": 1}
    assert b"# mine" in data


def test_style_of_bytes() -> None:
    assert Style.of(b"a = 1\n") == Style(False, False)
    assert Style.of(BOM + b"a = 1\r\n") == Style(True, True)
    assert Style(True, True).apply("a\nb\r\n") == "\ufeffa\r\nb\r\n"
    assert Style(False, False).apply("a\nb\n") == "a\nb\n"


def test_a_new_file_is_plain_and_0644(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.toml"
    update_telemetry(path, {"enabled": True})
    assert path.read_bytes() == b"[telemetry]\nenabled = true\n"
    assert stat.S_IMODE(path.stat().st_mode) == 0o644


@pytest.mark.parametrize(("before", "after"), [(0o400, 0o600), (0o640, 0o640), (0o604, 0o604)])
def test_the_mode_is_kept_with_owner_read_write(tmp_path: Path, before: int, after: int) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"# mine\n")
    path.chmod(before)
    update_telemetry(path, {"enabled": False})
    assert stat.S_IMODE(path.stat().st_mode) == after


def test_none_removes_a_key_and_wrong_types_go(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'[telemetry]\nenabled = "yes"\nnotice_shown_at = 5\nmine = 1\n')
    result = update_telemetry(path, {"decided_via": None, "notice_version": "v"})
    assert result.backup is not None and result.backup.read_bytes().startswith(b"[telemetry]")
    assert parse_toml(path.read_bytes())["telemetry"] == {"notice_version": "v", "mine": 1}
    update_telemetry(path, {"notice_version": None})
    assert parse_toml(path.read_bytes())["telemetry"] == {"mine": 1}


def test_a_telemetry_value_that_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"telemetry = 1\n[other]\nk = 2\n")
    result = update_telemetry(path, {"enabled": False})
    assert result.backup is not None
    assert result.backup.read_bytes() == b"telemetry = 1\n[other]\nk = 2\n"
    assert stat.S_IMODE(result.backup.stat().st_mode) == 0o600
    assert parse_toml(path.read_bytes()) == {"other": {"k": 2}, "telemetry": {"enabled": False}}


def test_each_bad_file_gets_its_own_backup(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    backups = []
    for i in range(3):
        path.write_bytes(b"not [ toml %d\n" % i)
        result = update_telemetry(path, {"enabled": False})
        assert result.backup is not None
        backups.append(result.backup)
    assert len(set(backups)) == 3
    assert [b.read_bytes() for b in backups] == [b"not [ toml %d\n" % i for i in range(3)]
    assert all(b.name.startswith("config.toml.bak-") for b in backups)


def test_a_file_over_the_cap_is_moved_aside_whole(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    data = b"# " + b"x" * MAX_BYTES + b"\n"
    path.write_bytes(data)
    path.chmod(0o640)
    result = update_telemetry(path, {"enabled": False})
    assert result.backup is not None and result.backup.read_bytes() == data
    assert stat.S_IMODE(result.backup.stat().st_mode) == 0o640  # a rename keeps the mode
    assert parse_toml(path.read_bytes()) == {"telemetry": {"enabled": False}}
    # The config written in its place keeps that mode too: a private config stays private.
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    assert result.path == path
