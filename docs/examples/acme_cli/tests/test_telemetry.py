"""Acme's own telemetry tests, with the fixtures of the consent.testing pytest plugin."""

import subprocess
import sys

from consent import decide, record_event
from consent.testing import expect_refusal
from consent.testing.runs import command_run, current_command
from typer.testing import CliRunner

from acme_cli.cli import app, deploy
from acme_cli.telemetry import SPEC


def acme(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "acme_cli", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


def test_off_until_someone_agrees(consent_home):
    decision = decide(SPEC)
    assert not decision.enabled and decision.pending == "question"


def test_disabled_opens_no_socket(consent_home, consent_sockets):
    consent_home.enable(SPEC)
    with consent_sockets:  # in this process
        result = CliRunner().invoke(app, ["--disable-analytics", "hello", "ada"])
    assert result.exit_code == 0
    proc = acme("hello", "ada", env={**consent_sockets.env(consent_home.env), "DO_NOT_TRACK": "1"})
    assert proc.stdout == "Hello, ada!\n"
    consent_sockets.assert_no_sockets()  # this process and every child


def test_deploy_sends_two_valid_hits(consent_home, consent_collector):
    consent_home.enable(SPEC)
    consent_collector.expect(SPEC)  # each param declared, and of its declared type
    env = {**consent_home.env, "ACME_TELEMETRY_ENDPOINT": consent_collector.url}
    assert acme("deploy", "prod", env=env).returncode == 0
    hits = consent_collector.wait_for(2, timeout=10)
    assert [h.valid for h in hits] == [True, True], [h.messages for h in hits]
    names = sorted(h.payload["events"][0]["name"] for h in hits)
    assert names == ["command_run", "deploy_finished"]


def test_deploy_records_only_declared_values(consent_home, consent_strict):
    consent_home.enable(SPEC)  # strict: a refused event would fail this test
    result = CliRunner().invoke(
        app, ["deploy", "prod", "--dry-run"], env={"ACME_TELEMETRY_DEBUG": "1"}
    )
    assert result.exit_code == 0
    assert consent_strict.refusals() == []


def test_deployed_is_recorded_by_deploy_only(consent_home):
    # Strict mode's assertion: the registry must refuse this, or the test fails.
    with expect_refusal(event="deployed", reason="may not record"):
        record_event(SPEC, "deployed", {"outcome": "ok", "dry_run": False})


def test_deploy_reports_inside_its_command_run(consent_home, consent_collector, monkeypatch):
    consent_home.enable(SPEC)
    monkeypatch.setenv("ACME_TELEMETRY_ENDPOINT", consent_collector.url)
    with command_run(SPEC, "acme deploy") as decision:
        assert decision.verdict("telemetry") == "send"
        deploy("prod")  # its record_event(SPEC, "deployed", …) counts as `acme deploy`'s
    assert current_command(SPEC) is None  # the run ended with the block
    [hit] = consent_collector.wait_for(1, timeout=10)
    assert hit.payload["events"][0]["name"] == "deploy_finished"
