"""The README opens with exactly the two commands, and CI runs the second one."""

from __future__ import annotations

from tests.helpers import ROOT


def readme_commands() -> list[str]:
    text = (ROOT / "README.md").read_text()
    block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    return [line for line in block.splitlines() if line.strip()]


def test_readme_opens_with_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    assert text.startswith("# consent\n\n```sh\n")  # the commands come before anything else
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[0].endswith("lumogon telemetry status")
    assert "pytest" in commands[1]


def test_ci_runs_the_readme_test_command() -> None:
    assert readme_commands()[1] in (ROOT / ".ci" / "run").read_text().splitlines()


def test_readme_says_the_suite_takes_minutes_and_how_to_run_the_fast_part() -> None:
    text = (ROOT / "README.md").read_text()
    prose = text.split("```", 2)[2]  # after the two commands
    assert "takes a few minutes" in prose
    assert '`.venv/bin/python -m pytest -q -n auto -m "not slow"`' in prose
    # The marker it names is the one the suite's slow tests carry.
    assert "slow:" in (ROOT / "pyproject.toml").read_text()
