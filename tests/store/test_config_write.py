"""Writing the user config: nothing a person wrote is lost; bad files are kept as backups."""

from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

import pytest

from consent._errors import ConfigError
from consent._store.choices import record_choice, record_notice_shown
from consent._store.configwrite import update_telemetry
from consent._store.sources import resolve
from consent._store.tomlread import parse_toml
from lumogon import SPEC
from tests.helpers import HAND_WRITTEN, Iso


def test_round_trips_keep_comments_and_other_tables(iso: Iso) -> None:
    iso.write_config(HAND_WRITTEN)
    for enabled in (True, False, True, False):
        record_choice(SPEC, iso.locs, enabled=enabled, via="test")
    text = iso.config.read_text()
    for line in HAND_WRITTEN.splitlines():
        if not line.startswith("enabled"):
            assert line in text
    doc = parse_toml(text.encode())
    assert doc["scan"] == {"depth": 3, "exclude": ["node_modules", ".git"]}
    assert doc["report"]["upload"]["url"] == "https://reports.example"
    assert doc["telemetry"]["enabled"] is False
    # key order: the telemetry table stays where the person put it
    assert text.index("[scan]") < text.index("[telemetry]") < text.index("[report.upload]")


def test_records_version_time_and_how(iso: Iso) -> None:
    rec = record_choice(SPEC, iso.locs, enabled=True, via="command: lumogon telemetry enable")
    table = parse_toml(iso.config.read_bytes())["telemetry"]
    (line,) = iso.locs.receipts_file.read_bytes().splitlines()
    assert table == {
        "latest_receipt_sha256": hashlib.sha256(line).hexdigest(),  # the receipts' head
        "enabled": True,
        "notice_version": SPEC.notice_version,
        "decided_at": rec.at,
        "decided_via": "command: lumogon telemetry enable",
        "notice_fields": "v tid cid an av t cd ec ea el ev",
        "notice_events": "screenview upload",
    }


def test_notice_shown_is_kept_beside_the_choice(iso: Iso) -> None:
    record_choice(SPEC, iso.locs, enabled=False, via="test")
    record_notice_shown(SPEC, iso.locs)
    table = parse_toml(iso.config.read_bytes())["telemetry"]
    assert table["enabled"] is False
    assert table["notice_shown_version"] == SPEC.notice_version


@pytest.mark.parametrize(
    "data",
    [
        b"garbage [[[",
        bytes(range(256)),
        b'[telemetry]\nenabled = "yes"\n',
        b"telemetry = [1]\n# keep\n",
    ],
    ids=["garbage", "binary", "wrong-type", "not-a-table"],
)
def test_bad_file_is_backed_up_and_replaced(iso: Iso, data: bytes) -> None:
    iso.write_config(data)
    rec = record_choice(SPEC, iso.locs, enabled=False, via="test")
    assert rec.write.backup is not None
    assert rec.write.backup.parent == iso.config.parent
    assert rec.write.backup.read_bytes() == data
    assert parse_toml(iso.config.read_bytes())["telemetry"]["enabled"] is False
    assert resolve(SPEC, environ={}).decided_by.source == "config"


def test_wrong_types_keep_the_rest_of_the_file(iso: Iso) -> None:
    iso.write_config(
        '# top\n[telemetry]\nenabled = "yes"\nnotice_shown_version = 3\n[other]\nk = 1\n'
    )
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    text = iso.config.read_text()
    assert "# top" in text and "[other]" in text and "k = 1" in text
    assert "notice_shown_version" not in text
    assert resolve(SPEC, environ={}).enabled


def test_directory_in_place_of_config_is_refused_and_kept(iso: Iso) -> None:
    iso.config.mkdir(parents=True)
    (iso.config / "mine.txt").write_text("do not touch")
    with pytest.raises(ConfigError, match="is a directory"):
        record_choice(SPEC, iso.locs, enabled=False, via="test")
    assert (iso.config / "mine.txt").read_text() == "do not touch"


def test_symlinked_config_is_written_through_the_link(iso: Iso, tmp_path: Path) -> None:
    dotfiles = tmp_path / "dotfiles" / "lumogon.toml"
    dotfiles.parent.mkdir()
    dotfiles.write_text("# from my dotfiles repo\n[other]\nx = 1\n")
    iso.config.parent.mkdir(parents=True)
    iso.config.symlink_to(dotfiles)
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    assert iso.config.is_symlink()
    assert "# from my dotfiles repo" in dotfiles.read_text()
    assert resolve(SPEC, environ={}).enabled


def test_file_mode_is_kept(iso: Iso) -> None:
    iso.write_config("[other]\n").chmod(0o600)
    record_choice(SPEC, iso.locs, enabled=False, via="test")
    assert iso.config.stat().st_mode & 0o777 == 0o600


def test_unwritable_directory_is_a_clear_error(iso: Iso) -> None:
    if os.geteuid() == 0:
        pytest.skip("root writes whatever the mode")
    iso.write_config("[other]\n")
    iso.config.parent.chmod(0o500)
    try:
        with pytest.raises(ConfigError, match="cannot"):
            record_choice(SPEC, iso.locs, enabled=False, via="test")
    finally:
        iso.config.parent.chmod(0o700)


@pytest.mark.parametrize("kind", ["symlink-loop", "path-through-a-file"])
def test_uninspectable_config_path_says_what_to_do(iso: Iso, tmp_path: Path, kind: str) -> None:
    if kind == "symlink-loop":
        iso.config.parent.mkdir(parents=True)
        iso.config.symlink_to(iso.config.name)
        locs = iso.locs
    else:
        blocker = tmp_path / "a-file"
        blocker.write_text("mine\n")
        locs = iso.locs.replace(config_path=str(blocker / "lumogon" / "config.toml"))
    with pytest.raises(ConfigError) as caught:
        record_choice(SPEC, locs, enabled=False, via="test")
    message = str(caught.value)
    assert str(locs.config_file) in message and "nothing was changed" in message
    assert "XDG_CONFIG_HOME" in message  # what to do, not only what happened
    why = "Too many levels of symbolic links" if kind == "symlink-loop" else "Not a directory"
    assert (
        caught.value.message == f"cannot inspect {locs.config_file} ({why}), so nothing was changed"
    )
    assert caught.value.path == str(locs.config_file)
    assert (
        caught.value.hint == "fix what is at that path, or set XDG_CONFIG_HOME to another directory"
    )


@pytest.mark.parametrize(("existing", "mode"), [(None, 0o644), (0o600, 0o600), (0o640, 0o640)])
def test_config_writes_keep_or_set_the_mode(
    tmp_path: Path, existing: int | None, mode: int
) -> None:
    path = tmp_path / "config.toml"
    if existing is not None:
        path.write_text("# mine\n")
        path.chmod(existing)
    result = update_telemetry(path, {"enabled": False})
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert result.backup is None
    assert b"enabled = false" in path.read_bytes()


def test_a_host_command_never_waits_for_another_writer(tmp_path: Path) -> None:
    from consent._errors import LockTimeoutError
    from consent._store.fileio import locked

    path = tmp_path / "config.toml"
    path.write_text("# mine\n")
    # Another writer holds the lock, mid-write.
    with locked(tmp_path / ".config.toml.lock"), pytest.raises(LockTimeoutError) as caught:
        update_telemetry(path, {"enabled": False}, timeout=0.05)
    assert "for 50 ms" in str(caught.value)
    assert path.read_text() == "# mine\n"
    update_telemetry(path, {"enabled": False}, timeout=0.05)  # free again: written
    assert "enabled = false" in path.read_text()


def test_a_config_at_the_size_limit_is_read_and_kept(tmp_path: Path) -> None:
    from consent._store.tomlread import MAX_BYTES

    path = tmp_path / "config.toml"
    head = b"[other]\nk = 1\n"
    data = head + b"#" + b"x" * (MAX_BYTES - len(head) - 2) + b"\n"
    assert len(data) == MAX_BYTES
    path.write_bytes(data)
    result = update_telemetry(path, {"enabled": True})
    assert result.backup is None
    assert path.read_bytes().startswith(data)


def test_a_special_file_is_refused_saying_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    os.mkfifo(path)
    with pytest.raises(ConfigError) as caught:
        update_telemetry(path, {"enabled": False})
    assert caught.value.message == (
        f"{path} is not a regular file, so the telemetry choice cannot be recorded there"
    )
    assert caught.value.path == str(path)
    assert caught.value.hint == "move it away (nothing was changed) and run the command again"


def test_a_config_that_can_be_neither_read_nor_moved_is_left_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consent._store.tomlread import MAX_BYTES

    path = tmp_path / "config.toml"
    data = b"#" * (MAX_BYTES + 1)
    path.write_bytes(data)

    def no_rename(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(os, "rename", no_rename)
    with pytest.raises(ConfigError) as caught:
        update_telemetry(path, {"enabled": False})
    assert caught.value.message == (
        f"{path} cannot be read and cannot be moved aside (Permission denied)"
    )
    assert caught.value.path == str(path)
    assert caught.value.hint == "fix its permissions, then run the command again"
    assert path.read_bytes() == data


@pytest.mark.parametrize("failing", ["open", "fsync"])
def test_a_backup_that_cannot_be_written_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"not [ toml\n")
    real_open = os.open
    full = OSError(28, "No space left on device")

    def disk_full_for_backups(name: object, *args: object, **kwargs: object) -> int:
        if failing == "open" and ".bak-" in os.fspath(name):  # type: ignore[call-overload]
            raise full
        return real_open(name, *args, **kwargs)  # type: ignore[arg-type]

    def disk_full_at_sync(fd: int) -> None:
        raise full  # the backup is the first file synced: its bytes did not fit

    monkeypatch.setattr(os, "open", disk_full_for_backups)
    if failing == "fsync":
        monkeypatch.setattr(os, "fsync", disk_full_at_sync)
    with pytest.raises(ConfigError) as caught:
        update_telemetry(path, {"enabled": False})
    target = os.path.realpath(path)
    assert caught.value.message == (
        f"{target} is not valid and a backup of it could not be written (No space left on device)"
    )
    assert caught.value.path == target
    assert caught.value.hint == "nothing was changed"
    assert path.read_bytes() == b"not [ toml\n"
    # A backup begun and not finished is removed: no half copy beside the config.
    assert [p.name for p in tmp_path.iterdir() if ".bak-" in p.name] == []


def test_a_backup_is_synced_whole_and_owned_like_the_config(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config.toml"
    data = b"not [ toml\n"
    path.write_bytes(data)
    if os.geteuid() == 0:  # only root can give a file away (`sudo lumogon telemetry ...`)
        os.chown(path, 4321, 4322)
    real_fsync = os.fsync
    synced: list[int] = []

    def fsync(fd: int) -> None:
        synced.append(os.fstat(fd).st_size)  # what the disk is asked to keep
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    result = update_telemetry(path, {"enabled": False})
    assert result.backup is not None and result.backup.read_bytes() == data
    # The backup's bytes are in it when it is synced, before the config is replaced.
    assert synced[0] == len(data)
    if os.geteuid() == 0:
        st = result.backup.stat()
        assert (st.st_uid, st.st_gid) == (4321, 4322)


def test_a_directory_or_file_that_cannot_be_written_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consent._store import configwrite

    # Made here: root (which the suite may run as) writes whatever the modes say.
    def refused(*args: object) -> None:
        raise PermissionError(13, "Permission denied")

    def full(*args: object) -> None:
        raise OSError(28, "No space left on device")

    path = Path(os.path.realpath(tmp_path)) / "new" / "config.toml"
    with monkeypatch.context() as patch:
        patch.setattr(configwrite, "make_dirs", refused)
        with pytest.raises(ConfigError) as caught:
            update_telemetry(path, {"enabled": False})
    assert caught.value.message == (
        f"cannot create the config directory {path.parent} (Permission denied)"
    )
    assert caught.value.path == str(path.parent)
    assert caught.value.hint == "set XDG_CONFIG_HOME to a writable directory or fix its permissions"
    assert not path.parent.exists()

    path = tmp_path / "config.toml"
    path.write_bytes(b"# mine\n")
    monkeypatch.setattr(configwrite, "atomic_write", full)
    with pytest.raises(ConfigError) as caught:
        update_telemetry(path, {"enabled": False})
    assert caught.value.message == f"cannot write {path} (No space left on device)"
    assert caught.value.path == str(path)
    assert caught.value.hint == (
        "make its directory writable, or set XDG_CONFIG_HOME to a writable directory"
    )
    assert path.read_bytes() == b"# mine\n"


def test_a_write_clears_what_a_killed_writer_left_and_nothing_else(tmp_path: Path) -> None:
    from consent._store.fileio import _TMP_PREFIX

    stale = tmp_path / f"{_TMP_PREFIX}killed"
    stale.write_bytes(b"half a config")
    os.utime(stale, (1, 1))
    busy = tmp_path / f"{_TMP_PREFIX}writing"  # another writer's, mid-write
    busy.write_bytes(b"half")
    update_telemetry(tmp_path / "config.toml", {"enabled": True})
    assert not stale.exists()
    assert busy.read_bytes() == b"half"


def test_a_config_the_reader_refuses_is_kept_as_a_backup(tmp_path: Path) -> None:
    # tomlkit reads it, the reader does not (a key of 17 dotted parts, beyond its cap): left in
    # place, the choice just written would never be read.
    path = tmp_path / "config.toml"
    data = b"[other]\n" + b".".join([b"k"] * 17) + b" = 1\n"
    path.write_bytes(data)
    result = update_telemetry(path, {"enabled": True})
    assert result.backup is not None and result.backup.read_bytes() == data
    assert parse_toml(path.read_bytes()) == {"telemetry": {"enabled": True}}


def test_a_change_of_a_file_with_bad_keys_keeps_none_of_its_managed_keys(tmp_path: Path) -> None:
    from consent._core.records import ConsentRecord

    path = tmp_path / "config.toml"
    data = b'[telemetry]\nenabled = "yes"\nnotice_version = "3"\ndecided_via = "old"\n[o]\nk = 1\n'
    path.write_bytes(data)
    seen: list[ConsentRecord] = []

    def change(current: ConsentRecord) -> dict[str, object]:
        seen.append(current)
        return {"notice_shown_version": "4"}

    result = update_telemetry(path, change)
    assert seen == [ConsentRecord()]  # a file with bad keys records no choice
    assert result.backup is not None and result.backup.read_bytes() == data
    # Its well-typed managed keys went with the bad one: they described a choice no longer read.
    assert parse_toml(path.read_bytes()) == {
        "telemetry": {"notice_shown_version": "4"},
        "o": {"k": 1},
    }


def test_a_config_that_grows_past_the_limit_as_it_is_read_is_kept_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consent._store import configwrite
    from consent._store.tomlread import MAX_BYTES

    path = tmp_path / "config.toml"
    path.write_bytes(b"[other]\nk = 1\n")
    grown = b"[other]\nk = 1\n#" + b"x" * MAX_BYTES + b"\n"
    real = configwrite.read_regular

    def saved_meanwhile(name: Path, limit: int, *, follow: bool) -> bytes:
        path.write_bytes(grown)  # an editor saves between the size check and the read
        return real(name, limit, follow=follow)

    monkeypatch.setattr(configwrite, "read_regular", saved_meanwhile)
    result = update_telemetry(path, {"enabled": False})
    assert result.backup is not None and result.backup.read_bytes() == grown


def test_a_config_swapped_for_a_link_as_it_is_written_is_never_read_through(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consent._store import configwrite

    secret = tmp_path / "secret.toml"
    secret.write_bytes(b'[secret]\ntoken = "s3cret"\n')
    path = tmp_path / "config.toml"
    path.write_bytes(b"# mine\n")

    def swapped(directory: Path) -> None:  # after the path was resolved, under the lock
        path.unlink()
        path.symlink_to(secret)

    monkeypatch.setattr(configwrite, "remove_stale_temps", swapped)
    result = update_telemetry(path, {"enabled": False})
    assert b"s3cret" not in path.read_bytes()
    assert result.backup is not None and os.readlink(result.backup) == str(secret)
    assert secret.read_bytes() == b'[secret]\ntoken = "s3cret"\n'


def test_backups_made_in_the_same_second_get_their_own_names(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consent._store import configwrite

    monkeypatch.setattr(configwrite, "utc_compact", lambda: "20261201T120000Z")
    path = tmp_path / "config.toml"
    for n in range(3):
        path.write_bytes(b"broken %d [\n" % n)
        update_telemetry(path, {"enabled": False})
    names = sorted(p.name for p in tmp_path.iterdir() if ".bak-" in p.name)
    stamp = "config.toml.bak-20261201T120000Z"
    assert names == [stamp, f"{stamp}-1", f"{stamp}-2"]
    for n, name in enumerate(names):
        assert (tmp_path / name).read_bytes() == b"broken %d [\n" % n
