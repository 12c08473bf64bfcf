"""One decision per run: a command's screenview and its own events share the decision made as
the command started, so every source is read once and the run's flag counts for every hit."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

import consent._store.sources as sources
from consent._core import runs
from consent._wire import gate
from consent.testing.collector import Collector
from consent.testing.home import Home
from tests.apps import acme


@pytest.fixture
def gathered(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Every call of the function that reads the sources, with the flag it was given."""
    calls: list[bool] = []
    real = sources.gather

    def counting(*args: object, **kwargs: object) -> sources.Inputs:
        calls.append(bool(kwargs.get("flag", False)))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sources, "gather", counting)
    monkeypatch.setattr(runs, "_runs", {})
    yield calls


def test_an_enabled_run_reads_the_sources_once_for_all_its_hits(
    consent_home: Home, gathered: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    consent_home.enable(acme.SPEC)
    with Collector() as collector:
        monkeypatch.setenv("ACME_TELEMETRY_ENDPOINT", collector.url)
        result = CliRunner().invoke(acme.app, ["deploy", "run", "prod"])
        assert result.exit_code == 0, result.output
        # The screenview and the command's own `deployed` event: two hits, one decision.
        hits = collector.wait_for(2, timeout=60)
    names = sorted(h.payload["events"][0]["name"] for h in hits)  # type: ignore[index]
    assert names == ["command_run", "deploy_done"]
    assert gathered == [False]


def test_the_flag_of_the_run_holds_for_the_commands_own_events(
    consent_home: Home, gathered: list[bool]
) -> None:
    consent_home.enable(acme.SPEC)
    result = CliRunner().invoke(acme.app, ["--disable-analytics", "deploy", "run", "prod"])
    assert result.exit_code == 0, result.output
    assert gathered == [True]  # decided once, with the flag; record_event did not decide again
    assert consent_home.log(acme.SPEC) == []  # nothing was handed to a sender


def test_a_run_off_by_env_decides_only_when_it_records_an_event(
    consent_home: Home, gathered: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Off by an env variable, a command that records nothing never reads a source; one that
    records an event decides then, as the variables were when it started."""
    consent_home.enable(acme.SPEC)
    monkeypatch.setenv("ACME_DISABLE_ANALYTICS", "1")
    result = CliRunner().invoke(acme.app, ["build"])
    assert result.exit_code == 0, result.output
    assert gathered == []
    registered = runs.current_run(acme.SPEC)
    assert registered is not None and isinstance(registered[0], runs.OffRun)  # not decided yet
    run = gate.run_decision(acme.SPEC)
    assert run is not None
    assert gate.run_decision(acme.SPEC) == run  # decided once: asking again reads nothing
    assert gathered == [False]
    before = run[0]
    assert not before.enabled
    assert before == sources.resolve(acme.SPEC, full=False)  # what deciding at once would give
    assert gathered == [False, False]


def test_a_run_off_by_env_stays_off_when_the_program_changes_its_environment(
    consent_home: Home, gathered: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    consent_home.enable(acme.SPEC)
    monkeypatch.setenv("ACME_DISABLE_ANALYTICS", "1")
    real = gate.current_run

    def changed(spec: object) -> object:  # the command drops the variable before its event
        monkeypatch.delenv("ACME_DISABLE_ANALYTICS")
        monkeypatch.setattr(gate, "current_run", real)
        return real(spec)  # type: ignore[arg-type]

    monkeypatch.setattr(gate, "current_run", changed)
    with Collector() as collector:
        monkeypatch.setenv("ACME_TELEMETRY_ENDPOINT", collector.url)
        result = CliRunner().invoke(acme.app, ["deploy", "run", "prod"])
        assert result.exit_code == 0, result.output
    assert gathered == [False]
    assert consent_home.log(acme.SPEC) == []  # the event was not handed to a sender


def test_an_event_outside_a_run_decides_as_a_host_command_does(
    consent_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Outside any command run, record_event decides on the spot the cheap way a host command
    does: turned off by an env variable, it stops there and reads no file for a full trace."""
    consent_home.enable(acme.SPEC)
    full: list[object] = []
    real = sources.gather

    def spying(*args: object, **kwargs: object) -> sources.Inputs:
        full.append(kwargs.get("full"))
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(sources, "gather", spying)
    monkeypatch.setattr(runs, "_runs", {})
    monkeypatch.setenv("ACME_DISABLE_ANALYTICS", "1")
    gate.record_event(acme.SPEC, "deployed", {"outcome": "ok", "retries": 0})
    assert full == [False]
    assert consent_home.log(acme.SPEC) == []


def test_a_run_turned_off_stays_off_for_another_spec_of_the_same_app(
    consent_home: Home, gathered: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run is decided for the spec that started it: an event recorded through another spec
    of the same app (here with another env prefix, which no variable turns off) neither switches
    the run on nor sends."""
    consent_home.enable(acme.SPEC)
    other = acme.SPEC.replace(env_prefix="ACMEX")
    monkeypatch.setenv("ACME_DISABLE_ANALYTICS", "1")
    with Collector() as collector:
        monkeypatch.setenv("ACME_TELEMETRY_ENDPOINT", collector.url)
        monkeypatch.setenv("ACMEX_TELEMETRY_ENDPOINT", collector.url)
        result = CliRunner().invoke(acme.app, ["build"])
        assert result.exit_code == 0, result.output
        gate.record_event(other, "command")
        gate.record_event(acme.SPEC, "command")
        run = gate.run_decision(acme.SPEC)
        assert run is not None and not run[0].enabled
    assert consent_home.log(acme.SPEC) == []  # nothing was handed to a sender
