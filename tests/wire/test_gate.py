"""The gate (consent/wire/gate.py), in this process with real files, a real collector and a
real sender: what the debug variable does, what is logged, what leaves, and that the sender is
detached into its own session."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

import pytest

from consent.store.sources import resolve
from lumogon import SPEC


@pytest.mark.parametrize("value", ["maybe", "1", "TRUE"])
def test_a_true_or_unrecognised_debug_value_prints_and_never_sends(
    enabled_home: Path, capfd: pytest.CaptureFixture[str], value: str
) -> None:
    from consent.store.log import entries
    from consent.testing.collector import Collector
    from consent.wire import gate

    with Collector() as collector:
        environ = {SPEC.debug_env: value, SPEC.endpoint_env: collector.url}
        result = gate.submit(SPEC, "screenview", command="version", environ=environ)
        assert result.outcome == "printed", result
        assert collector.hits() == []
    err = capfd.readouterr().err
    assert "POST " in err and SPEC.debug_env in err
    (item,) = entries(enabled_home)
    assert item["outcome"] == "printed, not sent"


@pytest.mark.parametrize("value", ["0", "", "off"])
def test_a_false_debug_value_sends(enabled_home: Path, value: str) -> None:
    from consent.store.log import entries
    from consent.testing.collector import Collector
    from consent.wire import gate

    with Collector() as collector:
        environ = {SPEC.debug_env: value, SPEC.endpoint_env: collector.url}
        result = gate.submit(SPEC, "screenview", command="version", environ=environ)
        assert result.outcome == "handed", result
        assert result.detail.startswith(collector.url.rstrip("/"))
        (hit,) = collector.wait_for(1, timeout=30)
    deadline = time.monotonic() + 30
    while "outcome_at" not in entries(enabled_home)[0] and time.monotonic() < deadline:
        time.sleep(0.02)
    first = json.loads(enabled_home.read_bytes().splitlines()[0])
    assert first["outcome"] == "handed to sender" and first["event"] == "screenview"
    assert len(first["id"]) == 32 and int(first["id"], 16) >= 0  # a UUID4 without dashes
    assert first["time"].endswith("Z") and first["url"] == result.detail
    (item,) = entries(enabled_home)
    assert item["event"] == "screenview" and item["url"] == result.detail
    assert item["hit"]["cid"] == gate.ID_IN_LOG and item["hit"]["cd"] == "version"
    assert item["outcome"].startswith("sent: HTTP 2")
    assert "client_id" not in item  # the log never holds the id (see `disable`)
    assert "cid=" in hit.raw_request.decode("latin-1")
    assert gate.ID_IN_LOG not in hit.raw_request.decode("latin-1")


def test_a_refused_endpoint_is_logged_and_said(
    enabled_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from consent.store.log import entries
    from consent.wire import gate

    environ = {SPEC.endpoint_env: "http://10.1.2.3"}
    result = gate.submit(SPEC, "screenview", command="version", environ=environ)
    assert result.outcome == "refused" and SPEC.endpoint_env in result.detail
    assert capfd.readouterr().err.endswith("; nothing was sent\n")
    (item,) = entries(enabled_home)
    assert item["outcome"].startswith(f"refused: {SPEC.endpoint_env}")
    assert item["event"] == "screenview"


def test_disabled_submits_nothing_and_names_the_source(enabled_home: Path) -> None:
    from consent.wire import gate

    result = gate.submit(SPEC, "screenview", environ={"DO_NOT_TRACK": "1"})
    assert result.outcome == "disabled" and result.detail == "DO_NOT_TRACK='1'"
    assert not enabled_home.exists()
    decision = resolve(SPEC, environ={})
    gate.start_run(SPEC, decision)
    assert gate.run_decision(SPEC) is decision


def test_new_uuid4_is_a_random_version_4_uuid() -> None:
    import uuid

    from consent.wire.gate import new_uuid4

    seen = set()
    for _ in range(200):
        text = new_uuid4()
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        seen.add(text)
    assert len(seen) == 200


def test_the_sender_runs_in_its_own_session(tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("finds the sender through /proc")
    from consent.testing.collector import Collector
    from consent.wire.gate import spawn_sender
    from consent.wire.job import Job

    with Collector(behaviour="blackhole") as collector:
        port = int(collector.url.rsplit(":", 1)[1].split("/")[0])
        marker = f"session-{os.getpid()}-{time.monotonic_ns()}"
        job = Job(
            host="127.0.0.1", port=port, tls=False, raw=b"GET / HTTP/1.0\r\n\r\n",
            log=str(tmp_path / "log"), id=marker, id_placeholder="", keyring_service="x",
            id_file=str(tmp_path / "id"), app="lumogon", mode="opt-out",
            notice_version="nope", disable_env="X_DISABLE", config_path=str(tmp_path / "c"),
            policy_paths=(), timeout=30.0,
        )  # fmt: skip
        spawn_sender(job)
        pid = None
        deadline = time.monotonic() + 30
        while pid is None and time.monotonic() < deadline:
            pid = next(iter(sender_children()), None)
            time.sleep(0.02)
        assert pid is not None, "the sender never started"
        try:
            assert os.getsid(pid) == pid != os.getsid(0)  # its own session, led by itself
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def sender_children() -> list[int]:
    """Live children of this process running the sender's bootstrap (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z" and b"consent.wire.sender" in cmd:
            found.append(int(entry.name))
    return found
