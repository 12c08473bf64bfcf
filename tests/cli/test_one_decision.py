"""One decision per run: a command's screenview and its own events share the decision made as
the command started, so every source is read once and the run's flag counts for every hit."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import typer
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import consent._store.sources as sources
from consent import Decision, install
from consent._core import runs
from consent._start import run_is_off
from consent._wire import gate
from consent.testing.collector import Collector
from consent.testing.home import Home
from consent.testing.runs import current_command
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
    assert current_command(acme.SPEC) is None  # no run is left over from another test
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


def probe(body: Callable[[], None]) -> typer.Typer:
    """A typer app with acme's spec whose `deploy run` command runs `body`."""
    app = typer.Typer()
    deploy = typer.Typer()
    app.add_typer(deploy, name="deploy")

    @deploy.command("run")
    def run() -> None:
        body()

    @app.command()
    def other() -> None:
        pass

    install(app, acme.SPEC)
    return app


DEPLOYED = {"outcome": "ok", "retries": 0}


def test_a_run_off_by_env_decides_only_when_it_records_an_event(
    consent_home: Home, gathered: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Off by an env variable, a command that records nothing never reads a source; one that
    records an event decides then, once, as the variables were when it started."""
    consent_home.enable(acme.SPEC)
    monkeypatch.setenv("ACME_DISABLE_ANALYTICS", "1")
    result = CliRunner().invoke(acme.app, ["build"])
    assert result.exit_code == 0, result.output
    assert gathered == []
    seen: list[object] = []

    def body() -> None:
        run = runs.current_run(acme.SPEC)
        assert run is not None
        seen.append(run.decision)  # not decided yet: an OffRun
        gate.record_event(acme.SPEC, "deployed", DEPLOYED)
        seen.append(run.decision)  # decided by that event
        gate.record_event(acme.SPEC, "deployed", DEPLOYED)
        seen.append(run.decision)

    result = CliRunner().invoke(probe(body), ["deploy", "run"])
    assert result.exit_code == 0, result.output
    assert isinstance(seen[0], runs.OffRun)
    assert gathered == [False]  # decided once: the second event read nothing
    decided = seen[1]
    assert isinstance(decided, Decision) and seen[2] is decided and not decided.enabled
    assert decided == sources.resolve(acme.SPEC, full=False)  # what deciding at once would give
    assert current_command(acme.SPEC) is None  # the run ended with the command


def test_a_run_off_by_env_stays_off_when_the_program_changes_its_environment(
    consent_home: Home, gathered: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    consent_home.enable(acme.SPEC)
    monkeypatch.setenv("ACME_DISABLE_ANALYTICS", "1")

    def body() -> None:  # the command drops the variable before its event
        monkeypatch.delenv("ACME_DISABLE_ANALYTICS")
        gate.record_event(acme.SPEC, "deployed", DEPLOYED)

    with Collector() as collector:
        monkeypatch.setenv("ACME_TELEMETRY_ENDPOINT", collector.url)
        result = CliRunner().invoke(probe(body), ["deploy", "run"])
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
    monkeypatch.setenv("ACME_DISABLE_ANALYTICS", "1")
    assert current_command(acme.SPEC) is None
    gate.record_event(acme.SPEC, "command")
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
    decided: list[bool] = []

    def body() -> None:
        gate.record_event(other, "deployed", DEPLOYED)
        gate.record_event(acme.SPEC, "deployed", DEPLOYED)
        run = gate.run_decision(acme.SPEC)
        decided.append(run is not None and run[0].enabled)

    with Collector() as collector:
        monkeypatch.setenv("ACME_TELEMETRY_ENDPOINT", collector.url)
        monkeypatch.setenv("ACMEX_TELEMETRY_ENDPOINT", collector.url)
        result = CliRunner().invoke(probe(body), ["deploy", "run"])
        assert result.exit_code == 0, result.output
    assert decided == [False]
    assert consent_home.log(acme.SPEC) == []  # nothing was handed to a sender


def test_an_event_from_a_thread_the_command_started_counts_as_the_runs(
    consent_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A thread carries no context: while the command runs, its events count as the run's, so
    `--disable-analytics` holds there too; after the command, they decide on the spot."""
    consent_home.enable(acme.SPEC)
    seen: list[str | None] = []

    def in_a_thread() -> None:
        seen.append(current_command(acme.SPEC))
        gate.record_event(acme.SPEC, "deployed", DEPLOYED)

    def body() -> None:
        worker = threading.Thread(target=in_a_thread)
        worker.start()
        worker.join()

    with Collector() as collector:
        monkeypatch.setenv("ACME_TELEMETRY_ENDPOINT", collector.url)
        result = CliRunner().invoke(probe(body), ["--disable-analytics", "deploy", "run"])
        assert result.exit_code == 0, result.output
    assert seen == ["acme deploy run"]
    assert consent_home.log(acme.SPEC) == []  # the run's flag held in the thread
    later = threading.Thread(target=in_a_thread)
    later.start()
    later.join()
    assert seen == ["acme deploy run", None]  # the run ended with the command


ENV_VALUES = st.sampled_from([None, "", "0", "off", "1", "yes", "maybe", " TRUE "])


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(flag=st.booleans(), app=ENV_VALUES, dnt=ENV_VALUES)
def test_a_run_started_off_is_one_the_verdict_drops_whole(
    consent_home: Home, flag: bool, app: str | None, dnt: str | None
) -> None:
    """consent/_start.py's check before anything is decided (here the flag and the two
    variables decide: the person said yes) turns a run off exactly when the verdict drops every
    purpose for those alone."""
    consent_home.enable(acme.SPEC)
    environ = {k: v for k, v in (("ACME_DISABLE_ANALYTICS", app), ("DO_NOT_TRACK", dnt)) if v}
    off = run_is_off(acme.SPEC, flag=flag, environ=environ)
    decision = sources.resolve(acme.SPEC, flag=flag, environ=environ, full=False)
    dropped = {decision.verdict(p) for p in acme.SPEC.purpose_names} == {"drop"}
    assert off == dropped, (flag, environ, decision.decided_by)


def test_a_run_the_start_turned_off_ends_with_its_command(
    consent_home: Home, gathered: list[bool], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A run consent/_start.py turned off (here by the flag) is the run of its command only:
    inside, the command's event is dropped by it; after the command returns, code is outside
    any run (an event that lists its commands is refused there) and an event decides on the
    spot (the person said yes, so it is sent)."""
    consent_home.enable(acme.SPEC)
    inside: list[object] = []

    def body() -> None:
        inside.append(current_command(acme.SPEC))
        gate.record_event(acme.SPEC, "deployed", DEPLOYED)

    with Collector() as collector:
        monkeypatch.setenv("ACME_TELEMETRY_ENDPOINT", collector.url)
        result = CliRunner().invoke(probe(body), ["--disable-analytics", "deploy", "run"])
        assert result.exit_code == 0, result.output
        assert inside[0] == "acme deploy run"
        assert gathered == [True]  # the event decided the off run, with its flag
        assert current_command(acme.SPEC) is None
        outside = gate.submit(acme.SPEC, "deployed", values=DEPLOYED, recorded_by=None)
        assert outside.outcome == "refused" and "outside a command run" in outside.detail
        sent = gate.submit(acme.SPEC, "command", command="acme deploy run", recorded_by=None)
        assert sent.outcome == "handed", sent
        hits = collector.wait_for(1, timeout=60)
    assert [h.payload["events"][0]["name"] for h in hits] == ["command_run"]  # type: ignore[index]
    assert gathered[0] is True and False in gathered[1:]  # decided on the spot, without the flag
