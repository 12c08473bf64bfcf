"""`consent.enable` and `consent.disable`: a program that asks in its own way records the answer
exactly as the `telemetry enable` / `disable` commands do (the same transition of the person's
words, the same receipt, the same deletion of the id) and gets the new Decision back."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import consent
from consent import ConsentError, PolicyLockedError
from consent._store import receipts
from consent._store.tomlread import parse_toml
from consent.testing.home import Home
from lumogon import SPEC
from tests.helpers import PROCESS_TIMEOUT, ROOT, Iso, run_lumogon

STAMPS = ("decided_at", "latest_receipt_sha256")


def table(iso: Iso) -> dict[str, object]:
    found = parse_toml(iso.config.read_bytes())["telemetry"]
    return {k: v for k, v in found.items() if k not in STAMPS}


def test_enable_records_what_the_command_records(iso: Iso, consent_home: Home) -> None:
    decision = consent.enable(SPEC, "usage", via="settings dialog")
    assert decision.verdict("usage") == "send" and decision.verdict("service-health") == "drop"
    by_api = table(iso)
    (receipt,) = receipts.records(iso.locs.receipts_path)
    assert (receipt["action"], receipt["method"], receipt["expressed"]) == (
        "given",
        "settings dialog",
        "enable usage",
    )
    assert receipt["purposes_changed"] == ["usage"]
    iso.config.unlink()
    assert run_lumogon(iso, "telemetry", "enable", "usage").returncode == 0
    by_command = table(iso)
    assert by_api.pop("decided_via") == "settings dialog: enable usage"
    assert by_command.pop("decided_via") == "command: lumogon telemetry enable usage"
    assert by_api == by_command


def test_disable_of_every_purpose_deletes_the_id_and_scrubs_the_log(
    iso: Iso, consent_home: Home
) -> None:
    consent.enable(SPEC, via="first-run screen")
    iso.locs.id_file.parent.mkdir(parents=True, exist_ok=True)
    old = "35009a79-1a05-49d7-b876-2b884d0f825b"
    iso.locs.id_file.write_text(old + "\n", "utf-8")
    iso.locs.log_file.parent.mkdir(parents=True, exist_ok=True)
    iso.locs.log_file.write_text(json.dumps({"id": "1", "hit": {"cid": old}}) + "\n", "utf-8")
    one = consent.disable(SPEC, "service-health", via="settings dialog")
    assert one.verdict("usage") == "send" and one.verdict("service-health") == "drop"
    assert iso.locs.id_file.exists()  # usage is still enabled: the id stays
    every = consent.disable(SPEC, via="settings dialog")
    assert {every.verdict(p) for p in SPEC.purpose_names} == {"drop"}
    assert not iso.locs.id_file.exists() and old not in iso.locs.log_file.read_text("utf-8")
    assert [r["action"] for r in receipts.records(iso.locs.receipts_path)] == [
        "given",
        "withdrawn",
        "withdrawn",
    ]
    assert receipts.verify(iso.locs.receipts_path, table_head(iso)).ok


def table_head(iso: Iso) -> str:
    head = parse_toml(iso.config.read_bytes())["telemetry"]["latest_receipt_sha256"]
    assert isinstance(head, str)
    return head


def test_what_is_refused_records_nothing(iso: Iso, consent_home: Home) -> None:
    with pytest.raises(ConsentError, match="needs `via`"):
        consent.enable(SPEC, via=" ")
    with pytest.raises(ConsentError, match="has no purpose 'ads'"):
        consent.disable(SPEC, "ads", via="settings dialog")
    consent_home.write_policy(SPEC, "[telemetry]\nenabled = false\n")
    with pytest.raises(PolicyLockedError):
        consent.enable(SPEC, via="settings dialog")
    assert not iso.config.exists() and not iso.locs.receipts_file.exists()
    # Disabling always works, under the lock too.
    assert consent.disable(SPEC, via="settings dialog").verdict("usage") == "drop"


def test_neither_loads_a_cli_framework(iso: Iso) -> None:
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT)!r})\n"
        "import consent\n"
        "from lumogon.spec import SPEC\n"
        "print(consent.enable(SPEC, 'usage', via='a dialog').verdict('usage'))\n"
        "print(consent.disable(SPEC, via='a dialog').verdict('usage'))\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('typer', 'click', 'rich')"
        " or m.startswith(('consent._cli', 'lumogon.cli'))))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=iso.env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=True,
    )
    assert proc.stdout.splitlines() == ["send", "drop", "[]"], proc.stderr
