"""Command names, never argv: random command lines full of secrets never reach a payload.

Runs lumogon in-process with consent enabled and the debug variable set, so the
exact request that would be sent is printed to stderr instead of leaving.
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from consent._store.choices import record_choice
from lumogon import SPEC, app
from tests.apps import acme
from tests.helpers import Iso, secrets

SECRETS = secrets()
WORDS = st.one_of(st.sampled_from(["version", "telemetry", "status", "lumogon"]), SECRETS)
KNOWN_SCREENS = {"lumogon version"}


@pytest.fixture
def enabled_debug(iso: Iso, monkeypatch: pytest.MonkeyPatch) -> Iso:
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    monkeypatch.setenv("LUMOGON_TELEMETRY_DEBUG", "1")
    return iso


def request_bodies(stderr: bytes) -> list[str]:
    """The bodies of the requests the debug mode printed (the line after the blank line)."""
    bodies = []
    for chunk in stderr.split(b"POST /collect HTTP/1.1\r\n")[1:]:
        bodies.append(chunk.split(b"\r\n\r\n", 1)[1].splitlines()[0].decode())
    return bodies


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(argv=st.lists(WORDS, max_size=6))
@example(argv=["version"])
@example(argv=["--", "version"])
def test_no_argv_word_reaches_a_payload(enabled_debug: Iso, argv: list[str]) -> None:
    result = CliRunner().invoke(app, argv)
    bodies = request_bodies(result.stderr_bytes)
    # A run of `version` prints exactly one request; every other line (usage errors, help, the
    # telemetry commands) prints none, so the checks below cannot pass by finding no request.
    ran_version = result.exit_code == 0 and result.stdout == "lumogon 0.1.0\n"
    assert len(bodies) == (1 if ran_version else 0), (argv, result.exit_code, result.stderr)
    for body in bodies:
        fields = dict(parse_qsl(body))
        assert set(fields) == {"v", "tid", "cid", "an", "av", "t", "cd"}
        assert fields["cd"] in KNOWN_SCREENS
        for word in argv:
            if word not in ("version", "lumogon", "status", "telemetry", "-v", "--"):
                assert word not in body


def test_debug_mode_prints_instead_of_sending(enabled_debug: Iso) -> None:
    result = CliRunner().invoke(app, ["version", "--token=hunter2"])
    # `version` takes no arguments: click rejects the line before the command runs.
    assert result.exit_code == 2
    assert request_bodies(result.stderr_bytes) == []
    result = CliRunner().invoke(app, ["version"])
    assert result.exit_code == 0
    (body,) = request_bodies(result.stderr_bytes)
    assert "cd=lumogon%20version" in body


@pytest.fixture
def acme_enabled(iso: Iso, monkeypatch: pytest.MonkeyPatch) -> Iso:
    from consent._store.paths import locations

    record_choice(acme.SPEC, locations(acme.SPEC), enabled=True, via="test")
    monkeypatch.setenv("ACME_TELEMETRY_DEBUG", "1")
    return iso


ACME_SCREENS = {"acme build", "acme deploy run"}


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    head=st.sampled_from(
        [["build"], ["deploy", "run"], ["build", "--token"], ["deploy", "run", "--force"]]
    ),
    words=st.lists(SECRETS, min_size=1, max_size=5),
)
def test_arguments_and_option_values_never_reach_a_ga4_payload(
    acme_enabled: Iso, head: list[str], words: list[str]
) -> None:
    import json

    argv = [*head, *words]
    result = CliRunner().invoke(acme.app, argv)
    printed = result.stderr_bytes
    if result.exit_code != 0:
        assert b"POST " not in printed
        return
    chunks = printed.split(b"POST /mp/collect?")[1:]
    assert len(chunks) == (2 if head[0] == "deploy" else 1)  # screenview (+ the deployed event)
    for chunk in chunks:
        body = json.loads(chunk.split(b"\r\n\r\n", 1)[1].splitlines()[0])
        params = body["events"][0]["params"]
        assert params.get("command", "acme build") in ACME_SCREENS
        text = json.dumps(body)
        for word in words:
            assert word not in text
