"""Every row of the env value grammar (docs/configuration.md), for both variables."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consent._core.envgrammar import ci_marker, read_value
from consent._store.sources import resolve
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


@pytest.mark.parametrize(
    ("raw", "reading"),
    [
        (None, "unset"), ("", "unset"), ("  ", "unset"), ("0", "false"), (" Off ", "false"),
        ("no", "false"), ("false", "false"), ("1", "true"), ("YES", "true"), ("on", "true"),
        ("true", "true"), ("maybe", "unknown"), ("2", "unknown"),
    ],
)  # fmt: skip
def test_every_env_word(raw: str | None, reading: str) -> None:
    assert read_value(raw) == reading


@pytest.mark.parametrize(
    "name",
    [
        "CI", "CONTINUOUS_INTEGRATION", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI",
        "TRAVIS", "JENKINS_URL", "TEAMCITY_VERSION", "TF_BUILD", "BITBUCKET_BUILD_NUMBER",
        "CODEBUILD_BUILD_ID", "DRONE", "APPVEYOR", "BUILD_NUMBER",
    ],
)  # fmt: skip
def test_every_documented_ci_marker_is_read(name: str) -> None:
    from consent._core.envgrammar import ci_marker

    assert ci_marker({name: "1"}) == name
    assert ci_marker({name: "maybe"}) == name  # not a false word: counts
    assert ci_marker({name: "false"}) is None
    assert ci_marker({}) is None


def test_shown_quotes_escapes_and_cuts() -> None:
    from consent._core.envgrammar import shown

    assert shown(None) == "(unset)"
    assert shown("1") == "'1'"
    assert shown("a\x1b") == "'a\\x1b'"
    exact = "x" * 58  # repr adds two quotes: 60 characters, the limit, kept whole
    assert shown(exact) == repr(exact)
    assert shown(exact + "y") == "'" + "x" * 54 + "…' (cut)"
    assert len(shown("z" * 1000)) == 55 + len("…' (cut)")


@pytest.mark.parametrize(
    ("reading", "disables"),
    [("unset", False), ("false", False), ("true", True), ("unknown", True)],
)
def test_which_readings_disable(reading: str, disables: bool) -> None:
    from consent._core.envgrammar import EnvReading

    assert EnvReading("X", "v", reading).disables is disables
