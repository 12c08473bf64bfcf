"""Consent receipts: one per change of consent, hash-chained, verified, kept without the id."""

from __future__ import annotations

import itertools
import json
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from consent._notice.status import SCHEMA_VERSION
from consent._store import identity, receipts
from consent._store.choices import record_choice, record_notice_shown
from lumogon import SPEC
from tests.helpers import Iso, run_lumogon


def lines(iso: Iso) -> list[bytes]:
    return receipts.read(iso.locs.receipts_path)


def test_every_change_of_consent_adds_one_receipt(iso: Iso) -> None:
    assert run_lumogon(iso, "telemetry", "enable").returncode == 0
    assert run_lumogon(iso, "telemetry", "disable").returncode == 0
    record_notice_shown(SPEC, iso.locs)  # the first-run notice (opt-out)
    record_choice(SPEC, iso.locs, enabled=True, via="prompt")  # a question answered yes
    record_choice(SPEC, iso.locs, enabled=False, via="prompt")  # … and no
    found = receipts.records(iso.locs.receipts_path)
    assert [(r["action"], r["method"], r["expressed"]) for r in found] == [
        ("given", "command", "lumogon telemetry enable"),
        ("withdrawn", "command", "lumogon telemetry disable"),
        ("notified", "first-run notice", "the first-run notice, shown on the terminal"),
        ("given", "prompt", "the first-run question"),
        ("refused", "prompt", "the first-run question"),
    ]
    first = found[0]
    assert first["controller"] == {"name": SPEC.controller, "contact": SPEC.contact}
    assert first["notice"]["version"] == SPEC.notice_version
    assert first["notice"]["date"] == SPEC.notice_date
    assert first["purposes"][0]["purpose"] == SPEC.all_purposes[0].description
    assert first["app"] == {"name": "lumogon", "display_name": "Lumogon", "version": "0.1.0"}
    assert first["previous_sha256"] is None
    assert receipts.verify(iso.locs.receipts_path).ok


def test_the_file_is_private_and_in_the_state_dir(iso: Iso) -> None:
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    path = Path(iso.locs.receipts_path)
    assert path.parent == iso.locs.log_file.parent  # the user state directory
    if os.name == "posix":
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_each_record_links_to_the_exact_previous_line(iso: Iso) -> None:
    for enabled in (True, False, True):
        record_choice(SPEC, iso.locs, enabled=enabled, via="test")
    raw = lines(iso)
    for before, after in itertools.pairwise(raw):
        assert json.loads(after)["previous_sha256"] == receipts.sha256_hex(before)


def chain_of_four(iso: Iso) -> bytes:
    for enabled in (True, False, True, False):
        record_choice(SPEC, iso.locs, enabled=enabled, via="test")
    return Path(iso.locs.receipts_path).read_bytes()


def test_editing_any_byte_of_an_earlier_receipt_names_it(iso: Iso) -> None:
    data = chain_of_four(iso)
    start = data.index(b"\n") + 1  # the second receipt
    end = data.index(b"\n", start)
    rid = json.loads(data[start:end])["receipt_id"]
    id_at = data.index(rid.encode(), start)
    for offset in range(start, end):
        changed = b"x" if data[offset : offset + 1] != b"x" else b"y"
        verdict = receipts.check(receipts.split(data[:offset] + changed + data[offset + 1 :]))
        assert verdict.bad == 2, (offset, verdict)
        # Named by number always, and by its id unless the edit hit the id or its key.
        if not id_at - 16 <= offset < id_at + len(rid):
            assert verdict.receipt_id == rid, (offset, verdict)


def test_verify_on_the_command_line(iso: Iso) -> None:
    data = chain_of_four(iso)
    ok = run_lumogon(iso, "telemetry", "receipts", "--verify")
    assert ok.returncode == 0 and "4 receipt(s), chain intact" in ok.stdout
    path = Path(iso.locs.receipts_path)
    path.write_bytes(data.replace(b'"action": "withdrawn"', b'"action": "given"', 1))
    bad = run_lumogon(iso, "telemetry", "receipts", "--verify")
    rid = receipts.records(str(path))[1]["receipt_id"]
    assert bad.returncode == 1
    assert f"receipt 2 of 4 ({rid}) does not match" in bad.stdout
    assert "Traceback" not in bad.stderr


def test_a_removed_or_rewritten_receipt_is_named_by_its_successor(iso: Iso) -> None:
    data = chain_of_four(iso)
    path = Path(iso.locs.receipts_path)
    raw = data.split(b"\n")
    path.write_bytes(b"\n".join([raw[0], raw[2], raw[3], b""]))  # the second one removed
    verdict = receipts.verify(str(path))
    assert verdict.bad == 1 and "removed" in verdict.problem
    path.write_bytes(b"\n".join(raw[1:]))  # the first one removed
    assert receipts.verify(str(path)).bad == 1


def test_listing_and_json(iso: Iso) -> None:
    empty = run_lumogon(iso, "telemetry", "receipts")
    assert empty.returncode == 0 and "No consent receipts yet" in empty.stdout
    record_choice(SPEC, iso.locs, enabled=True, via="command: lumogon telemetry enable")
    listed = run_lumogon(iso, "telemetry", "receipts")
    (only,) = receipts.records(iso.locs.receipts_path)
    assert only["receipt_id"] in listed.stdout and "given" in listed.stdout
    as_json = json.loads(run_lumogon(iso, "telemetry", "receipts", "--json").stdout)
    assert as_json == [only]


def test_status_json_carries_the_latest_receipt(iso: Iso) -> None:
    none = json.loads(run_lumogon(iso, "telemetry", "status", "--json").stdout)
    assert none["schema"] == SCHEMA_VERSION >= 2 and none["latest_receipt"] is None
    run_lumogon(iso, "telemetry", "enable")
    run_lumogon(iso, "telemetry", "disable")
    data = json.loads(run_lumogon(iso, "telemetry", "status", "--json").stdout)
    assert data["latest_receipt"] == receipts.records(iso.locs.receipts_path)[-1]["receipt_id"]
    assert data["latest_receipt"] in run_lumogon(iso, "telemetry", "status").stdout


def test_receipts_hold_no_id_and_outlive_it(iso: Iso) -> None:
    run_lumogon(iso, "telemetry", "enable")
    client_id = identity.load_or_create(SPEC, iso.locs).value
    assert client_id
    run_lumogon(iso, "telemetry", "disable")
    assert identity.load(SPEC, iso.locs).where == "none"  # the id is gone …
    data = Path(iso.locs.receipts_path).read_text()
    assert len(data.splitlines()) == 2  # … the receipts are kept
    assert client_id not in data


def test_receipts_are_never_sent(iso: Iso) -> None:
    # Receipts are built from the spec alone: nothing on the sending path reads them.
    sending = ("consent/_wire/gate.py", "consent/_wire/job.py", "consent/_wire/sender.py")
    root = Path(__file__).resolve().parents[2]
    for name in sending:
        assert "receipts" not in (root / name).read_text()


CHANGE = """
import sys
from consent._store.choices import record_choice
from consent._store.paths import locations
from lumogon import SPEC
record_choice(SPEC, locations(SPEC), enabled=sys.argv[1] == "1", via="test: concurrent")
"""


@pytest.mark.slow
def test_fifty_concurrent_changes_leave_a_valid_chain(iso: Iso) -> None:
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", CHANGE, str(i % 2)],
            env=iso.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for i in range(50)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    verdict = receipts.verify(iso.locs.receipts_path)
    assert verdict.ok and verdict.count == 50, verdict
    ids = {r["receipt_id"] for r in receipts.records(iso.locs.receipts_path)}
    assert len(ids) == 50
