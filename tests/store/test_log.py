"""The capped local log of hits handed to the sender."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from consent._core.names import LOG_MAX_BYTES as MAX_BYTES
from consent._store.log import append, entries, older, rotate, scrub


def test_log_is_capped_and_merges_outcomes(tmp_path: Path) -> None:
    log = tmp_path / "state" / "log.jsonl"
    big = "x" * 400
    for i in range(2 * MAX_BYTES // 400):
        append(
            log,
            {
                "id": f"h{i}",
                "time": "t",
                "event": "screenview",
                "pad": big,
                "outcome": "handed to sender",
            },
        )
    append(log, {"id": "h0-late", "time": "t", "outcome": "sent: HTTP 200"})
    older = log.with_name(log.name + ".1")
    assert log.stat().st_size + older.stat().st_size <= MAX_BYTES + 1024
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    last = f"h{2 * MAX_BYTES // 400 - 1}"
    append(log, {"id": last, "time": "t2", "outcome": "sent: HTTP 204"})
    merged = {e["id"]: e for e in entries(log)}
    assert merged[last]["outcome"] == "sent: HTTP 204" and merged[last]["event"] == "screenview"
    log.write_bytes(log.read_bytes() + b'{"id": "cut-by-a-cr')  # a line cut by a crash
    assert entries(log)


def test_appends_are_whole_lines_one_after_another(tmp_path: Path) -> None:
    log = tmp_path / "state" / "log.jsonl"
    first, second = {"id": "a", "outcome": "handed to sender"}, {"id": "b", "time": "t"}
    assert append(log, first) is True
    assert append(log, second) is True
    assert log.read_bytes() == dumps_line(first) + dumps_line(second)
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    log.write_bytes(b'{"id": "cut-by-a-cra')  # a crash cut the last line: the next starts afresh
    assert append(log, second) is True
    assert log.read_bytes() == b'{"id": "cut-by-a-cra\n' + dumps_line(second)


def dumps_line(record: dict[str, object]) -> bytes:
    from consent._core.jsonline import dumps

    return (dumps(record) + "\n").encode("ascii")


def test_what_cannot_be_written_is_false_never_an_error(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.mkdir()  # not a file
    assert append(log, {"id": "a"}) is False
    (tmp_path / "file").write_text("")
    assert append(tmp_path / "file" / "log.jsonl", {"id": "a"}) is False  # its dir is a file


@pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0, reason="only root can give files away"
)
def test_under_sudo_the_log_is_owned_like_its_parent(tmp_path: Path) -> None:
    """`sudo lumogon …` with the person's HOME: the directories and the log it makes belong to
    the owner of the directory they are made in, not to root."""
    home = tmp_path / "home"
    home.mkdir()
    os.chown(home, 4321, 4321)
    log = home / "state" / "app" / "log.jsonl"
    assert append(log, {"id": "a"})
    for made in (home / "state", log.parent, log):
        assert (made.stat().st_uid, made.stat().st_gid) == (4321, 4321), made
    assert stat.S_IMODE((home / "state").stat().st_mode) == 0o700


def test_a_generation_is_started_past_half_the_cap_not_before(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    record = {"id": "last"}
    line = dumps_line(record)
    fill = b"#" * (MAX_BYTES // 2 - len(line) - 1) + b"\n"
    log.write_bytes(fill)
    assert append(log, record)  # exactly half the cap: kept
    assert log.stat().st_size == MAX_BYTES // 2 and not Path(older(log)).exists()
    assert append(log, {"id": "next"})  # past half: this generation becomes the older one
    assert Path(older(log)).read_bytes() == fill + line + dumps_line({"id": "next"})
    assert not log.exists()
    assert [e["id"] for e in entries(log)] == ["last", "next"]


def test_rotate_moves_a_log_only_past_half_the_cap(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    log.write_bytes(b"x" * (MAX_BYTES // 2))
    rotate(str(log))
    assert log.exists() and not Path(older(log)).exists()
    log.write_bytes(b"x" * (MAX_BYTES // 2 + 1))
    rotate(str(log))
    assert not log.exists() and Path(older(log)).stat().st_size == MAX_BYTES // 2 + 1


def test_entries_show_the_newest_cap_of_each_generation(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    lines = [dumps_line({"id": f"h{i:03}", "payload": "x" * 999}) for i in range(100)]
    for name in (older(log), log):
        Path(name).write_bytes(b"".join(lines))
    assert log.stat().st_size > MAX_BYTES
    shown = [e["id"] for e in entries(log)]
    assert shown[-1] == "h099"
    # Both generations have the same ids: the entries are the lines of the newest cap.
    assert sum(len(line) for line in lines[-len(shown) :]) <= MAX_BYTES
    assert sum(len(line) for line in lines[-len(shown) - 1 :]) > MAX_BYTES  # and all of them


def test_a_log_is_never_read_through_a_link(tmp_path: Path) -> None:
    real = tmp_path / "real.jsonl"
    real.write_bytes(dumps_line({"id": "elsewhere"}))
    (tmp_path / "log.jsonl").symlink_to(real)
    assert entries(tmp_path / "log.jsonl") == []


def test_an_entry_is_its_hit_with_the_latest_outcome_merged_in(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    text = {
        "id": "h1",
        "time": "t1",
        "event": "screenview",
        "purpose": "usage",
        "url": "https://example.invalid/collect",
        "outcome": "handed to sender",
        "payload": "v=1",
        "request": "POST /collect",
    }
    hit = {"cmd": "scan", "n": 3, "flag": True, "ratio": 0.5, "nested": {"a": 1}, "none": None}
    old = {**text, "client_id": "4b8a…", "hit": hit, "local": True, "extra": "dropped"}
    log.write_bytes(
        dumps_line(old)
        + dumps_line({"id": "h1", "time": "t2", "outcome": "sent: HTTP 204", "event": "x"})
        + dumps_line({"id": "h1", "time": "t3", "outcome": "sent: HTTP 200", "outcome_at": "x"})
        + dumps_line({"id": "h1", "purpose": "usage"})  # no outcome: merged as it is
        + dumps_line({"id": "h2", "time": "t4", "local": "yes", "hit": []})
        + dumps_line({"id": 7, "time": "t5"})
        + b"[1, 2]\n"
    )
    assert entries(log) == [
        {
            **text,
            "outcome": "sent: HTTP 200",
            "outcome_at": "t3",
            "hit": {"cmd": "scan", "n": 3},
            "local": True,
        },
        {"id": "h2", "time": "t4"},
    ]
    assert entries(tmp_path / "none.jsonl") == []


ID = "4b8a1f4e-6d2c-4a3b-9f1e-0c2d3e4f5a6b"


def test_scrub_replaces_the_id_in_both_generations_and_drops_client_id(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    kept = dumps_line({"id": "h0", "outcome": "sent: HTTP 204"})
    # The older generation holds no id, only the key earlier senders wrote: dropped all the same.
    Path(older(log)).write_bytes(kept + dumps_line({"id": "h1", "client_id": "old", "n": 2}))
    log.write_bytes(
        dumps_line({"id": "h2", "request": f"POST /?cid={ID}", "hit": [ID, 3, True]})
        + dumps_line({"id": "h3", "hit": {"cid": ID, "n": 2}})
        + dumps_line(["x", ID])  # JSON, not a record
        + b'{"id": "cut", "cid": "'
        + ID.encode()
        + b"\n"
    )
    assert scrub(log, ID, "[deleted]") is True
    assert Path(older(log)).read_bytes() == kept + dumps_line({"id": "h1", "n": 2})
    assert log.read_bytes() == (
        dumps_line({"id": "h2", "request": "POST /?cid=[deleted]", "hit": ["[deleted]", 3, True]})
        + dumps_line({"id": "h3", "hit": {"cid": "[deleted]", "n": 2}})
        + dumps_line(["x", "[deleted]"])
        + b'{"id": "cut", "cid": "[deleted]\n'
    )
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(Path(older(log)).stat().st_mode) == 0o600


def test_scrub_leaves_what_holds_no_id(tmp_path: Path) -> None:
    log = tmp_path / "log.jsonl"
    assert scrub(log, ID, "[deleted]") is False  # no log
    assert list(tmp_path.iterdir()) == []  # and nothing made: not even the lock
    content = b'{"id": "h1",  "outcome": "sent"}\n'  # not as dumps writes it: left as it is
    log.write_bytes(content)
    assert scrub(log, ID, "[deleted]") is False
    assert scrub(log, "", "[deleted]") is False
    assert log.read_bytes() == content and not Path(older(log)).exists()
    log.write_bytes(content + ID.encode() + b"\n")
    assert scrub(log, "", "[deleted]") is False  # no id given: nothing to look for
    assert scrub(log, ID, "[deleted]") is True
    assert log.read_bytes() == dumps_line({"id": "h1", "outcome": "sent"}) + b"[deleted]\n"
    assert not Path(older(log)).exists()


def test_rotate_never_moves_what_is_not_a_file(tmp_path: Path) -> None:
    """A directory at the log's path (put there after an append), however large, stays."""
    log = tmp_path / "log.jsonl"
    log.mkdir()
    for i in range(140):  # long names: the directory grows past half the cap (ext4, tmpfs)
        (log / (f"{i:03}" + "x" * 250)).touch()
    if log.stat().st_size <= MAX_BYTES // 2:
        pytest.skip("directories stay small on this file system")
    rotate(str(log))
    assert log.is_dir() and not Path(older(log)).exists()


@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc/self/fd")
def test_appending_and_reading_leave_no_descriptor_open(tmp_path: Path) -> None:
    """A long-running host appends for as long as it runs."""
    log = tmp_path / "log.jsonl"
    append(log, {"id": "first"})
    before = len(os.listdir("/proc/self/fd"))
    for i in range(5):
        append(log, {"id": f"h{i}"})
        entries(log)
    assert len(os.listdir("/proc/self/fd")) == before


def test_a_user_who_is_not_root_gets_a_private_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The tests may run as root: the process's effective uid is what append asks."""
    monkeypatch.setattr(os, "geteuid", lambda: 4321)
    log = tmp_path / "state" / "log.jsonl"
    assert append(log, {"id": "a"}) is True
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700
    assert [e["id"] for e in entries(log)] == ["a"]
