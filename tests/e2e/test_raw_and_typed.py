"""Issue 25, points 2 and 5: the collector keeps each request's exact bytes (`--dump DIR`), so
`cmp` against `show-payload` works; and a GA4 integer arrives as a JSON number."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from consent.testing.collector import Collector
from consent.testing.home import Home
from tests.apps import acme
from tests.helpers import ACME, LUMOGON, PROCESS_TIMEOUT, SENDER_TIMEOUT, Iso, logged_hits


def wait_for_files(folder: Path, count: int) -> list[Path]:
    """The dump files once `count` are there (each is renamed into place whole)."""
    deadline = time.monotonic() + SENDER_TIMEOUT
    while True:
        found = sorted(folder.glob("*.http"))
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        argv,
        env=env,
        capture_output=True,
        check=True,
        timeout=PROCESS_TIMEOUT,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_cmp_show_payload_against_the_collector_dump(iso: Iso, tmp_path: Path) -> None:
    """What an adopter types: start the collector with --dump, run the app, then `cmp` the
    app's show-payload output with the file the collector wrote."""
    dump = tmp_path / "dump"
    collector = subprocess.Popen(
        [sys.executable, "-m", "consent.testing.collector", "--dump", str(dump)],
        env=iso.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert collector.stdout is not None
        url = collector.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        env = {**iso.env, "LUMOGON_TELEMETRY_ENDPOINT": url}
        run([*LUMOGON, "telemetry", "enable"], env)
        run([*LUMOGON, "version"], env)
        [arrived] = wait_for_files(dump, 1)
        shown = tmp_path / "shown.http"
        shown.write_bytes(
            run([*LUMOGON, "telemetry", "show-payload", "version", "--with-id"], env).stdout
        )
        same = subprocess.run(
            ["cmp", str(shown), str(arrived)], capture_output=True, text=True, check=False
        )
        assert same.returncode == 0, same.stdout + same.stderr
        assert arrived.name == "0001-legacy.http"
    finally:
        collector.terminate()
        _, log = collector.communicate(timeout=PROCESS_TIMEOUT)
    assert f"valid > {arrived}" in log  # the collector's log names each request's file


def test_a_ga4_integer_arrives_as_a_json_number(
    consent_home: Home, consent_collector: Collector
) -> None:
    """acme's `retries` is declared `allowed=range(0, 11)`: it leaves, and arrives, as 3, not "3";
    the fixture's dump holds the bytes, and the collector holds them to acme's registry."""
    consent_collector.expect(acme.SPEC)
    consent_home.enable(acme.SPEC)
    env = {**consent_home.env, "ACME_TELEMETRY_ENDPOINT": consent_collector.url}
    run([*ACME, "deploy", "run", "prod", "--retries", "3"], env)
    logged_hits(consent_home.locations(acme.SPEC).log_file, count=2)
    hits = {h.payload["events"][0]["name"]: h for h in consent_collector.hits()}  # type: ignore[index]
    deployed = hits["deploy_done"]
    assert deployed.valid, deployed.messages
    params = deployed.payload["events"][0]["params"]  # type: ignore[index]
    assert params["retries"] == 3 and type(params["retries"]) is int
    assert b'"retries":3' in deployed.body
    [file] = [p for p in consent_collector.dumped() if p.read_bytes() == deployed.raw_request]
    assert file.parent == consent_collector.dump_dir
    shown = run([*ACME, "telemetry", "show-payload", "deploy", "run", "--event", "deployed"], env)
    body = shown.stdout.split(b"\r\n\r\n", 1)[1]
    assert json.loads(body)["events"][0]["params"]["retries"] == 0  # the example, typed alike


def test_the_collector_holds_params_to_the_registry() -> None:
    """With `expect(spec)`, an integer sent as text, a string sent as a number or a param the
    registry does not declare makes the hit invalid."""
    from consent.testing.collector import ga4

    declared = {"retries": "integer", "outcome": "string", "engagement_time_msec": "string"}

    def messages(params: dict[str, object]) -> list[str]:
        body = json.dumps({"client_id": "x", "events": [{"name": "deploy_done", "params": params}]})
        verdict = ga4.validate(
            "measurement_id=G-1&api_secret=s", body.encode(), now_micros=0, declared=declared
        )
        return [m.description for m in verdict.messages]

    assert messages({"retries": 3, "outcome": "ok"}) == []
    assert messages({"retries": "3"}) == [
        "Event at index: [0] param [retries] must be a number: the app's registry declares an "
        "integer."
    ]
    assert messages({"outcome": 1}) == [
        "Event at index: [0] param [outcome] must be a string, as the app's registry declares."
    ]
    assert messages({"path": "/etc"}) == [
        "Event at index: [0] param [path] is not declared by the app's registry."
    ]
