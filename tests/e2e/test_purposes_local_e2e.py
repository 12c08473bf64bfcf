"""End to end, issue 14: consent per purpose on the wire (loopback collector), and local mode under
the audit hook (no socket, no process, no id; the exact payloads in `telemetry log`)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

from consent._core.names import KEPT_LOCAL, LOCAL_ID
from consent._store.log import entries
from consent._wire.hits import build_hit
from consent._wire.http import encode, endpoint_for
from consent.testing.collector import Collector
from consent.testing.sockets import SocketWatch
from lumogon import SPEC
from tests.helpers import SENDER_TIMEOUT, Iso, run_lumogon

ENDPOINT = "http://127.0.0.1:9"  # the discard port: nothing is expected to get there anyway

# Records lumogon's `upload` event as a host program would, and prints what the gate did.
UPLOAD = (
    "from consent._wire.gate import submit; from lumogon import SPEC; "
    "print(submit(SPEC, 'upload').outcome)"
)


def upload_attempt(iso: Iso, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", UPLOAD],
        env={**iso.env, **env},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def wait_for_outcomes(iso: Iso, timeout: float = SENDER_TIMEOUT) -> list[dict[str, object]]:
    """Bounded wait until every hit handed to the sender has its outcome (a hit kept local has
    its outcome from the start, and is never handed over)."""
    deadline = time.monotonic() + timeout
    items = entries(iso.locs.log_file)
    while time.monotonic() < deadline:
        items = entries(iso.locs.log_file)
        if items and all("outcome_at" in i or i.get("local") for i in items):
            break
        time.sleep(0.05)
    return items


def status_json(iso: Iso) -> dict[str, object]:
    proc = run_lumogon(iso, "telemetry", "status", "--json")
    assert proc.returncode == 0, proc.stderr
    data: dict[str, object] = json.loads(proc.stdout)
    return data


def test_enable_usage_only_sends_the_screenview_and_refuses_the_upload(
    iso: Iso, consent_sockets: SocketWatch
) -> None:
    proc = run_lumogon(iso, "telemetry", "enable", "usage")
    assert proc.returncode == 0, proc.stderr
    with Collector() as collector:
        env = {"LUMOGON_TELEMETRY_ENDPOINT": collector.url}
        # The upload attempt: refused by its purpose, before any socket or process.
        upload = upload_attempt(iso, {**consent_sockets.env(iso.env), **env})
        assert upload.returncode == 0, upload.stderr
        assert upload.stdout.strip() == "disabled"
        consent_sockets.assert_no_sockets()
        proc = run_lumogon(iso, "version", env=env)
        assert proc.returncode == 0 and proc.stdout == "lumogon 0.1.0\n", proc.stderr
        collector.wait_for(1, timeout=SENDER_TIMEOUT)
        items = wait_for_outcomes(iso)
        received = collector.received()
    assert [r.params["t"] for r in received if r.params] == ["screenview"]
    assert len(received) == 1 and received[0].valid, received[0].messages
    assert [i["event"] for i in items] == ["screenview"]  # the upload was never handed over
    assert items[0]["outcome"] == "sent: HTTP 200" and items[0]["purpose"] == "usage"

    data = status_json(iso)
    assert data["schema"] == 7 and data["enabled"] is True
    purposes = data["purposes"]
    assert isinstance(purposes, dict)
    usage, health = purposes["usage"], purposes["service-health"]
    assert usage["enabled"] is True and usage["decided_by"]["source"] == "config"
    assert usage["decided_by"]["key"] == "telemetry.enabled_purposes"
    assert health["enabled"] is False and health["decided_by"]["source"] == "notice"
    assert "awaiting notice" in health["decided_by"]["detail"]


@pytest.mark.slow
def test_local_mode_twenty_commands_no_socket_no_process_exact_payloads(
    iso: Iso, consent_sockets: SocketWatch
) -> None:
    proc = run_lumogon(iso, "telemetry", "local")
    assert proc.returncode == 0, proc.stderr
    assert "nothing leaves this machine" in proc.stdout
    env = {**consent_sockets.env(iso.env), "LUMOGON_TELEMETRY_ENDPOINT": ENDPOINT}
    for _ in range(20):
        proc = subprocess.run(
            [sys.executable, "-m", "lumogon", "version"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
            check=False,
        )
        assert proc.returncode == 0 and proc.stdout == "lumogon 0.1.0\n" and proc.stderr == ""
    consent_sockets.assert_no_sockets()  # no socket, no lookup, no process in any of the 20
    assert not iso.home.keyring_file.exists() and not iso.locs.id_file.exists()  # no id

    shown = run_lumogon(iso, "telemetry", "show-payload", "version")
    assert "would NOT be sent now: telemetry is local" in shown.stderr
    # The request the sender would get for `lumogon version`, with the local id.
    hit = build_hit(SPEC, "screenview", client_id=LOCAL_ID, command="lumogon version")
    expected = encode(SPEC, hit, endpoint_for(SPEC, {"LUMOGON_TELEMETRY_ENDPOINT": ENDPOINT}))
    items = json.loads(run_lumogon(iso, "telemetry", "log", "--json").stdout)
    assert len(items) == 20
    for item in items:
        assert item["local"] is True and item["outcome"] == KEPT_LOCAL
        assert item["purpose"] == "usage" and item["hit"]["cid"] == LOCAL_ID
        assert item["request"].encode("utf-8") == expected.raw()
        assert item["payload"].encode("utf-8") == expected.body
    text = run_lumogon(iso, "telemetry", "log").stdout
    assert text.count(KEPT_LOCAL) == 20
    assert text.count(items[0]["payload"]) == 20  # each exact payload is shown
    status = run_lumogon(iso, "telemetry", "status").stdout
    assert "local: nothing leaves this machine" in status
    assert status_json(iso)["local"]["active"] is True  # type: ignore[index]


def test_kept_local_hits_are_never_uploaded_later(iso: Iso) -> None:
    assert run_lumogon(iso, "telemetry", "local").returncode == 0
    with Collector() as collector:
        env = {"LUMOGON_TELEMETRY_ENDPOINT": collector.url}
        for _ in range(3):
            assert run_lumogon(iso, "version", env=env).returncode == 0
        assert len(entries(iso.locs.log_file)) == 3
        proc = run_lumogon(iso, "telemetry", "enable")  # leaves local mode
        assert proc.returncode == 0, proc.stderr
        assert status_json(iso)["local"] == {"active": False, "decided_by": None}
        assert run_lumogon(iso, "version", env=env).returncode == 0
        collector.wait_for(1, timeout=SENDER_TIMEOUT)
        items = wait_for_outcomes(iso)
        received = collector.received()
    assert len(received) == 1  # only the new run's hit; the three kept local stay local
    assert [i["outcome"] for i in items].count(KEPT_LOCAL) == 3
    params = received[0].params
    assert params is not None and params["cid"] != LOCAL_ID
    # What was kept local is byte for byte what arrives, but for the id (same length).
    arrived = received[0].raw_request.replace(params["cid"].encode(), LOCAL_ID.encode())
    assert items[0]["request"].encode("utf-8") == arrived


def test_a_policy_forcing_local_wins_over_enable(iso: Iso, consent_sockets: SocketWatch) -> None:
    assert run_lumogon(iso, "telemetry", "enable").returncode == 0
    iso.write_policy('[telemetry]\nmode = "local"\n')
    proc = subprocess.run(
        [sys.executable, "-m", "lumogon", "version"],
        env={**consent_sockets.env(iso.env), "LUMOGON_TELEMETRY_ENDPOINT": ENDPOINT},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0
    consent_sockets.assert_no_sockets()
    (item,) = entries(iso.locs.log_file)
    assert item["outcome"] == KEPT_LOCAL
    data = status_json(iso)
    local = data["local"]
    assert isinstance(local, dict) and local["active"] is True
    assert local["decided_by"]["source"] == "policy"
    assert local["decided_by"]["path"] == str(iso.policy)
    assert data["enabled"] is False


def test_disable_ends_local_mode(iso: Iso) -> None:
    assert run_lumogon(iso, "telemetry", "local").returncode == 0
    assert run_lumogon(iso, "telemetry", "disable").returncode == 0
    assert status_json(iso)["local"] == {"active": False, "decided_by": None}
    assert run_lumogon(iso, "version").returncode == 0
    assert not iso.locs.log_file.exists()  # nothing kept while disabled
