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


def test_each_refusal_says_what_locks_and_that_nothing_was_recorded(
    iso: Iso, consent_home: Home
) -> None:
    """A yes (or local mode) under an admin lock is refused naming the file and the key that
    locks; a purpose a policy locks, naming the purpose; a purpose the app does not declare, the
    app's purposes; an empty `via`, what to pass. A no is never refused."""
    from consent._store.choices import record_choice
    from consent._store.sources import read_policies

    hint = "nothing was recorded. Ask whoever manages this machine if it should change."
    path = str(iso.policy)
    for policy, said in (
        ("enabled = false", "it sets telemetry.enabled = false, which enable cannot override"),
        ('mode = "off"', 'it sets telemetry.mode = "off", which enable cannot override'),
        ("colour = 1", ""),
    ):
        consent_home.write_policy(SPEC, f"[telemetry]\n{policy}\n")
        what = said
        if not said:
            (reading,) = (r for r in read_policies(iso.locs) if r.path == path)
            what = f"{reading.problem}, so it counts as a lock"
        for attempt in (
            lambda: consent.enable(SPEC, via="settings dialog"),
            lambda: record_choice(SPEC, iso.locs, enabled=True, via="x", local=True),
            lambda: record_choice(SPEC, iso.locs, enabled=True, via="prompt"),
        ):
            with pytest.raises(PolicyLockedError) as refused:
                attempt()
            assert refused.value.message == (
                "telemetry is managed by your organization: locked off by the administrator's "
                f"policy file {path} ({what})"
            )
            assert (refused.value.path, refused.value.hint) == (path, hint)
        assert not iso.config.exists() and not iso.locs.receipts_file.exists()
    record_choice(SPEC, iso.locs, enabled=False, via="prompt")  # the answer no: recorded
    assert table(iso)["enabled"] is False
    consent_home.write_policy(SPEC, '[telemetry]\ndisabled_purposes = ["usage"]\n')
    with pytest.raises(PolicyLockedError) as refused:
        consent.enable(SPEC, "service-health", "usage", via="settings dialog")
    assert refused.value.message == (
        "the purpose 'usage' is managed by your organization: locked off by the "
        f"administrator's policy file {path} (telemetry.disabled_purposes, which enable "
        "cannot override)"
    )
    assert (refused.value.path, refused.value.hint) == (path, hint)
    assert consent.enable(SPEC, "service-health", via="a dialog").verdict("service-health") == (
        "send"
    )
    assert consent.enable(SPEC, via="a dialog").verdict("usage") == "drop"  # recorded; locked
    with pytest.raises(ConsentError) as unknown:
        consent.enable(SPEC, "ads", "usage", "maps", via="settings dialog")
    assert unknown.value.message == "lumogon has no purpose 'ads', 'maps'"
    assert unknown.value.hint == "its purposes: usage, service-health"
    for via in ("", None):
        with pytest.raises(ConsentError) as no_via:
            consent.disable(SPEC, via=via)  # type: ignore[arg-type]
        assert no_via.value.message == "consent.disable() needs `via`: how the person said it"
        assert no_via.value.hint == (
            'e.g. via="settings dialog"; it is recorded in the consent receipt'
        )


def test_what_a_choice_returns_and_stores_with_it(iso: Iso) -> None:
    """`Recorded`: the notice version, the time (the config's decided_at, or the one given), the
    receipt appended, the purposes it applied to; the config keeps what the notice covered."""
    from consent._core.words import RESET, Speech
    from consent._store.choices import record_choice, speak

    rec = record_choice(SPEC, iso.locs, enabled=True, via="command: x", purposes=("usage",))
    stored = parse_toml(iso.config.read_bytes())["telemetry"]
    (receipt,) = receipts.records(iso.locs.receipts_path)
    assert (receipt["method"], receipt["expressed"], stored["decided_via"]) == (
        "command",
        "x",
        "command: x",
    )
    assert (rec.notice_version, rec.purposes, rec.everything_off) == (
        SPEC.notice_version,
        ("usage",),
        False,
    )
    assert rec.at == stored["decided_at"] and rec.receipt_id == receipt["receipt_id"]
    assert (rec.receipt_problem, rec.write.backup) == ("", None)
    assert stored["notice_fields"] == " ".join(f.wire for f in SPEC.fields)
    assert stored["notice_events"] == " ".join(e.name for e in SPEC.events)
    rec = speak(SPEC, iso.locs, Speech("enable", method="m", at="2026-01-02T03:04:05Z"))
    assert rec.purposes == SPEC.purpose_names and rec.at == "2026-01-02T03:04:05Z"
    assert parse_toml(iso.config.read_bytes())["telemetry"]["decided_at"] == rec.at
    before = iso.config.read_bytes()
    rec = speak(SPEC, iso.locs, Speech(RESET, at="2026-01-02T03:04:06Z"))
    assert (rec.write.path, rec.write.backup, rec.notice_version) == (
        iso.config,
        None,
        SPEC.notice_version,
    )
    assert (rec.at, rec.purposes, rec.receipt_id) == (
        "2026-01-02T03:04:06Z",
        SPEC.purpose_names,
        None,
    )
    assert iso.config.read_bytes() == before and len(receipts.records(iso.locs.receipts_path)) == 2
    record_choice(SPEC, iso.locs, enabled=True, via="command: app telemetry local", local=True)
    newest = receipts.records(iso.locs.receipts_path)[-1]
    assert (newest["action"], newest["method"], newest["expressed"]) == (
        "local",
        "command",
        "app telemetry local",
    )


def test_what_could_not_be_done_is_a_warning_and_the_choice_stands(iso: Iso) -> None:
    """No receipt could be written (the config keeps pointing at the one before), the earlier
    config could not be read (kept aside), the id could not be taken out of the log: each is a
    warning of the decision returned; the choice itself is recorded."""
    consent.enable(SPEC, via="a dialog")
    head = table_head(iso)
    iso.locs.receipts_file.unlink()
    iso.locs.receipts_file.mkdir()  # the receipts cannot be appended to
    decision = consent.disable(SPEC, "usage", via="a dialog")
    assert table(iso)["disabled_purposes"] == "usage" and table_head(iso) == head
    assert decision.warnings == (
        f"no consent receipt could be written ({iso.locs.receipts_path}: Is a directory)",
    )
    iso.locs.receipts_file.rmdir()
    iso.write_config("this is not [ toml")
    iso.locs.id_file.parent.mkdir(parents=True, exist_ok=True)
    iso.locs.id_file.write_text("35009a79-1a05-49d7-b876-2b884d0f825b\n", "utf-8")
    iso.locs.log_file.parent.mkdir(parents=True, exist_ok=True)
    iso.locs.log_file.write_text('{"hit": {"cid": "35009a79-1a05-49d7-b876-2b884d0f825b"}}\n')
    lock = iso.locs.log_file.parent / f".{iso.locs.log_file.name}.lock"
    lock.mkdir()  # the log's lock cannot be taken: the log cannot be scrubbed
    decision = consent.disable(SPEC, via="a dialog")
    (scrubbed, backup) = decision.warnings
    from consent._core.names import ID_IN_LOG
    from consent._store.log import scrub

    with pytest.raises((OSError, ConsentError)) as failed:
        scrub(iso.locs.log_file, "35009a79-1a05-49d7-b876-2b884d0f825b", ID_IN_LOG)
    assert scrubbed == (
        f"could not delete the pseudonymous id from the log {iso.locs.log_file} ({failed.value})"
    )
    assert backup.startswith("the earlier config could not be read; it is kept as "), backup
    assert table(iso)["enabled"] is False and not iso.locs.id_file.exists()


def test_a_host_commands_bound_on_the_locks_is_kept(iso: Iso) -> None:
    """`timeout` bounds the waits for the config's lock (nothing recorded past it) and for the
    receipts' lock (the choice stands; the receipt's problem says how long it waited)."""
    from consent._errors import LockTimeoutError
    from consent._store.choices import record_choice, record_notice_shown
    from consent._store.fileio import locked

    config = iso.config
    config.parent.mkdir(parents=True, exist_ok=True)
    with locked(config.parent / f".{config.name}.lock"):
        with pytest.raises(LockTimeoutError) as waited:
            record_notice_shown(SPEC, iso.locs, timeout=0.02)
        assert waited.value.waited == 0.02
        with pytest.raises(LockTimeoutError) as waited:
            record_choice(SPEC, iso.locs, enabled=False, via="prompt", timeout=0.03)
        assert waited.value.waited == 0.03
    assert not config.exists()
    receipts_path = iso.locs.receipts_file
    receipts_path.parent.mkdir(parents=True, exist_ok=True)
    with locked(receipts_path.parent / f".{receipts_path.name}.lock"):
        rec = record_notice_shown(SPEC, iso.locs, timeout=0.02)
    lock = receipts_path.parent / f".{receipts_path.name}.lock"
    assert rec.receipt_problem.startswith(
        f"{receipts_path}: another process has held {lock} for 20 ms; "
    ), rec.receipt_problem
    assert table(iso)["notice_shown_version"] == SPEC.notice_version


def test_disable_deletes_the_id_once_no_purpose_is_left_on_and_always_can(iso: Iso) -> None:
    """Disabling each purpose by name deletes the id with the last one; a config that cannot
    be written refuses the choice (ConfigError) yet the id is deleted all the same, while
    enable, refused alike, leaves it."""
    from consent._errors import ConfigError

    def with_id() -> None:
        iso.locs.id_file.parent.mkdir(parents=True, exist_ok=True)
        iso.locs.id_file.write_text("35009a79-1a05-49d7-b876-2b884d0f825b\n", "utf-8")

    consent.enable(SPEC, via="a dialog")
    with_id()
    consent.disable(SPEC, "usage", via="a dialog")
    assert iso.locs.id_file.exists()
    consent.disable(SPEC, "service-health", via="a dialog")
    assert not iso.locs.id_file.exists()
    iso.config.unlink()
    iso.config.mkdir()  # where the config should be: nothing can be recorded
    with_id()
    with pytest.raises(ConfigError):
        consent.enable(SPEC, via="a dialog")
    assert iso.locs.id_file.exists()
    with pytest.raises(ConfigError):
        consent.disable(SPEC, "usage", via="a dialog")
    assert not iso.locs.id_file.exists()
