"""Issue 25, point 6: `expect_refusal`, strict mode's assertion for a refusal a test expects."""

from __future__ import annotations

import os
import subprocess

import pytest

from consent import HitError, record_event
from consent._core.runs import STRICT_ENV
from consent.testing import expect_refusal
from consent.testing.home import Home
from consent.testing.plugin import Strict
from tests.apps import acme
from tests.helpers import ACME, PROCESS_TIMEOUT

# Acme's registry with a `deployed` event that any code may record (acme's lists `deploy run`).
SPEC = acme.SPEC.replace(
    events=tuple(e.replace(commands=()) if e.name == "deployed" else e for e in acme.SPEC.events)
)


def test_a_refusal_in_the_block_passes_and_names_what_was_refused(consent_home: Home) -> None:
    with expect_refusal(event="deployed", field="retries", reason="99 is not an integer") as seen:
        record_event(SPEC, "deployed", {"outcome": "ok", "retries": 99})
    [refusal] = seen.matched
    assert (refusal["app"], refusal["event"], refusal["field"]) == ("acme", "deployed", "retries")
    assert STRICT_ENV not in os.environ  # strict mode was the block's own, and is gone


def test_no_refusal_fails_the_block(consent_home: Home) -> None:
    with (
        pytest.raises(
            AssertionError, match="refuse event 'deployed', field 'retries', but nothing"
        ),
        expect_refusal(event="deployed", field="retries"),
    ):
        record_event(SPEC, "deployed", {"outcome": "ok", "retries": 3})


def test_a_refusal_of_another_field_is_not_the_one_expected(consent_home: Home) -> None:
    with (
        pytest.raises(HitError, match="refuses 'outcome'"),
        expect_refusal(event="deployed", field="retries"),
    ):
        record_event(SPEC, "deployed", {"outcome": "maybe", "retries": 3})


def test_a_refusal_in_a_subprocess(consent_home: Home) -> None:
    """A subprocess given the block's variable records its refusal where the block reads it."""
    with expect_refusal(event="deployed", field="retries") as seen:
        proc = subprocess.run(
            [*ACME, "deploy", "run", "prod", "--retries", "99"],
            env=seen.env(consent_home.env),
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT,
            check=False,
        )
    assert "deployed" not in proc.stdout  # strict: the refusing call raised in the child too
    assert "99 is not an integer from 0 to 10" in seen.matched[0]["reason"]


def test_under_strict_mode_only_the_expected_refusal_is_forgiven(
    consent_home: Home, consent_strict: Strict
) -> None:
    with expect_refusal(event="deployed", field="outcome"):
        record_event(SPEC, "deployed", {"outcome": "maybe", "retries": 0})
    assert consent_strict.refusals() == []  # taken out: it does not fail this test at its end
    with pytest.raises(HitError):
        record_event(SPEC, "deployed", {"outcome": "ok", "retries": 12})
    assert [r["field"] for r in consent_strict.refusals()] == ["retries"]
    consent_strict.log.write_text("")  # this test's own check, done: let it end cleanly


def test_consent_home_starts_with_no_run_registered(request: pytest.FixtureRequest) -> None:
    """A run left behind by earlier code in the test process (an argparse program's
    `run(parser, args)` lasts until its program ends) is set aside: the next test must not record
    its events under that run's command (the example app's suite found this)."""
    from consent._core import runs
    from consent._store.sources import resolve
    from consent.testing.runs import current_command

    left = runs.start_run(SPEC, resolve(SPEC, environ={}), "acme deploy run")  # never ended
    request.addfinalizer(left.end)  # after consent_home's teardown has put it back
    request.getfixturevalue("consent_home")
    assert current_command(SPEC) is None
    with expect_refusal(event="deployed", reason="code outside a command run"):
        record_event(acme.SPEC, "deployed", {"outcome": "ok", "retries": 0})


def test_a_run_set_aside_comes_back_unless_it_ended() -> None:
    from consent._core import runs
    from consent._store.sources import resolve
    from consent.testing.runs import current_command, outside_any_run

    kept = runs.start_run(SPEC, resolve(SPEC, environ={}), "acme kept")
    ended = runs.start_run(acme.SPEC.replace(name="other"), resolve(SPEC, environ={}), "other x")
    with outside_any_run():
        assert current_command(SPEC) is None
        ended.end()
    assert current_command(SPEC) == "acme kept"
    assert current_command(acme.SPEC.replace(name="other")) is None
    kept.end()
    assert current_command(SPEC) is None
