"""Issue 25, point 3: the first layer of the notice, in a real 80-column terminal.

At most 10 lines before the command's own output: who, why, what kind of data (with the number
of fields), where it goes, that nothing was sent, how to turn it off in the words a person
types, and the command for the full notice. The opt-in question names every field it covers; a
re-shown notice still says what changed.
"""

from __future__ import annotations

import pytest

from lumogon import SPEC
from tests.apps import acme
from tests.helpers import ACME, LUMOGON, Iso, run_in_pty

pytestmark = pytest.mark.slow

LIMIT = 10


def lines_before(screen: str, output: str) -> list[str]:
    """The terminal's lines before the command's own output, each no wider than the terminal
    (the program wraps them itself), so that a line is a line on the screen."""
    head, found, _ = screen.partition(output)
    assert found, screen
    return head.splitlines()


def test_lumogon_first_run_at_80_columns(iso: Iso) -> None:
    run = run_in_pty([*LUMOGON, "version"], iso.env, columns=80, stdout_too=True)
    assert run.returncode == 0
    shown = lines_before(run.terminal, "lumogon 0.1.0")
    assert 0 < len(shown) <= LIMIT, shown
    assert max(len(line) for line in shown) <= 80
    text = " ".join(shown)
    for words in (
        "Google Analytics",
        SPEC.controller,
        "usage, service-health",
        f"{len(SPEC.fields)} fields",
        "Nothing was sent this run",
        "lumogon telemetry disable",
        "LUMOGON_DISABLE_ANALYTICS=1",
        "DO_NOT_TRACK=1",
        "--disable-analytics",
        "lumogon telemetry notice",
    ):
        assert words in text, words
    # A command a person types is never broken across two lines.
    assert any("lumogon telemetry disable" in line for line in shown)
    assert any("lumogon telemetry notice" in line for line in shown)


def test_a_narrow_terminal_gets_lines_that_fit(iso: Iso) -> None:
    run = run_in_pty([*LUMOGON, "version"], iso.env, columns=60)
    shown = run.terminal.splitlines()
    assert shown and max(len(line) for line in shown) <= 60, shown


def test_the_opt_in_question_names_every_field_in_at_most_10_lines(iso: Iso) -> None:
    run = run_in_pty([*ACME, "build"], iso.env, answer="n", columns=80)
    shown = lines_before(run.terminal, "[y/N]")
    assert len(shown) + 1 <= LIMIT, shown  # the prompt's own line included
    assert max(len(line) for line in run.terminal.splitlines()) <= 80
    text = " ".join(shown)
    for f in acme.SPEC.fields:
        assert f.wire in text, f.wire
    for words in ("Google Analytics", acme.SPEC.controller, "acme telemetry disable"):
        assert words in text, words
    assert "acme telemetry notice" in text and "Nothing is sent in this run" in text


def test_a_reshown_notice_still_says_what_changed(iso: Iso) -> None:
    env = {**iso.env, "ACME_MODE": "opt-out"}
    first = run_in_pty([*ACME, "build"], env, columns=80)
    assert "sends pseudonymous usage data unless you opt out" in first.terminal
    changed = {**env, "ACME_REGISTRY_EXTRA": "duration_bucket"}
    again = run_in_pty([*ACME, "build"], changed, columns=80, stdout_too=True)
    shown = lines_before(again.terminal, "built 0")
    text = " ".join(shown)
    assert "notice changed since the version you last saw" in text
    assert "fields added: duration_bucket." in text
    assert "sends pseudonymous usage data unless you opt out" in text
    assert max(len(line) for line in shown) <= 80
