"""First runs in a real pseudo-terminal: the notice (opt-out), the question (opt-in), versions."""

from __future__ import annotations

import subprocess

import pytest

from consent._core.spec import AppSpec
from consent._notice.prompts import first_run_text
from consent._store.log import entries
from consent._store.sources import resolve
from consent.testing.collector import Collector
from lumogon import SPEC
from tests.apps import acme
from tests.helpers import ACME, LUMOGON, Iso, logged_hits, run_in_pty

pytestmark = pytest.mark.slow


def settle(iso: Iso, spec: AppSpec, collector: Collector, expected: int) -> int:
    """Hits at the collector once every hit the runs handed to a sender has its outcome.

    Causal, not a pause: a hit is written to the app's local log before its sender starts, and the
    sender logs its outcome after the collector answered, so no log entry means no sender, and
    once every entry has its outcome nothing else is on its way.
    """
    log = iso.home.locations(spec).log_file
    items = logged_hits(log, count=expected) if expected else entries(log)
    assert len(items) == expected, items
    return len(collector.hits())


def test_opt_out_first_run_shows_notice_then_sends(iso: Iso) -> None:
    with Collector() as collector:
        env = {**iso.env, "LUMOGON_TELEMETRY_ENDPOINT": collector.url}
        first = run_in_pty([*LUMOGON, "version"], env)
        assert first.returncode == 0 and first.stdout == "lumogon 0.1.0\n"
        assert first_run_text(SPEC).splitlines()[0] in first.terminal
        assert "lumogon telemetry disable" in first.terminal
        assert "LUMOGON_DISABLE_ANALYTICS=1" in first.terminal
        assert "--disable-analytics" in first.terminal
        assert settle(iso, SPEC, collector, 0) == 0
        second = run_in_pty([*LUMOGON, "version"], env)
        assert second.returncode == 0
        assert "sends pseudonymous usage data unless you opt out" not in second.terminal
        assert settle(iso, SPEC, collector, 1) == 1
    (hit,) = collector.hits()
    assert hit.valid and hit.params is not None and hit.params["cd"] == "lumogon version"


def test_no_tty_or_ci_never_shows_nor_sends(iso: Iso) -> None:
    with Collector() as collector:
        env = {**iso.env, "LUMOGON_TELEMETRY_ENDPOINT": collector.url}
        for _ in range(2):
            proc = subprocess.run(
                [*LUMOGON, "version"],
                env=env,
                capture_output=True,
                text=True,
                stdin=subprocess.DEVNULL,
                timeout=60,
                check=True,
            )
            assert proc.stderr == ""
        for _ in range(2):
            ci = run_in_pty([*LUMOGON, "version"], {**env, "CI": "true"})
            assert ci.returncode == 0 and "sends pseudonymous usage data" not in ci.terminal
        assert settle(iso, SPEC, collector, 0) == 0
    assert not iso.config.exists()


def test_ci_false_is_interactive(iso: Iso) -> None:
    run = run_in_pty([*LUMOGON, "version"], {**iso.env, "CI": "false"})
    assert "sends pseudonymous usage data unless you opt out" in run.terminal


def test_telemetry_commands_never_show_the_notice(iso: Iso) -> None:
    for args in (["telemetry", "status"], ["telemetry", "disable"], ["telemetry", "enable"]):
        run = run_in_pty([*LUMOGON, *args], iso.env)
        assert "sends pseudonymous usage data unless you opt out" not in run.terminal


def test_opt_in_asks_once_default_no(iso: Iso) -> None:
    with Collector() as collector:
        env = {**iso.env, "ACME_TELEMETRY_ENDPOINT": collector.url}
        first = run_in_pty([*ACME, "build"], env, answer="")
        assert "Allow it? [y/N]" in first.terminal and first.stdout == "built 0\n"
        second = run_in_pty([*ACME, "build"], env)
        assert "[y/N]" not in second.terminal
        assert settle(iso, acme.SPEC, collector, 0) == 0


def test_opt_in_yes_then_sends_and_a_new_field_asks_again(iso: Iso) -> None:
    with Collector() as collector:
        env = {**iso.env, "ACME_TELEMETRY_ENDPOINT": collector.url}
        assert "[y/N]" in run_in_pty([*ACME, "build"], env, answer="y").terminal
        assert settle(iso, acme.SPEC, collector, 0) == 0  # nothing is sent in the run that asked
        run_in_pty([*ACME, "build"], env)
        assert settle(iso, acme.SPEC, collector, 1) == 1
        changed = {**env, "ACME_REGISTRY_EXTRA": "duration_bucket"}
        again = run_in_pty([*ACME, "build"], changed, answer="n")
        assert "[y/N]" in again.terminal
        assert settle(iso, acme.SPEC, collector, 1) == 1


def test_opt_in_never_asks_without_a_terminal(iso: Iso) -> None:
    proc = subprocess.run(
        [*ACME, "build"],
        env=iso.env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=True,
    )
    assert proc.stderr == "" and proc.stdout == "built 0\n"


def test_opt_out_new_field_shows_the_notice_again(iso: Iso) -> None:
    with Collector() as collector:
        env = {**iso.env, "ACME_TELEMETRY_ENDPOINT": collector.url, "ACME_MODE": "opt-out"}
        assert (
            "sends pseudonymous usage data unless you opt out"
            in run_in_pty([*ACME, "build"], env).terminal
        )
        run_in_pty([*ACME, "build"], env)
        assert settle(iso, acme.SPEC, collector, 1) == 1
        changed = {**env, "ACME_REGISTRY_EXTRA": "duration_bucket"}
        again = run_in_pty([*ACME, "build"], changed)
        assert "sends pseudonymous usage data unless you opt out" in again.terminal
        assert (
            settle(iso, acme.SPEC, collector, 1) == 1
        )  # the run that showed the new notice sent nothing
        run_in_pty([*ACME, "build"], changed)
        assert settle(iso, acme.SPEC, collector, 2) == 2


def test_recorded_disable_survives_a_new_version(iso: Iso) -> None:
    iso.write_config('[telemetry]\nenabled = false\nnotice_version = "0000000000"\n')
    run = run_in_pty([*LUMOGON, "version"], iso.env)
    assert "sends pseudonymous usage data" not in run.terminal
    assert resolve(SPEC, environ={}).decided_by.source == "config"
