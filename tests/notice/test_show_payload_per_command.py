"""Issue 11, point 5: `show-payload COMMAND` prints every request that command may send, each under
its full URL; `telemetry …` commands send nothing; an event is recorded only by the commands it
lists."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from consent import Event, SpecError
from consent.testing.collector import Collector
from consent.testing.home import Home
from tests.apps import acme
from tests.helpers import run_acme

ROOT = Path(__file__).resolve().parent.parent.parent
ACME = [sys.executable, str(ROOT / "tests" / "apps" / "acme.py")]
URL = (
    "https://www.google-analytics.com/mp/collect?measurement_id=G-TEST000000&api_secret=testsecret"
)


def test_show_payload_prints_every_request_the_command_may_send(consent_home: Home) -> None:
    proc = run_acme(consent_home, "telemetry", "show-payload", "deploy", "run")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("POST /mp/collect") == 2
    assert '"name":"command_run"' in proc.stdout and '"name":"deploy_done"' in proc.stdout
    labels = [line for line in proc.stderr.splitlines() if line.startswith("# event")]
    assert labels == [
        f"# event 'command' (every run of acme deploy run): POST {URL}",
        f"# event 'deployed' (when acme deploy run records it): POST {URL}",
    ]
    # An event that lists its commands is not shown for another command.
    build = run_acme(consent_home, "telemetry", "show-payload", "build", "--json")
    assert [p["event"] for p in json.loads(build.stdout)] == ["command"]


def test_the_url_line_shows_an_override_and_its_scheme(consent_home: Home) -> None:
    env = {"ACME_TELEMETRY_ENDPOINT": "http://127.0.0.1:9/base"}
    proc = run_acme(consent_home, "telemetry", "show-payload", "build", env=env)
    assert (
        "# event 'command' (every run of acme build): POST http://127.0.0.1:9/base/mp/collect?"
        in (proc.stderr)
    )


@pytest.mark.parametrize(
    "words", [["telemetry", "status"], ["telemetry", "disable"], ["telemetry"]]
)
def test_telemetry_commands_are_said_to_send_nothing(consent_home: Home, words: list[str]) -> None:
    proc = run_acme(consent_home, "telemetry", "show-payload", *words)
    assert proc.returncode == 0 and proc.stdout == ""
    assert "`acme telemetry …` commands send nothing" in proc.stderr
    as_json = run_acme(consent_home, "telemetry", "show-payload", *words, "--json")
    assert json.loads(as_json.stdout) == []


def test_what_show_payload_prints_is_what_arrives(consent_home: Home) -> None:
    consent_home.enable(acme.SPEC)
    with Collector() as collector:
        env = {"ACME_TELEMETRY_ENDPOINT": collector.url}
        assert run_acme(consent_home, "deploy", "run", "x", env=env).returncode == 0
        received = {
            h.payload["events"][0]["name"]: h.raw_request  # type: ignore[index]
            for h in collector.wait_for(2, timeout=15)
        }
        shown = subprocess.run(
            [*ACME, "telemetry", "show-payload", "deploy", "run", "--with-id", "--json"],
            env={**consent_home.env, **env},
            capture_output=True,
            timeout=60,
            check=True,
        )
    requests = {p["event"]: p["raw"].encode() for p in json.loads(shown.stdout)}
    # The example values of runtime fields stand in for the run's values: here they coincide.
    assert requests == {"command": received["command_run"], "deployed": received["deploy_done"]}


def test_a_command_an_event_does_not_list_cannot_record_it(consent_home: Home) -> None:
    consent_home.enable(acme.SPEC)
    with Collector() as collector:
        proc = run_acme(consent_home, "tidy", env={"ACME_TELEMETRY_ENDPOINT": collector.url})
        assert proc.returncode == 0 and proc.stdout == "tidied\n" and proc.stderr == ""
        (hit,) = collector.wait_for(1, timeout=15)
    assert hit.payload["events"][0]["name"] == "command_run"  # type: ignore[index]
    assert [e["event"] for e in consent_home.log(acme.SPEC)] == ["command"]


def test_listed_commands_are_command_paths() -> None:
    for bad in ("", " deploy", "deploy  run", "acme\tdeploy"):
        with pytest.raises(SpecError, match="must be command names"):
            acme.SPEC.replace(
                events=(*acme.SPEC.events, Event("x", "X.", "x_done", (), commands=(bad,)))
            ).check()


def test_the_notice_says_which_commands_record_an_event() -> None:
    from consent._notice.document import facts, markdown

    assert "Recorded by `acme deploy run` only." in markdown(acme.SPEC)
    events = {e["name"]: e for e in facts(acme.SPEC)["events"]}
    assert events["deployed"]["commands"] == ["acme deploy run"]
    assert events["command"]["commands"] == "any"
