"""Terminal manners: results on stdout and messages on stderr, --json for scripts, exit codes 0/1/2,
shell completion, and colour only on a terminal and never under NO_COLOR."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest

from consent._store.choices import record_choice
from consent.testing.sockets import SocketWatch
from lumogon import SPEC
from tests.helpers import LUMOGON, Iso, run_in_pty, run_lumogon

SGR = re.compile(r"\x1b\[([0-9;]*)m")


def colours(text: str) -> list[str]:
    """SGR sequences that set a colour (foreground or background); bold and reset are not colour."""
    found = []
    for params in SGR.findall(text):
        codes = [int(c) for c in params.split(";") if c]
        if any(30 <= c <= 49 or 90 <= c <= 107 for c in codes):
            found.append(params)
    return found


@pytest.mark.parametrize(
    "args",
    [
        ["telemetry", "status", "--json"],
        ["telemetry", "show-payload", "--json"],
        ["telemetry", "show-payload", "version", "--json"],
        ["telemetry", "log", "--json"],
        ["telemetry", "notice", "--json"],
        ["telemetry", "notice", "--format", "json"],
    ],
)
def test_json_output_is_json_on_stdout(iso: Iso, args: list[str]) -> None:
    proc = run_lumogon(iso, *args)
    assert proc.returncode == 0, proc.stderr
    json.loads(proc.stdout)
    assert "{" not in proc.stderr and "[" not in proc.stderr


def test_results_on_stdout_messages_on_stderr(iso: Iso) -> None:
    status = run_lumogon(iso, "telemetry", "status")
    assert status.stdout.startswith("Telemetry for lumogon is") and status.stderr == ""
    shown = run_lumogon(iso, "telemetry", "show-payload", "version")
    assert shown.stdout.startswith("POST /collect HTTP/1.1\n")  # text mode: CR LF read as LF
    assert "would NOT be sent now" in shown.stderr and "would" not in shown.stdout
    enabled = run_lumogon(iso, "telemetry", "enable")
    assert enabled.stdout.startswith("Telemetry enabled") and "show-payload" in enabled.stderr
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    debug = run_lumogon(iso, "version", env={"LUMOGON_TELEMETRY_DEBUG": "1"})
    assert debug.stdout == "lumogon 0.1.0\n" and "POST /collect" in debug.stderr
    log = run_lumogon(iso, "telemetry", "log")
    assert "printed, not sent" in log.stdout and "log:" in log.stderr


@pytest.mark.parametrize("args", [[], ["telemetry"]])
def test_a_group_without_a_command_shows_its_help_and_exits_2(iso: Iso, args: list[str]) -> None:
    proc = run_lumogon(iso, *args)  # typer's no_args_is_help: the help is on stdout
    assert proc.returncode == 2 and "Usage:" in proc.stdout and "Commands" in proc.stdout


@pytest.mark.parametrize(
    "args",
    [
        ["nope"],
        ["--nope", "version"],
        ["telemetry", "status", "--bogus"],
        ["telemetry", "notice", "--format", "xml"],
        ["telemetry", "show-payload", "--event"],
    ],
)
def test_usage_errors_exit_2_on_stderr(iso: Iso, args: list[str]) -> None:
    proc = run_lumogon(iso, *args)
    assert proc.returncode == 2
    assert proc.stdout == "" and "Error" in proc.stderr and "Traceback" not in proc.stderr


def test_errors_exit_1_on_stderr(iso: Iso) -> None:
    iso.write_policy("[telemetry]\nenabled = false\n")
    proc = run_lumogon(iso, "telemetry", "enable")
    assert proc.returncode == 1 and proc.stdout == "" and proc.stderr.startswith("error: ")
    proc = run_lumogon(iso, "telemetry", "show-payload", "nope")
    assert proc.returncode == 1 and "is not a command" in proc.stderr


@pytest.mark.parametrize(
    "args", [["version"], ["telemetry", "notice"], ["telemetry", "status"], ["--help"]]
)
def test_closed_stdout_exits_1_without_a_traceback(iso: Iso, args: list[str]) -> None:
    read, write = os.pipe()
    os.close(read)  # the reader is gone before anything is written: every write gets EPIPE
    try:
        proc = subprocess.run(
            [*LUMOGON, *args],
            env=iso.env,
            stdout=write,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(write)
    assert proc.returncode == 1
    assert proc.stderr == b""


# typer guesses the shell from the process tree unless told not to; then `--show-completion` and
# `--install-completion` take the shell as their value. Without this, the result depends on how
# pytest was started (no shell among its parents: "Shell  not supported").
NAMED_SHELL = {"_TYPER_COMPLETE_TEST_DISABLE_SHELL_DETECTION": "1"}


def test_show_completion_script(iso: Iso) -> None:
    proc = run_lumogon(iso, "--show-completion", "bash", env=NAMED_SHELL)
    assert proc.returncode == 0 and "_lumogon_completion()" in proc.stdout
    assert "_LUMOGON_COMPLETE=complete_bash" in proc.stdout


def test_install_completion_writes_only_under_home(iso: Iso, tmp_path: Path) -> None:
    home = tmp_path / "shellhome"
    home.mkdir()
    proc = run_lumogon(iso, "--install-completion", "bash", env={**NAMED_SHELL, "HOME": str(home)})
    assert proc.returncode == 0, proc.stderr
    assert "lumogon" in (home / ".bashrc").read_text()
    assert list(home.rglob("lumogon.sh"))


@pytest.mark.parametrize(
    ("words", "cword", "expected"),
    [
        ("lumogon tele", 1, ["telemetry"]),
        ("lumogon telemetry s", 2, ["status", "show-payload"]),
        ("lumogon --dis", 1, ["--disable-analytics"]),
    ],
)
def test_completion_completes_and_sends_nothing(
    iso: Iso, consent_sockets: SocketWatch, words: str, cword: int, expected: list[str]
) -> None:
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    env = {
        **consent_sockets.env(iso.env),
        "_LUMOGON_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(cword),
        "LUMOGON_TELEMETRY_ENDPOINT": "http://127.0.0.1:9",
    }
    proc = subprocess.run(LUMOGON, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0
    assert proc.stdout.split() == expected
    consent_sockets.assert_no_sockets()
    assert not iso.locs.log_file.exists()


def test_only_the_root_offers_completion(iso: Iso) -> None:
    assert "--install-completion" in run_lumogon(iso, "--help").stdout
    assert "--install-completion" not in run_lumogon(iso, "telemetry", "--help").stdout


@pytest.mark.slow  # pty
def test_colour_on_a_terminal_only_and_never_under_no_color(iso: Iso) -> None:
    env = {**iso.env, "DO_NOT_TRACK": "1", "TERM": "xterm-256color"}
    warn = [*LUMOGON, "telemetry", "enable"]
    usage = [*LUMOGON, "telemetry", "status", "--bogus"]
    assert colours(run_in_pty(warn, env).terminal)
    assert colours(run_in_pty(usage, env).terminal)
    no_color = {**env, "NO_COLOR": "1"}
    for argv in (warn, usage):
        run = run_in_pty(argv, no_color)
        assert run.terminal.strip() and colours(run.terminal) == []
    for args in (["telemetry", "enable"], ["telemetry", "status", "--bogus"], ["--help"]):
        piped = run_lumogon(iso, *args, env={"DO_NOT_TRACK": "1", "TERM": "xterm-256color"})
        assert "\x1b[" not in piped.stdout + piped.stderr
