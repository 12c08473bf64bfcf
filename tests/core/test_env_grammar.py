"""Every row of the env value grammar (docs/configuration.md), for both variables."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consent.core.envgrammar import ci_marker, read_value
from consent.store.sources import resolve
from lumogon import SPEC

ROWS = [
    # (raw value, disables, understood)
    (None, False, True),
    ("", False, True),
    ("   ", False, True),
    ("0", False, True),
    ("false", False, True),
    ("False", False, True),
    (" NO ", False, True),
    ("off", False, True),
    ("1", True, True),
    ("true", True, True),
    ("TRUE", True, True),
    ("yes", True, True),
    (" On\t", True, True),
    ("2", True, False),
    ("disable", True, False),
    ("ja", True, False),
    ("\uff54\uff52\uff55\uff45", True, False),  # fullwidth "true" is not the ASCII word
    ("x" * 10_000, True, False),
]
VARIABLES = ["LUMOGON_DISABLE_ANALYTICS", "DO_NOT_TRACK"]


@pytest.mark.parametrize("name", VARIABLES)
@pytest.mark.parametrize(("raw", "disables", "understood"), ROWS)
def test_grammar_row(
    iso: object, name: str, raw: str | None, disables: bool, understood: bool
) -> None:
    environ = {} if raw is None else {name: raw}
    decision = resolve(SPEC, environ=environ)
    env_votes = [v for v in decision.trace if v.source == "env" and v.origin.get("name") == name]
    assert len(env_votes) == 1
    assert (env_votes[0].vote == "disable") is disables
    if disables:
        assert not decision.enabled
        assert decision.decided_by.source == "env"
        assert decision.decided_by.origin["name"] == name
        assert decision.decided_by.origin["value"] == raw
    else:
        assert decision.decided_by.source != "env"
    warned = [w for w in decision.warnings if name in w]
    assert bool(warned) is (not understood)


@given(st.text(max_size=40))
def test_unknown_values_never_allow(raw: str) -> None:
    reading = read_value(raw)
    word = raw.strip().lower()
    if word in ("", "0", "false", "no", "off"):
        assert reading in ("unset", "false")
    else:
        assert reading in ("true", "unknown")


def test_ci_marker_false_is_not_ci() -> None:
    assert ci_marker({"CI": "false"}) is None
    assert ci_marker({"CI": "0"}) is None
    assert ci_marker({"CI": "true"}) == "CI"
    assert ci_marker({"GITHUB_ACTIONS": "true"}) == "GITHUB_ACTIONS"
    assert ci_marker({"JENKINS_URL": "https://ci.example"}) == "JENKINS_URL"
    assert ci_marker({}) is None
