"""A consent receipt byte for byte, and every way its file can be read or refused, in-process
(issue 24: what the stronger mutants of scripts/mutate.py found untested in
consent/_store/receipts.py). The chain and the commands are tests/store/test_receipts.py's."""

from __future__ import annotations

import json
import os
import stat
import uuid
from pathlib import Path

import pytest

from consent._core.jsonline import dumps
from consent._errors import LockTimeoutError
from consent._store import receipts
from consent._store.fileio import locked
from lumogon import SPEC

RID = "6f1c0e8e-6d5f-4d6c-9a5e-1c2b3a4d5e6f"
STAMP = "2026-12-01T10:00:00Z"


@pytest.fixture
def fixed(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every receipt gets the same id and time, so a receipt can be compared whole."""
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(RID))
    monkeypatch.setattr(receipts, "utc_stamp", lambda: STAMP)


def expected(action: str, changed: list[str], previous: str | None) -> dict[str, object]:
    record: dict[str, object] = {
        "schema": "consent-receipt/2 (ISO/IEC TS 27560:2023 shaped)",
        "receipt_id": RID,
        "timestamp": STAMP,
        "app": {"name": "lumogon", "display_name": "Lumogon", "version": SPEC.version},
        "controller": {"name": SPEC.controller, "contact": SPEC.contact},
        "notice": {
            "version": SPEC.notice_version,
            "date": SPEC.notice_date,
            "homepage": SPEC.homepage,
            "shown_by": "lumogon telemetry notice",
        },
        "legal_basis": SPEC.legal_basis,
        "purposes": [
            {
                "purpose": p.description,
                "name": p.name,
                "fields": list(SPEC.purpose_fields(p.name)),
                "events": [e.name for e in SPEC.purpose_events(p.name)],
                "changed": p.name in changed,
            }
            for p in SPEC.all_purposes
        ],
        "purposes_changed": changed,
        "recipients": SPEC.recipients,
        "retention": SPEC.retention,
        "mode": "opt-out",
        "action": action,
        "state": {
            "given": "enabled",
            "refused": "disabled",
            "withdrawn": "disabled",
            "notified": "notice shown",
            "local": "local only",
        }[action],
        "method": "command",
        "expressed": "lumogon telemetry enable",
        "previous_sha256": previous,
    }
    record["record_sha256"] = receipts.sha256_hex(dumps(record).encode("ascii"))
    return record


@pytest.mark.parametrize("action", ["given", "refused", "withdrawn", "notified", "local"])
def test_a_receipt_whole(action: str, fixed: None, tmp_path: Path) -> None:
    path = tmp_path / "state" / "consent-receipts.jsonl"
    names = list(SPEC.purpose_names)
    first = receipts.append(
        SPEC, str(path), action=action, method="command", expressed="lumogon telemetry enable"
    )
    assert first == expected(action, names, None)
    second = receipts.append(
        SPEC,
        str(path),
        action=action,
        method="command",
        expressed="lumogon telemetry enable",
        changed=(names[0],),
    )
    line = path.read_bytes().split(b"\n")[0]
    assert second == expected(action, [names[0]], receipts.sha256_hex(line))
    assert path.read_bytes() == b"".join(dumps(r).encode() + b"\n" for r in (first, second))


def test_the_file_its_directory_and_its_lock(tmp_path: Path) -> None:
    path = tmp_path / "new" / "consent-receipts.jsonl"
    open_before = len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else 0
    receipts.append(SPEC, str(path), action="given", method="command", expressed="x")
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(path.parent)) == [".consent-receipts.jsonl.lock", path.name]
    if open_before:
        assert len(os.listdir("/proc/self/fd")) == open_before  # no descriptor left open


def test_a_held_chain_is_waited_for_as_long_as_asked(tmp_path: Path) -> None:
    path = tmp_path / "consent-receipts.jsonl"
    with locked(tmp_path / ".consent-receipts.jsonl.lock"), pytest.raises(LockTimeoutError) as held:
        receipts.append(SPEC, str(path), action="given", method="m", expressed="x", timeout=0.05)
    assert held.value.waited == 0.05


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="needs root")
def test_as_root_the_file_stays_its_directorys_owners(tmp_path: Path) -> None:
    """`sudo lumogon telemetry enable` keeps $HOME: the receipts stay the user's."""
    folder = tmp_path / "state"
    folder.mkdir()
    os.chown(folder, 4321, 4321)
    path = folder / "consent-receipts.jsonl"
    receipts.append(SPEC, str(path), action="given", method="m", expressed="x")
    assert (path.stat().st_uid, path.stat().st_gid) == (4321, 4321)


@pytest.mark.parametrize(
    ("before", "lines"),
    [
        (b"", 1),
        (b"\n\n", 1),  # only blank lines: no previous receipt
        (b'{"cut": ', 2),  # a line cut by a crash: the new receipt starts on its own line
    ],
)
def test_appending_after_what_is_there(before: bytes, lines: int, tmp_path: Path) -> None:
    path = tmp_path / "consent-receipts.jsonl"
    path.write_bytes(before)
    record = receipts.append(SPEC, str(path), action="given", method="m", expressed="x")
    kept = receipts.read(str(path))
    assert len(kept) == lines and json.loads(kept[-1]) == record
    expected_previous = receipts.sha256_hex(before) if before.strip() else None
    assert record["previous_sha256"] == expected_previous
    assert path.read_bytes().startswith(before)


def test_the_newest_receipt_is_named(tmp_path: Path) -> None:
    path = tmp_path / "consent-receipts.jsonl"
    assert receipts.latest_id(str(path)) is None
    receipts.append(SPEC, str(path), action="given", method="m", expressed="x")
    newest = receipts.append(SPEC, str(path), action="withdrawn", method="m", expressed="y")
    assert receipts.latest_id(str(path)) == newest["receipt_id"]
    with path.open("ab") as fh:
        fh.write(b'{"receipt_id": 5}\n')  # not a receipt id
    assert receipts.latest_id(str(path)) is None


def test_the_size_cap_exactly(tmp_path: Path) -> None:
    path = tmp_path / "consent-receipts.jsonl"
    with open(path, "wb") as fh:
        fh.truncate(16 * 1024 * 1024)  # at the cap: read
    assert len(receipts.read(str(path))) == 1
    with open(path, "ab") as fh:
        fh.write(b"\n")  # one byte over
    with pytest.raises(OSError) as caught:
        receipts.read(str(path))
    assert caught.value.strerror == "is larger than 16 MiB"
    assert receipts.problem(str(path), caught.value) == f"{path} is larger than 16 MiB"


@pytest.mark.parametrize(
    ("make", "said"),
    [
        (lambda p: p.mkdir(), "is a directory"),
        (os.mkfifo, "is not a regular file"),
        (lambda p: p.symlink_to(p.parent / "nowhere"), "is a symbolic link, not a regular file"),
    ],
)
def test_what_is_wrong_at_the_path_in_words(make: object, said: str, tmp_path: Path) -> None:
    path = tmp_path / "consent-receipts.jsonl"
    make(path)  # type: ignore[operator]
    with pytest.raises(OSError) as caught:
        receipts.read(str(path))
    assert caught.value.filename == str(path)
    assert receipts.problem(str(path), caught.value) == f"{path} {said}"


def chain(tmp_path: Path, n: int) -> list[bytes]:
    path = tmp_path / "consent-receipts.jsonl"
    for i in range(n):
        receipts.append(SPEC, str(path), action="given", method="m", expressed=str(i))
    return receipts.read(str(path))


def test_each_verdict_in_words(tmp_path: Path) -> None:
    lines = chain(tmp_path, 3)
    ids = [json.loads(line)["receipt_id"] for line in lines]
    assert receipts.check(lines) == receipts.Verdict(3)
    # Re-spaced: the same content, other bytes.
    spaced = json.dumps(json.loads(lines[1]), sort_keys=True, indent=1).replace("\n", " ")
    assert receipts.check([lines[0], spaced.encode(), lines[2]]) == receipts.Verdict(
        3, 2, ids[1], "its bytes are not the canonical form written"
    )
    record = json.loads(lines[1])
    record["expressed"] = "changed"
    assert receipts.check([lines[0], dumps(record).encode(), lines[2]]) == receipts.Verdict(
        3, 2, ids[1], "its content does not match its own hash"
    )
    assert receipts.check(lines[1:]) == receipts.Verdict(
        2, 1, ids[1], "it follows a receipt that is no longer in the file"
    )
    assert receipts.check([lines[0], lines[2]]) == receipts.Verdict(
        2,
        1,
        ids[0],
        "receipt 2 records a different hash for it: it was changed after receipt 2 was "
        "written, or a receipt between them was removed",
    )


@pytest.mark.parametrize(
    ("line", "rid"),
    [
        (b'"receipt_id": "' + RID.encode() + b'", "cut', RID),  # the key first on the line
        (b'{"receipt_id": "\xff\xfe' + b"a" * 40, "\ufffd\ufffd" + "a" * 34),  # not ASCII
        (b"garbage", ""),
    ],
)
def test_a_line_that_is_no_record_is_named_by_what_id_it_holds(line: bytes, rid: str) -> None:
    verdict = receipts.check([line])
    assert verdict == receipts.Verdict(1, 1, rid, "it is not a JSON record (edited or cut)")


def test_a_chain_is_anchored_by_the_head_the_config_records(tmp_path: Path) -> None:
    lines = chain(tmp_path, 3)
    ids = [json.loads(line)["receipt_id"] for line in lines]
    heads = [receipts.sha256_hex(line) for line in lines]
    # What append wrote is what line_hash names: the config records it as the head.
    assert receipts.line_hash(json.loads(lines[2])) == heads[2]
    for head in (None, "", heads[2], heads[0]):  # an older head: a newer change kept no config
        assert receipts.anchored(lines, head) == receipts.Verdict(3)
    cut = receipts.anchored(lines[:2], heads[2])
    assert cut == receipts.Verdict(
        2,
        missing=f"the config records receipt sha256:{heads[2][:16]}… as the newest, but the "
        f"file ends at receipt 2 ({ids[1]}): the newest receipts were removed (or the file was "
        "replaced)",
    )
    assert not cut.ok
    assert receipts.anchored([], heads[2]).missing == (
        f"the config records receipt sha256:{heads[2][:16]}… as the newest, but the file is "
        "empty or missing: the newest receipts were removed (or the file was replaced)"
    )
    # A chain already broken is named by its first bad record, not by what is missing.
    broken = receipts.anchored([lines[0], lines[2]], heads[1])
    assert (broken.bad, broken.missing) == (1, "")


def test_a_chain_whose_last_record_holds_no_id(tmp_path: Path) -> None:
    """Hand-made, yet a chain: the message names where it ends, without an id."""
    body = {"action": "given"}
    line = dumps({**body, "record_sha256": receipts.sha256_hex(dumps(body).encode())}).encode()
    assert receipts.check([line]) == receipts.Verdict(1)
    assert receipts.anchored([line], "ab" * 32).missing.startswith(
        "the config records receipt sha256:abababababababab… as the newest, but the file ends "
        "at receipt 1: the newest"
    )
