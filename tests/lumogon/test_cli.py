"""lumogon's own commands as a person runs them: `scan` and `report` against a fake Docker Engine
(a unix socket) and a fake report service (127.0.0.1), with the loopback GA collector.

These prove that lumogon itself exercises the declarations of issue 11: the upload event carries
declared values only (`el` one of "ok", "failed"; `ev` an integer from 0 to 10000, refused
beyond), and only `lumogon report` may record it (`commands=("report",)`).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from consent._notice.document import markdown
from consent._start import STRICT_ENV
from consent._store.choices import record_choice
from consent._store.log import entries
from consent.testing.collector import Collector, Received
from consent.testing.plugin import Strict
from consent.testing.sockets import SocketWatch
from lumogon import SPEC
from tests.helpers import LUMOGON, PROCESS_TIMEOUT, Iso, logged_hits, run_lumogon
from tests.lumogon.fakes import REPORT_URL, FakeEngine, FakeService, engine_env

DEBUG = {"LUMOGON_TELEMETRY_DEBUG": "1"}


@pytest.fixture
def enabled(iso: Iso) -> Iso:
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    return iso


def by_type(hits: list[Received]) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = {}
    for hit in hits:
        assert hit.protocol == "legacy" and hit.valid and hit.params is not None, hit.messages
        out.setdefault(hit.params["t"], []).append(hit.params)
    return out


def test_an_enabled_report_sends_the_screenview_and_one_upload_as_show_payload_shows(
    enabled: Iso, consent_strict: Strict
) -> None:
    """Strict mode (the pytest plugin) is on: any refused event would fail this test."""
    with FakeEngine(count=3) as engine, FakeService() as service, Collector() as collector:
        env = {
            **engine_env(engine),
            "LUMOGON_ENDPOINT": service.url,
            "LUMOGON_TELEMETRY_ENDPOINT": collector.url,
        }
        proc = run_lumogon(enabled, "report", env=env)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout == REPORT_URL + "\n" and proc.stderr == ""
        logged = logged_hits(enabled.locs.log_file, count=2)  # both senders are done
        hits = collector.hits()
        shown = subprocess.run(
            [*LUMOGON, "telemetry", "show-payload", "report", "--with-id", "--json"],
            env={**enabled.env, **env},
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT,
            check=True,
        )
    assert [e["event"] for e in logged] == ["screenview", "upload"]
    sent = by_type(hits)
    assert [p["cd"] for p in sent["screenview"]] == ["lumogon report"]
    (upload,) = sent["event"]
    assert (upload["ec"], upload["ea"], upload["el"], upload["ev"]) == ("UX", "upload", "ok", "3")
    # Nothing about the containers but their count: no name, id or image in any hit.
    for hit in hits:
        assert b"web-" not in hit.raw_request and b"nginx" not in hit.raw_request
        assert b"0" * 64 not in hit.raw_request
    # The report itself went to the report service, whole.
    ((_, _, body),) = service.received
    assert [c["name"] for c in json.loads(body)["containers"]] == ["web-0", "web-1", "web-2"]
    # show-payload printed the exact bytes that arrived (its example values, "ok" and 3, are
    # this run's values).
    received = {h.params["t"]: h.raw_request for h in hits if h.params is not None}
    previews = {p["event"]: p["raw"].encode() for p in json.loads(shown.stdout)}
    assert previews == {"screenview": received["screenview"], "upload": received["event"]}


def test_a_failed_upload_sends_el_failed(enabled: Iso, consent_strict: Strict) -> None:
    with FakeEngine(count=2) as engine, FakeService("http500") as service, Collector() as coll:
        env = {**engine_env(engine), "LUMOGON_TELEMETRY_ENDPOINT": coll.url}
        proc = run_lumogon(enabled, "report", "--endpoint", service.url, env=env)
        assert proc.returncode == 1 and proc.stdout == ""
        assert proc.stderr.startswith("error: the report service at http://127.0.0.1:")
        assert "refused the report: HTTP 500: the store is full; try again later" in proc.stderr
        logged_hits(enabled.locs.log_file, count=2)
        (upload,) = by_type(coll.hits())["event"]
    assert (upload["el"], upload["ev"]) == ("failed", "2")


def test_with_telemetry_disabled_report_works_and_nothing_is_sent(iso: Iso, tmp_path: Path) -> None:
    watch = SocketWatch(tmp_path / "audit.jsonl")
    with FakeEngine(count=3) as engine, FakeService() as service, Collector() as collector:
        env = {
            **engine_env(engine),
            "LUMOGON_ENDPOINT": service.url,
            "LUMOGON_TELEMETRY_ENDPOINT": collector.url,
            "LUMOGON_DISABLE_ANALYTICS": "1",
        }
        proc = subprocess.run(
            [*LUMOGON, "report"],
            env=watch.env({**iso.env, **env}),
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert proc.returncode == 0 and proc.stdout == REPORT_URL + "\n", proc.stderr
        assert len(service.received) == 1
    assert watch.spawns() == []  # no sender was started: nothing can have been sent later
    assert collector.received() == []
    assert not iso.locs.log_file.exists()


def test_scan_prints_the_report_and_records_no_upload_event(
    enabled: Iso, consent_strict: Strict
) -> None:
    with FakeEngine(count=2) as engine, Collector() as collector:
        env = {**engine_env(engine), "LUMOGON_TELEMETRY_ENDPOINT": collector.url}
        proc = run_lumogon(enabled, "scan", env=env)
        assert proc.returncode == 0, proc.stderr
        logged = logged_hits(enabled.locs.log_file, count=1)
        hits = collector.hits()
    report = json.loads(proc.stdout)
    assert report["schema"] == "lumogon-report/1" and len(report["containers"]) == 2
    assert [e["event"] for e in logged] == ["screenview"]
    assert [h.params["cd"] for h in hits if h.params] == ["lumogon scan"]
    assert "event" not in by_type(hits)


def test_more_containers_than_declared_refuse_the_upload_event(
    enabled: Iso, tmp_path: Path
) -> None:
    """10 001 containers: `ev` allows 0 to 10 000, so the upload event is refused whole (the
    report itself still goes); under the debug variable the refusal is printed."""
    with FakeEngine(count=10_001) as engine, FakeService() as service:
        env = {**engine_env(engine), "LUMOGON_ENDPOINT": service.url}
        with Collector() as collector:
            quiet = run_lumogon(
                enabled, "report", env={**env, "LUMOGON_TELEMETRY_ENDPOINT": collector.url}
            )
            logged_hits(enabled.locs.log_file, count=1)  # the sender is done
            hits = collector.hits()
        debug = run_lumogon(enabled, "report", env={**env, **DEBUG})
        logged = entries(enabled.locs.log_file)
        strict = Strict(tmp_path / "strict.jsonl")
        run_lumogon(enabled, "report", env={**env, STRICT_ENV: str(strict.log)})
    assert debug.returncode == 0 and debug.stdout == REPORT_URL + "\n"
    assert (
        "telemetry: refused event 'upload', field 'ev': lumogon: the 'upload' event refuses "
        "'ev': 10001 is not an integer from 0 to 10000; declare the value in the field's "
        "`allowed`. Nothing of this event was sent"
    ) in debug.stderr
    assert "t=screenview" in debug.stderr and "t=event" not in debug.stderr
    assert quiet.returncode == 0 and quiet.stdout == REPORT_URL + "\n" and quiet.stderr == ""
    assert len(service.received) == 3  # the report went each time
    # The quiet run's screenview was sent, the debug run's printed; no upload event anywhere.
    assert [e["event"] for e in logged] == ["screenview", "screenview"]
    assert [h.params["t"] for h in hits if h.params] == ["screenview"]
    # The pytest plugin's strict mode sees the refusal, and would fail an adopter's test.
    ((refusal),) = strict.refusals()
    assert (refusal["app"], refusal["event"], refusal["field"]) == ("lumogon", "upload", "ev")


def test_no_docker_is_a_clear_error_and_no_upload_is_recorded(enabled: Iso) -> None:
    with FakeService() as service:
        env = {"DOCKER_HOST": "unix:///nonexistent/docker.sock", "LUMOGON_ENDPOINT": service.url}
        proc = run_lumogon(enabled, "report", env={**env, **DEBUG})
        assert service.received == []
    assert proc.returncode == 1 and proc.stdout == ""
    assert (
        "error: cannot read the Docker Engine at /nonexistent/docker.sock (GET /version): "
        "no such socket; is Docker running?"
    ) in proc.stderr
    assert "t=screenview" in proc.stderr and "t=event" not in proc.stderr  # no upload attempted


def test_only_report_may_record_the_upload_event(iso: Iso) -> None:
    """`commands=("report",)`: code outside `lumogon report` cannot record it."""
    code = (
        "from consent import record_event; from lumogon import SPEC; "
        "record_event(SPEC, 'upload', {'el': 'ok', 'ev': 1})"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env={**iso.env, "LUMOGON_DISABLE_ANALYTICS": "1", **DEBUG},
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=True,
    )
    assert (
        "refused event 'upload': lumogon: code outside a command run may not record the "
        "'upload' event; it lists 'report'"
    ) in proc.stderr


def test_show_payload_report_shows_both_requests_and_version_only_the_screenview(
    iso: Iso,
) -> None:
    report = run_lumogon(iso, "telemetry", "show-payload", "report")
    labels = [line for line in report.stderr.splitlines() if line.startswith("# event")]
    url = "https://www.google-analytics.com/collect"
    assert labels == [
        f"# event 'screenview' (every run of lumogon report): POST {url}",
        f"# event 'upload' (when lumogon report records it): POST {url}",
    ]
    assert report.stdout.count("POST /collect HTTP/1.1") == 2
    assert "&el=ok&ev=3" in report.stdout  # the declared examples
    for words in (["version"], ["scan"]):
        only = run_lumogon(iso, "telemetry", "show-payload", *words, "--json")
        assert [p["event"] for p in json.loads(only.stdout)] == ["screenview"]


def test_the_notice_lists_what_the_upload_fields_may_carry() -> None:
    text = markdown(SPEC)
    assert 'Allowed: one of "ok", "failed".' in text
    assert "Allowed: an integer from 0 to 10000." in text
    assert "Recorded by `lumogon report` only." in text
