"""Issue 25, point 3: the first layer of the notice (consent/_notice/prompts.py), in-process.

The pty tests (tests/e2e/test_first_run_layers.py) see it on a real terminal; these hold every
app of the repository to it, and the wrapping to its rules."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent._core.spec import AppSpec
from consent._notice.prompts import first_run_text, question_text, wrap
from lumogon import SPEC as LUMOGON
from tests.apps import acme
from tests.apps.frameworks import SPEC as EXAMPLE
from tests.helpers import opt_in_spec

SPECS = {"lumogon": LUMOGON, "acme": acme.SPEC, "example": EXAMPLE, "opt-in": opt_in_spec()}


def required_words(spec: AppSpec) -> list[str]:
    c = spec.commands
    return [spec.controller.strip(), "Google Analytics", f"{c} disable", f"{c} notice"]


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_notice_fits_10_lines_of_80_columns(name: str) -> None:
    spec = SPECS[name]
    lines = first_run_text(spec, width=80).splitlines()
    assert len(lines) <= 10 and max(map(len, lines)) <= 80, lines
    text = " ".join(lines)
    for words in [
        *required_words(spec),
        f"{len(spec.fields)} fields",
        "Nothing was sent this run",
        f"{spec.disable_env}=1",
        "DO_NOT_TRACK=1",
        "--disable-analytics",
    ]:
        assert words in text, words


@pytest.mark.parametrize("name", sorted(SPECS))
def test_the_question_fits_and_names_every_field(name: str) -> None:
    spec = SPECS[name]
    lines = question_text(spec, width=80).splitlines()
    assert len(lines) <= 10 and max(map(len, lines)) <= 80, lines
    assert lines[-1] == "Allow it? [y/N] "
    text = " ".join(lines)
    for words in [*required_words(spec), "Nothing is sent in this run"]:
        assert words in text, words
    fields = next(line for line in lines if line.startswith(f"Fields ({len(spec.fields)}): "))
    rest = text[text.index(fields) :]
    assert all(f.wire in rest for f in spec.fields)


def test_lumogon_before_and_after() -> None:
    """The figure the issue gives: 21 lines before (37 rows of an 80-column terminal)."""
    assert len(first_run_text(LUMOGON, width=80).splitlines()) == 8


words_ = st.text(st.sampled_from("abc-=_."), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(st.lists(words_, min_size=1, max_size=40), st.integers(20, 100))
def test_wrap_breaks_only_between_words(words: list[str], width: int) -> None:
    lines = wrap(" ".join(words), width)
    assert " ".join(line.strip() for line in lines).split(" ") == words
    for line in lines:
        assert len(line) <= width or " " not in line.strip()  # only a word wider than the line
    assert all(line.startswith("  ") for line in lines[1:])
