"""Issue 11, point 4: misuse is reported. Under `<PREFIX>_TELEMETRY_DEBUG` every refusal is printed
on stderr, naming event, field and reason; the pytest plugin's strict mode fails the test. Outside
both, a refusal is silent and never raises."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from consent.testing.collector import Collector
from consent.testing.home import Home
from tests.apps import acme
from tests.helpers import SENDER_TIMEOUT, logged_hits, run_acme

ROOT = Path(__file__).resolve().parent.parent.parent
ACME = [sys.executable, str(ROOT / "tests" / "apps" / "acme.py")]


def record(home: Home, call: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`record_event` called by a program inside a run of `acme deploy run`, as the installed
    CLI registers it."""
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + textwrap.dedent(
        f"""
        from consent import decide, record_event
        from consent.testing.runs import command_run
        from tests.apps.acme import SPEC
        with command_run(SPEC, "acme deploy run", decision=decide(SPEC)):
            record_event(SPEC, {call})
        print("host went on")
        """
    )
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**home.env, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


MISUSES = [
    ('"deploied", {"outcome": "ok"}', "event 'deploied'", "declares no event 'deploied'"),
    (
        '"deployed", {"outcome": "ok", "retries": 0, "path": "/etc/passwd"}',
        "event 'deployed', field 'path'",
        "does not declare 'path' as a runtime field",
    ),
    (
        '"deployed", {"outcome": "maybe", "retries": 0}',
        "event 'deployed', field 'outcome'",
        '\'maybe\' is not one of "ok", "failed"',
    ),
    (
        '"command", {}',
        "event 'command', field 'command'",
        "needs the command path",
    ),
]


@pytest.mark.parametrize("inside", [None, "acme build"], ids=["outside-a-run", "another-command"])
def test_an_event_from_a_command_it_does_not_list_is_refused_and_reported(
    consent_home: Home, inside: str | None
) -> None:
    consent_home.enable(acme.SPEC)
    run = (
        "nullcontext()"
        if inside is None
        else f'command_run(SPEC, "{inside}", decision=decide(SPEC))'
    )
    code = f"import sys; sys.path.insert(0, {str(ROOT)!r})\n" + textwrap.dedent(
        f"""
        from contextlib import nullcontext
        from consent import decide, record_event
        from consent.testing.runs import command_run
        from tests.apps.acme import SPEC
        with {run}:
            record_event(SPEC, "deployed", {{"outcome": "ok", "retries": 0}})
        """
    )
    env = {**consent_home.env, "ACME_TELEMETRY_DEBUG": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=False
    )
    where = "code outside a command run" if inside is None else f"the command {inside!r}"
    assert proc.returncode == 0
    assert f"refused event 'deployed': acme: {where} may not record" in proc.stderr
    assert "it lists 'deploy run'" in proc.stderr
    assert not consent_home.locations(acme.SPEC).log_file.exists()


@pytest.mark.parametrize("enabled", [False, True], ids=["disabled", "enabled"])
@pytest.mark.parametrize(("call", "names", "reason"), MISUSES)
def test_debug_prints_every_refusal_naming_event_field_and_reason(
    consent_home: Home, enabled: bool, call: str, names: str, reason: str
) -> None:
    if enabled:
        consent_home.enable(acme.SPEC)
    proc = record(consent_home, call, {"ACME_TELEMETRY_DEBUG": "1"})
    assert proc.returncode == 0 and proc.stdout == "host went on\n"
    assert f"telemetry: refused {names}: " in proc.stderr and reason in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not consent_home.locations(acme.SPEC).log_file.exists()  # nothing handed over


@pytest.mark.parametrize(("call", "names", "reason"), MISUSES)
def test_without_debug_a_refusal_is_silent(
    consent_home: Home, call: str, names: str, reason: str
) -> None:
    consent_home.enable(acme.SPEC)
    proc = record(consent_home, call, {})
    assert (proc.returncode, proc.stdout, proc.stderr) == (0, "host went on\n", "")


def test_a_refused_event_is_reported_and_the_runs_other_hits_still_go(consent_home: Home) -> None:
    consent_home.enable(acme.SPEC)
    with Collector() as collector:
        env = {"ACME_TELEMETRY_ENDPOINT": collector.url}
        proc = run_acme(consent_home, "deploy", "run", "x", "--retries", "99", env=env)
        assert proc.returncode == 0 and proc.stdout == "deployed\n" and proc.stderr == ""
        # The first run's sender logs its outcome before the next run appends: a host run gives
        # up on a held log lock rather than wait (consent/_store/log.py), which would drop a line.
        (hit,) = collector.wait_for(1, timeout=SENDER_TIMEOUT)
        logged_hits(consent_home.locations(acme.SPEC).log_file, 1)
        debug = run_acme(
            consent_home,
            "deploy",
            "run",
            "x",
            "--outcome",
            "/tmp/x",
            env={"ACME_TELEMETRY_DEBUG": "1"},
        )
        assert "refused event 'deployed', field 'outcome'" in debug.stderr
    assert hit.payload["events"][0]["name"] == "command_run"  # type: ignore[index]
    logged = [e["event"] for e in consent_home.log(acme.SPEC)]
    assert logged == ["command", "command"]  # the refused events were never handed over


STRICT_APP = """
from consent import AppSpec, Destination, Event, Field, record_event

SPEC = AppSpec(
    name="strictapp", display_name="Strictapp", version="1.0", env_prefix="STRICTAPP",
    mode="opt-in", destination=Destination("ga4", "G-X", api_secret="s"),
    fields=(
        Field("client_id", "Id.", "x", "client_id"),
        Field("name", "Event name.", "done", "hit_type"),
        Field("outcome", "Outcome.", "ok", "runtime", allowed=("ok", "failed")),
    ),
    common=("client_id", "name"),
    events=(Event("done", "Done.", "done", ("outcome",)),),
    purpose="Testing.", access="Nobody.",
    controller="The strictapp tests", contact="tests@strictapp.example",
    legal_basis="Consent.", retention="1 day", recipients="Nobody.", notice_date="2026-12-01",
)

def work(outcome):
    record_event(SPEC, "done", {"outcome": outcome})
    return "worked"
"""

STRICT_TESTS = """
import subprocess, sys
import pytest
from strictapp import work

def test_fixture_fails_on_a_refused_value(consent_home, consent_strict):
    work("maybe")

@pytest.mark.consent_strict
def test_marker_fails_on_a_refused_value(consent_home):
    work("maybe")

def test_strict_passes_a_good_value(consent_home, consent_strict):
    assert work("ok") == "worked"
    assert consent_strict.refusals() == []

def test_a_refusal_in_a_subprocess_fails_the_test(consent_home, consent_strict):
    code = "from strictapp import work; print(work('/etc/passwd'))"
    proc = subprocess.run([sys.executable, "-c", code], env=consent_home.env, cwd=".")
    assert proc.returncode != 0  # strict: the refusal raised in the child too

def test_outside_strict_a_refusal_is_silent(consent_home):
    assert work("maybe") == "worked"
"""


def test_strict_mode_fails_a_test_on_any_refusal(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(strictapp=STRICT_APP, test_strict=STRICT_TESTS)
    monkeypatch.setenv("PYTHONPATH", str(pytester.path))
    result = pytester.runpytest_subprocess("-p", "consent.testing", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=3)
    result.stdout.fnmatch_lines(
        [
            "*test_fixture_fails_on_a_refused_value*",
            "*HitError*'outcome'*'maybe' is not one of*",
        ]
    )
    result.stdout.fnmatch_lines(
        ["*consent strict mode: 1 event(s) refused:*", "*strictapp: event 'done', field 'outcome'*"]
    )
