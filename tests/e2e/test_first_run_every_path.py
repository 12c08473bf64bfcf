"""Issue 11, points 1, 2 and 7: a run that shows the notice or asks the question sends nothing
from any path (the command's own events included); the notice and the question name what the
registry declares; Ctrl-C at the question aborts with 130 and records nothing, end of input is No.

Real processes on a real pseudo-terminal, the audit hook in every Python process, and a loopback
collector: "nothing sent" is proven by the absence of any socket or process in the first run,
not by waiting.
"""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest

from consent._store.sources import resolve
from consent._store.tomlread import read_toml
from consent.testing.collector import Collector
from tests.apps import acme
from tests.helpers import CTRL_C, CTRL_D, Iso, audit_events, audited, run_in_pty

ACME = [sys.executable, str(Path(__file__).resolve().parent.parent / "apps" / "acme.py")]
DEPLOY = [*ACME, "deploy", "run", "prod", "--retries", "2"]

pytestmark = pytest.mark.slow


def names(collector: Collector) -> list[str]:
    return sorted(h.payload["events"][0]["name"] for h in collector.hits())  # type: ignore[index]


def first_run(iso: Iso, env: dict[str, str], answer: str | None = None) -> tuple[str, str, int]:
    """One run on a terminal, audited: (stdout, terminal, exit status); no socket, no process."""
    log = iso.root / "first-run-audit.jsonl"
    result = run_in_pty(DEPLOY, {**audited(iso, log), **env}, answer=answer)
    assert audit_events(log) == [], "the run that showed the notice or asked opened a socket"
    assert not iso.home.locations(acme.SPEC).log_file.exists(), "a hit was handed to a sender"
    return result.stdout, result.terminal, result.returncode


def test_opt_out_first_run_sends_nothing_not_even_the_commands_own_event(iso: Iso) -> None:
    with Collector() as collector:
        env = {"ACME_TELEMETRY_ENDPOINT": collector.url, "ACME_MODE": "opt-out"}
        out, terminal, code = first_run(iso, env)
        assert (out, code) == ("deployed\n", 0)
        assert "Nothing was sent this run" in terminal
        # The next run sends both: its screenview and the event the command records.
        second = run_in_pty(DEPLOY, {**iso.env, **env})
        assert second.returncode == 0 and "Nothing was sent" not in second.terminal
        collector.wait_for(2, timeout=15)
        assert names(collector) == ["command_run", "deploy_done"]
        assert all(h.valid for h in collector.hits())


def test_opt_in_answered_yes_sends_nothing_in_that_run(iso: Iso) -> None:
    with Collector() as collector:
        env = {"ACME_TELEMETRY_ENDPOINT": collector.url}
        out, terminal, code = first_run(iso, env, answer="y")
        assert (out, code) == ("deployed\n", 0)
        assert "Allow it? [y/N]" in terminal and "Recorded: telemetry enabled" in terminal
        second = run_in_pty(DEPLOY, {**iso.env, **env})
        assert "[y/N]" not in second.terminal
        collector.wait_for(2, timeout=15)
        assert names(collector) == ["command_run", "deploy_done"]


@pytest.mark.parametrize("mode", ["opt-in", "opt-out"])
def test_the_terminal_shows_what_the_registry_declares(iso: Iso, mode: str) -> None:
    """The first layer (issue 25): the question names every field it asks about by wire name; the
    notice counts them and says what each runtime field may carry; both name the recipient, the
    purpose and the full notice, where each field's meaning is."""
    _, terminal, _ = first_run(iso, {"ACME_MODE": mode}, answer="n")
    flat = " ".join(terminal.split())
    if mode == "opt-in":
        listed = flat[flat.index(f"Fields ({len(acme.SPEC.fields)}): ") :]
        assert all(field.wire in listed for field in acme.SPEC.fields)
    else:
        assert f"{len(acme.SPEC.fields)} fields: a random id" in flat
        assert "outcome (ok|failed), retries (0 to 10)" in flat
    assert "Google Analytics (www.google-analytics.com)" in flat
    assert " ".join(acme.SPEC.purpose.split()) in flat
    assert "Full notice: acme telemetry notice" in flat
    for claim in ("anonymous usage data", "Nothing else", "a random id)"):
        assert claim not in flat


def test_ctrl_c_at_the_question_aborts_records_nothing_and_the_command_does_not_run(
    iso: Iso,
) -> None:
    out, terminal, code = first_run(iso, {}, answer=CTRL_C)
    assert code == 130 and out == ""
    assert "Aborted: nothing was recorded" in terminal and "Traceback" not in terminal
    assert not iso.home.locations(acme.SPEC).config_file.exists()
    # Still undecided: the next run asks again.
    again = run_in_pty(DEPLOY, iso.env, answer="n")
    assert "Allow it? [y/N]" in again.terminal and again.stdout == "deployed\n"


def test_ctrl_c_reaches_the_program_wherever_the_suite_runs(iso: Iso) -> None:
    """Run as a background job of a shell without job control, the suite has SIGINT ignored;
    the program under test is still started as from a terminal, where Ctrl-C reaches it."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        result = run_in_pty(DEPLOY, iso.env, answer=CTRL_C)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert result.returncode == 130 and "Aborted: nothing was recorded" in result.terminal


def test_end_of_input_at_the_question_answers_no(iso: Iso) -> None:
    out, terminal, code = first_run(iso, {}, answer=CTRL_D)
    assert (out, code) == ("deployed\n", 0)
    assert "Recorded: telemetry disabled" in terminal
    doc = read_toml(iso.home.locations(acme.SPEC).config_file).doc
    assert doc["telemetry"]["enabled"] is False  # type: ignore[index]
    assert doc["telemetry"]["decided_via"] == "prompt"  # type: ignore[index]
    assert resolve(acme.SPEC, environ=iso.env).enabled is False
