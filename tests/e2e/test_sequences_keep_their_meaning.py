"""Sequences of a person's choices keep their meaning (issue 21): each test is one sequence that
broke a promise, run as a person runs it (the real CLI, real files, a loopback collector). Each
fails on the code before the one model of the person's words, the per-project search that reads
every file on the way up, the scoped run, the sender's shared lock and the anchored receipts.

They use only what existed before that change, so that they can be run against it.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from typer.testing import CliRunner

from consent import record_event
from consent._store.choices import record_choice, record_notice_shown
from consent.testing.collector import Collector
from consent.testing.home import Home
from lumogon import SPEC
from tests.apps import acme
from tests.helpers import LUMOGON, PROCESS_TIMEOUT, Iso, logged_hits, run_lumogon
from tests.lumogon.fakes import FakeEngine, FakeService, engine_env


def ok(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, proc.stderr
    return proc


def test_a_refused_purpose_is_never_sent_after_local_and_enable(iso: Iso) -> None:
    """`enable usage`, `disable service-health`, `local`, `enable usage`: `lumogon report`
    sends its screenview (usage) and never its upload event (service-health, refused)."""
    record_notice_shown(SPEC, iso.locs)  # lumogon is opt-out: the notice was seen
    for words in (
        ("enable", "usage"),
        ("disable", "service-health"),
        ("local",),
        ("enable", "usage"),
    ):
        ok(run_lumogon(iso, "telemetry", *words))
    with FakeEngine(count=2) as engine, FakeService() as service, Collector() as collector:
        env = {
            **engine_env(engine),
            "LUMOGON_ENDPOINT": service.url,
            "LUMOGON_TELEMETRY_ENDPOINT": collector.url,
        }
        ok(run_lumogon(iso, "report", env=env))
        logged = logged_hits(iso.locs.log_file)
        received = collector.hits()
    assert [item["event"] for item in logged] == ["screenview"]
    assert [hit.params["t"] for hit in received if hit.params] == ["screenview"]


def opt_out_here(directory: Path, text: str = "[telemetry]\nenabled = false\n") -> Path:
    path = directory / ".lumogon" / "telemetry.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, "utf-8")
    return path


def project_vote(iso: Iso, cwd: Path) -> dict[str, object]:
    import json

    proc = subprocess.run(
        [*LUMOGON, "telemetry", "status", "--json"],
        env=iso.env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=True,
    )
    data = json.loads(proc.stdout)
    (vote,) = [s for s in data["sources"] if s["source"] == "project"]
    assert data["enabled"] is False, data
    return dict(vote)


@pytest.mark.parametrize(
    "nested",
    ["[telemetry]\nenabled = true\n", "", "[telemetry]\n"],
    ids=["enabled-true", "empty", "says-nothing"],
)
def test_a_nested_project_never_lifts_its_parents_opt_out(
    iso: Iso, tmp_path: Path, nested: str
) -> None:
    """A vendored sub-repository with its own `.lumogon/telemetry.toml` inside a project that
    opts out: nothing is sent from inside it, and `status` names the parent's file."""
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    parent = opt_out_here(tmp_path / "project")
    inner = tmp_path / "project" / "vendor" / "lib"
    opt_out_here(inner, nested)
    with Collector() as collector:
        proc = subprocess.run(
            [*LUMOGON, "version"],
            env={**iso.env, "LUMOGON_TELEMETRY_ENDPOINT": collector.url},
            cwd=inner,
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT,
            check=True,
        )
        assert proc.stdout == "lumogon 0.1.0\n"
        assert iso.locs.log_file.exists() is False  # nothing was handed to a sender
    vote = project_vote(iso, inner)
    assert vote["vote"] == "disable" and vote["path"] == str(parent), vote


def test_a_project_directory_that_loops_fails_closed_naming_it(iso: Iso, tmp_path: Path) -> None:
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    work = tmp_path / "work"
    work.mkdir()
    (work / ".lumogon").symlink_to(work / ".lumogon")  # a link to itself: a loop
    vote = project_vote(iso, work)
    assert vote["vote"] == "disable", vote
    assert str(work / ".lumogon") in str(vote["detail"]) and "fail closed" in str(vote["detail"])


def test_a_working_directory_that_was_deleted_fails_closed(iso: Iso, tmp_path: Path) -> None:
    """The command runs in a directory removed under it: no project file can be looked for,
    so nothing is sent, and the warning names the directory."""
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    gone = tmp_path / "gone"
    gone.mkdir()
    code = (
        "import os, sys; os.chdir(sys.argv[1]); os.rmdir(sys.argv[1]); "
        "sys.argv = ['lumogon', 'telemetry', 'status']; from lumogon import main; main()"
    )
    with Collector() as collector:
        env = {**iso.env, "LUMOGON_TELEMETRY_ENDPOINT": collector.url, "PWD": str(gone)}
        status = subprocess.run(
            [sys.executable, "-c", code, str(gone)],
            env=env,
            capture_output=True,
            text=True,
            timeout=PROCESS_TIMEOUT,
            check=True,
        )
    assert status.stdout.startswith("Telemetry for lumogon is disabled."), status.stdout
    assert f"working directory ({gone}" in status.stdout


class SlowEndpoint:
    """A loopback endpoint that answers every request after `delay` seconds (within the
    sender's budget), many at once."""

    def __init__(self, delay: float) -> None:
        received: list[bytes] = []
        answer = threading.Event()  # never set: each request waits `delay`, then answers

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                received.append(self.rfile.read(length))
                answer.wait(delay)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.received = received
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> SlowEndpoint:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


RUNS = 8


@pytest.mark.slow
def test_concurrent_runs_against_a_slow_endpoint_deliver_every_hit(iso: Iso) -> None:
    """Eight runs at once against an endpoint that answers each request in 1.2 s (within the
    sender's 3 s budget): every hit arrives; no sender waits for another."""
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    with SlowEndpoint(1.2) as endpoint:
        env = {**iso.env, "LUMOGON_TELEMETRY_ENDPOINT": endpoint.url}
        hosts = [
            subprocess.Popen(
                [*LUMOGON, "version"],
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(RUNS)
        ]
        for host in hosts:
            assert host.wait(timeout=PROCESS_TIMEOUT) == 0
        logged = logged_hits(iso.locs.log_file, count=RUNS)
    outcomes = [str(item.get("outcome", "")) for item in logged]
    assert outcomes == ["sent: HTTP 200"] * RUNS, outcomes
    assert len(endpoint.received) == RUNS


def test_a_finished_command_lends_its_decision_to_no_later_event(
    consent_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After `acme deploy run` returns, the program turns telemetry off and records the event
    that command may record: decided on the spot, it is not sent (nor counted as that
    command's)."""
    consent_home.enable(acme.SPEC)
    with Collector() as collector:
        monkeypatch.setenv("ACME_TELEMETRY_ENDPOINT", collector.url)
        result = CliRunner().invoke(acme.app, ["deploy", "run", "prod"])
        assert result.exit_code == 0, result.output
        assert len(logged_hits(consent_home.locations(acme.SPEC).log_file, count=2)) == 2
        monkeypatch.setenv("ACME_DISABLE_ANALYTICS", "1")
        record_event(acme.SPEC, "deployed", {"outcome": "ok", "retries": 0})
        monkeypatch.delenv("ACME_DISABLE_ANALYTICS")
        # Nor is it `acme deploy run`'s any more: outside a run, an event that lists its
        # commands is refused.
        record_event(acme.SPEC, "deployed", {"outcome": "ok", "retries": 0})
    assert len(consent_home.log(acme.SPEC)) == 2  # the command's two hits, nothing after


@pytest.mark.parametrize("cut", ["newest", "all"])
def test_receipts_cut_at_their_end_fail_verification(iso: Iso, cut: str) -> None:
    """`enable`, then `disable` (the withdrawal): deleting the newest receipt, or emptying the
    file, while the config still records it, fails `receipts --verify`."""
    ok(run_lumogon(iso, "telemetry", "enable"))
    ok(run_lumogon(iso, "telemetry", "disable"))
    path = iso.locs.receipts_file
    lines = path.read_bytes().splitlines(keepends=True)
    assert len(lines) == 2
    path.write_bytes(lines[0] if cut == "newest" else b"")
    verified = run_lumogon(iso, "telemetry", "receipts", "--verify")
    assert verified.returncode == 1, verified.stdout
    assert "missing" in verified.stdout and "newest" in verified.stdout, verified.stdout
