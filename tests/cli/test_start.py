"""The start (consent/_start.py) on its own terms: the names a lazy reference derives as the spec
would, the modes that leave even a disabled run to the full decision, the rule for a person at a
terminal, and the runs it turns off — a run's scope ends with its command, and nested runs of one
app restore the outer one, whatever order they end in.

tests/e2e/test_start_differential.py holds the start to the full decision; this file holds the
parts of it that no decision sees."""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from types import SimpleNamespace

import click
import pytest
from click.testing import CliRunner

import consent.click
from consent._cli.interactive import is_interactive
from consent._core.runs import OffRun
from consent._start import (
    CI_MARKERS,
    OFF_RUNS,
    OffScope,
    SpecRef,
    _interactive,
    disables,
    flag_help,
    run_is_off,
    start,
)
from consent._wire import gate
from consent.argparse import install, run
from consent.testing.home import Home
from consent.testing.runs import current_command, outside_any_run
from lumogon import SPEC

ROOT = Path(__file__).resolve().parents[2]
REF = ("lumogon.spec:SPEC", "lumogon", "LUMOGON")
WHERE = ("HOME", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_HOME", "XDG_STATE_HOME")
OFF = {"LUMOGON_DISABLE_ANALYTICS": "1"}


def flat(text: str) -> str:
    return " ".join(text.split())


def test_a_reference_names_everything_as_its_spec_does() -> None:
    ref = SpecRef(*REF, None)
    assert repr(ref) == "SpecRef('lumogon.spec:SPEC', name='lumogon', env_prefix='LUMOGON')"
    names = ("name", "env_prefix", "group", "commands", "system_root")
    assert [getattr(ref, n) for n in names] == [getattr(SPEC, n) for n in names]
    assert ref.display_name == "lumogon"  # the spec's own ("Lumogon") is known once it loads
    variables = (ref.disable_env, ref.debug_env, ref.endpoint_env)
    assert variables == (SPEC.disable_env, SPEC.debug_env, SPEC.endpoint_env)
    assert variables == (
        "LUMOGON_DISABLE_ANALYTICS",
        "LUMOGON_TELEMETRY_DEBUG",
        "LUMOGON_TELEMETRY_ENDPOINT",
    )
    # A fixed record, as the spec is: a misspelt attribute is an error, not a silent new one.
    with outside_any_run(), OffScope(ref, True, (), "lumogon", None) as scope:
        for obj in (ref, scope):
            with pytest.raises(AttributeError):
                setattr(obj, "grop", "consent")  # noqa: B010 - an attribute neither declares


def test_debug_and_strict_mode_leave_even_a_disabled_run_to_the_full_decision() -> None:
    """Under the debug variable or the plugin's strict mode a disabled run still checks its
    screenview (consent/_wire/gate.py), so the start must not stop it."""
    ref = SpecRef(*REF, None)
    for flag, environ in ((True, {}), (False, OFF), (False, {"DO_NOT_TRACK": "yes"})):
        assert run_is_off(ref, flag=flag, environ=environ)
        assert run_is_off(ref, flag=flag, environ={**environ, "LUMOGON_TELEMETRY_DEBUG": " 0 "})
        assert run_is_off(ref, flag=flag, environ={**environ, "CONSENT_STRICT_LOG": ""})
        debug = {**environ, "LUMOGON_TELEMETRY_DEBUG": "1"}
        assert run_is_off(ref, flag=flag, environ=debug) is False
        assert run_is_off(ref, flag=flag, environ={**environ, "CONSENT_STRICT_LOG": "/s"}) is False
        assert not run_is_off(SPEC, flag=flag, environ={**environ, SPEC.debug_env: "on"})


def test_the_start_reads_a_variable_as_the_env_grammar_says() -> None:
    """docs/configuration.md: trimmed, case-insensitive; unset, empty or a false word is no
    vote; a true word, or any other value (fail closed), disables."""
    rows = {None: False, "": False, " \t": False, "0": False, "false": False, " NO ": False}
    rows |= {"Off": False, "1": True, "TRUE": True, "yes": True, " on ": True, "maybe": True}
    assert [disables(raw) for raw in rows] == list(rows.values())
    assert all(type(disables(raw)) is bool for raw in rows)
    assert list(CI_MARKERS) == DOCUMENTED_MARKERS  # the page and the code name the same
    assert flag_help("acme telemetry") == (
        "Send no usage data in this run (see `acme telemetry status`)."
    )


def test_a_reference_reads_the_files_at_a_glance(consent_home: Home, tmp_path: Path) -> None:
    ref = SpecRef(*REF, None)
    environ, cwd = dict(os.environ), str(tmp_path)
    # Nothing recorded: off unless a person is there to see the notice.
    assert run_is_off(ref, flag=False, environ=environ, cwd=cwd, interactive=False)
    assert not run_is_off(ref, flag=False, environ=environ, cwd=cwd, interactive=True)
    consent_home.write_config(SPEC, "[telemetry]\nenabled = false\n")
    assert run_is_off(ref, flag=False, environ=environ, cwd=cwd, interactive=True)


# The CI markers docs/configuration.md lists (its table's row that ends "CI markers.").
DOCUMENTED_MARKERS = next(
    re.findall(r"`([A-Z_]+)`", line)
    for line in (ROOT / "docs" / "configuration.md").read_text("utf-8").splitlines()
    if "| CI markers." in line
)


def test_a_person_is_at_a_terminal_when_stdin_and_stderr_are_one_and_no_ci_is_set(
    monkeypatch: pytest.MonkeyPatch, consent_home: Home, tmp_path: Path
) -> None:
    """consent/_cli/interactive.py's rule, on a real pseudo-terminal."""
    master, slave = os.openpty()
    environ, cwd = dict(os.environ), str(tmp_path)
    try:
        with open(slave) as tty_in, open(os.dup(slave), "w") as tty_err, open(os.devnull) as null:
            closed = open(os.devnull, "w")  # noqa: SIM115 - closed on purpose
            closed.close()
            with monkeypatch.context() as m:
                m.setattr(sys, "stdin", tty_in)
                m.setattr(sys, "stderr", tty_err)
                for env, person in (
                    ({}, True),
                    ({"CI": "false", "BUILD_NUMBER": "0"}, True),
                    ({"CI": "true"}, False),
                    ({"JENKINS_URL": "https://ci.example/"}, False),
                    ({"TF_BUILD": " off "}, True),
                ):
                    assert _interactive(env) is person is is_interactive(env), env
                for marker in DOCUMENTED_MARKERS:  # each one, set, means no person is there
                    assert _interactive({marker: "1"}) is False, marker
                # Nothing recorded, a person there: the notice is due, the run is not off.
                assert not run_is_off(SPEC, flag=False, environ=environ, cwd=cwd)
                ci = {**environ, "GITHUB_ACTIONS": "true"}
                assert run_is_off(SPEC, flag=False, environ=ci, cwd=cwd)
                for stdin, stderr in ((null, tty_err), (tty_in, null), (None, tty_err)):
                    m.setattr(sys, "stdin", stdin)
                    m.setattr(sys, "stderr", stderr)
                    assert _interactive({}) is False is is_interactive({})
                m.setattr(sys, "stdin", tty_in)
                m.setattr(sys, "stderr", closed)  # isatty() raises ValueError
                assert _interactive({}) is False
                assert run_is_off(SPEC, flag=False, environ=environ, cwd=cwd)
    finally:
        os.close(master)


def test_an_off_run_lasts_for_its_command_and_nested_runs_restore_the_outer_one() -> None:
    ref = SpecRef(*REF, None)
    with outside_any_run():
        kept = (("LUMOGON_DISABLE_ANALYTICS", "1"),)
        outer = OffScope(ref, True, kept, "lumogon scan", "/srv/repo")
        got = (outer.app, outer.flag, outer.kept, outer.command, outer.cwd, outer.ended, outer.run)
        assert got == (ref, True, kept, "lumogon scan", "/srv/repo", False, None)
        assert outer.previous is None and OFF_RUNS["lumogon"] is outer
        assert current_command(SPEC) == "lumogon scan"  # made a run of, the reference loaded
        made = outer.run
        assert made is not None and not made.ended
        assert made.decision == OffRun(
            SPEC, True, kept, "/srv/repo"
        )  # as it was when the command started
        with OffScope(ref, False, (), "lumogon report", None) as inner:
            assert inner.previous is outer and OFF_RUNS["lumogon"] is inner
            assert current_command(SPEC) == "lumogon report"
        assert inner.ended and not outer.ended and OFF_RUNS["lumogon"] is outer
        assert current_command(SPEC) == "lumogon scan"
        # Out of order: the outer command's scope ends while a nested one still runs.
        middle = OffScope(ref, False, (), "lumogon report", None)
        inner = OffScope(ref, False, (), "lumogon version", None)
        inner.run = SimpleNamespace(ended=False)
        middle.end()
        assert middle.ended and OFF_RUNS["lumogon"] is inner
        inner.end()
        assert inner.run.ended and OFF_RUNS["lumogon"] is outer  # the ended middle skipped
        inner.end()  # twice does no harm
        assert OFF_RUNS["lumogon"] is outer
        outer.end()
        assert made.ended and "lumogon" not in OFF_RUNS and current_command(SPEC) is None
        # The outer one ending first leaves nothing once the nested one ends.
        outer, inner = (
            OffScope(ref, True, (), "lumogon", None),
            OffScope(ref, True, (), "lumogon", None),
        )
        outer.end()
        assert OFF_RUNS["lumogon"] is inner
        inner.end()
        assert "lumogon" not in OFF_RUNS


def test_an_argparse_run_off_at_the_start_is_the_scope_of_its_command(
    consent_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    parser = argparse.ArgumentParser(prog="lumogon")
    parser.add_subparsers(dest="command", required=True).add_parser("version")
    install(parser, "lumogon.spec:SPEC", name="lumogon", env_prefix="LUMOGON")
    shown = flat(parser.format_help())
    assert "--disable-analytics Send no usage data in this run (see `lumogon telemetry" in shown
    assert "See and change what lumogon may send about its use." in shown
    with run(parser, parser.parse_args(["--disable-analytics", "version"])) as scope:
        assert isinstance(scope, OffScope) and OFF_RUNS["lumogon"] is scope
        assert (scope.flag, scope.command, scope.cwd) == (True, "lumogon version", os.getcwd())
        assert scope.kept == ()  # none of the variables is set, and no file is read for it
    assert scope.ended and "lumogon" not in OFF_RUNS
    endpoint = "http://127.0.0.1:9/"
    monkeypatch.setenv("LUMOGON_TELEMETRY_ENDPOINT", endpoint)
    monkeypatch.setenv("DO_NOT_TRACK", " Yes ")
    monkeypatch.setenv("LUMOGON_DISABLE_ANALYTICS", "0")
    with run(parser, parser.parse_args(["version"])) as scope:
        assert isinstance(scope, OffScope)
        assert (scope.flag, scope.command) == (False, "lumogon version")
        assert scope.kept == (
            ("LUMOGON_DISABLE_ANALYTICS", "0"),
            ("DO_NOT_TRACK", " Yes "),
            ("LUMOGON_TELEMETRY_ENDPOINT", endpoint),
        )
        assert current_command(SPEC) == "lumogon version"
    assert current_command(SPEC) is None and "lumogon" not in OFF_RUNS


def test_a_click_run_off_by_the_flag_given_late_is_its_commands_run(consent_home: Home) -> None:
    seen: list[str | None] = []

    @click.group()
    def main() -> None:
        pass

    @main.command()
    def version() -> None:
        seen.append(current_command(SPEC))
        seen.append(type(OFF_RUNS["lumogon"].run).__name__)

    consent.click.install(main, "lumogon.spec:SPEC", name="lumogon", env_prefix="LUMOGON")
    shown = flat(CliRunner().invoke(main, ["version", "--help"]).output)
    assert "Send no usage data in this run (see `lumogon telemetry status`)." in shown
    result = CliRunner().invoke(main, ["version", "--disable-analytics"])
    assert result.exit_code == 0, result.output
    assert seen == ["lumogon version", "Run"]
    assert current_command(SPEC) is None and "lumogon" not in OFF_RUNS


def test_a_run_off_by_its_project_stays_off_when_the_command_changes_directory(
    consent_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The run is decided as its command started, in the directory it started in: a command
    that moves out of a project that opts out does not send (consent/_core/runs.py `OffRun`,
    decided by consent/_wire/gate.py `run_decision`), as a run the start left to the full
    decision does not (consent/_cli/hostrun.py decides it once, as the command starts)."""
    consent_home.enable(SPEC)
    home = tmp_path / "h"
    (home / "work" / ".lumogon").mkdir(parents=True)
    (home / "work" / ".lumogon" / "telemetry.toml").write_text("[telemetry]\nenabled = false\n")
    (home / "work" / "repo").mkdir()
    (home / "elsewhere").mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.chdir(home / "work" / "repo")
    parser = argparse.ArgumentParser(prog="lumogon")
    parser.add_subparsers(dest="command", required=True).add_parser("version")
    install(parser, SPEC)
    with run(parser, parser.parse_args(["version"])) as scope:
        assert isinstance(scope, OffScope)
        monkeypatch.chdir(home / "elsewhere")  # consent there says yes
        decided = gate.run_decision(SPEC)
        assert decided is not None
        decision, command = decided
        verdicts = {decision.verdict(p) for p in SPEC.purpose_names}
        assert (verdicts, decision.decided_by.source, command) == (
            {"drop"},
            "project",
            "lumogon version",
        )


def test_a_run_off_by_its_files_stays_off_when_the_command_moves_them(
    consent_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The variables that say where the files are, kept as the command started: a command that
    changes them (for its own children, say) does not lift a policy's lock, a config's no or a
    project's opt-out for its own run, though the files they name now let it send."""
    consent_home.enable(SPEC)
    home, config_home = tmp_path / "h", os.environ["XDG_CONFIG_HOME"]
    no = "[telemetry]\nenabled = false\n"
    for path in (
        "h/work/.lumogon/telemetry.toml",
        "etc/lumogon/telemetry.toml",
        "no/lumogon/config.toml",
    ):
        (tmp_path / path).parent.mkdir(parents=True)
        (tmp_path / path).write_text(no)
    (home / "work" / "repo").mkdir()
    monkeypatch.setenv("HOME", str(home))
    parser = argparse.ArgumentParser(prog="lumogon")
    parser.add_subparsers(dest="command", required=True).add_parser("version")
    install(parser, "lumogon.spec:SPEC", name="lumogon", env_prefix="LUMOGON")
    monkeypatch.setenv("LUMOGON_TELEMETRY_ENDPOINT", "x")  # not a disabling value, though unknown
    monkeypatch.setenv("LUMOGON_DISABLE_ANALYTICS", "off")
    cases = (  # source, where the command starts, set then, changed by the command
        ("policy", home, ("XDG_CONFIG_DIRS", str(tmp_path / "etc")), str(tmp_path / "none")),
        ("config", home, ("XDG_CONFIG_HOME", str(tmp_path / "no")), config_home),
        ("project", home / "work" / "repo", ("HOME", str(home)), str(home / "work" / "repo")),
    )
    for source, where, (name, then), now in cases:
        with monkeypatch.context() as m:
            m.chdir(where)
            m.setenv(name, then)
            with run(parser, parser.parse_args(["version"])) as scope:
                assert isinstance(scope, OffScope), source
                # Off by a file: where the files are is kept beside the app's variables.
                where_now = tuple((n, os.environ[n]) for n in WHERE if n in os.environ)
                app = (("LUMOGON_DISABLE_ANALYTICS", "off"), ("LUMOGON_TELEMETRY_ENDPOINT", "x"))
                assert scope.kept == (*app, *where_now)
                assert dict(scope.kept)[name] == then
                m.setenv(name, now)
                decided = gate.run_decision(SPEC)
                assert decided is not None
                decision = decided[0]
                verdicts = {decision.verdict(p) for p in SPEC.purpose_names}
                assert (verdicts, decision.decided_by.source) == ({"drop"}, source)


def test_a_run_off_by_a_variable_stays_off_when_the_command_clears_it(
    consent_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The variables that decide are kept as the command started (`OffScope.kept`): a program
    that changes them for its own children does not turn its run on."""
    consent_home.enable(SPEC)
    parser = argparse.ArgumentParser(prog="lumogon")
    parser.add_subparsers(dest="command", required=True).add_parser("version")
    install(parser, "lumogon.spec:SPEC", name="lumogon", env_prefix="LUMOGON")
    for name in ("LUMOGON_DISABLE_ANALYTICS", "DO_NOT_TRACK"):
        monkeypatch.setenv(name, "1")
        with run(parser, parser.parse_args(["version"])) as scope:
            assert isinstance(scope, OffScope)
            monkeypatch.setenv(name, "0")
            decided = gate.run_decision(SPEC)
            assert decided is not None
            decision = decided[0]
            verdicts = {decision.verdict(p) for p in SPEC.purpose_names}
            assert (verdicts, decision.decided_by.source) == ({"drop"}, "env"), name
        monkeypatch.delenv(name)


def test_a_run_off_in_a_directory_that_is_gone_is_off_and_its_project_fails_closed(
    consent_home: Home, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    consent_home.enable(SPEC)
    gone = tmp_path / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    with outside_any_run():
        scope = start(SpecRef(*REF, None), "lumogon version", flag=True)
        assert isinstance(scope, OffScope) and scope.cwd is None
        with scope:
            assert current_command(SPEC) == "lumogon version"
        # Off by the files, the flag aside: the project search cannot start, the run is the
        # full decision's (consent/_store/sources.py `read_project` fails closed there).
        assert start(SpecRef(*REF, None), "lumogon version", flag=False) is None
