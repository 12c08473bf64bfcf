"""Acme's own telemetry tests (the OTLP version), with the consent.testing pytest plugin."""

import subprocess
import sys

from consent import decide

from acme_otlp.telemetry import SPEC


def acme(*args, env):
    return subprocess.run(
        [sys.executable, "-m", "acme_otlp", *args],
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
    env = consent_sockets.env(consent_home.env)
    for args, extra in (
        (("hello", "ada", "--disable-analytics"), {}),
        (("hello", "ada"), {"DO_NOT_TRACK": "1"}),
        (("hello", "ada"), {"ACME_OTLP_DISABLE_ANALYTICS": "1"}),
    ):
        assert acme(*args, env={**env, **extra}).stdout == "Hello, ada!\n"
    consent_sockets.assert_no_sockets()


def test_deploy_sends_two_log_records(consent_home, consent_collector):
    consent_home.enable(SPEC)
    env = {**consent_home.env, "ACME_OTLP_TELEMETRY_ENDPOINT": consent_collector.url}
    assert acme("deploy", "prod", "--retries", "2", env=env).returncode == 0
    hits = consent_collector.wait_for(2, timeout=10)
    assert [h.valid for h in hits] == [True, True], [h.messages for h in hits]
    assert {h.path for h in hits} == {"/v1/logs"}
    records = sorted((r for h in hits for r in h.logs()), key=lambda r: r.event_name)
    assert [r.event_name for r in records] == ["acme.command_run", "acme.deploy_finished"]
    assert {r.service_name for r in records} == {"acme-otlp"}
    deployed = records[1].attributes
    assert deployed.keys() == {
        "acme.installation.id",
        "acme.outcome",
        "acme.dry_run",
        "acme.retries",
    }
    assert (deployed["acme.dry_run"], deployed["acme.retries"]) == (False, 2)


def test_show_payload_names_the_endpoint_and_its_header(consent_home):
    shown = acme("telemetry", "show-payload", "deploy", env=consent_home.env)
    assert shown.returncode == 0, shown.stderr
    assert "POST https://otel.acme.example/v1/logs" in shown.stderr  # the label above each
    assert shown.stdout.startswith("POST /v1/logs HTTP/1.1\nHost: otel.acme.example\n")
    assert "X-Acme-Source: acme-otlp-cli" in shown.stdout
    assert '"eventName":"acme.deploy_finished"' in shown.stdout
