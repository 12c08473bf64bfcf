"""End to end: the real CLI, the detached sender, and the local collector on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from consent._store.choices import record_choice
from consent._store.log import entries
from consent._store.paths import locations
from consent.testing.collector import Collector, refused_url
from consent.testing.sockets import SocketWatch
from lumogon import SPEC
from tests.apps import acme
from tests.helpers import (
    ACME,
    LUMOGON,
    PROCESS_TIMEOUT,
    SENDER_TIMEOUT,
    Iso,
    logged_hits,
    run_lumogon,
)


@pytest.fixture
def enabled(iso: Iso) -> Iso:
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    return iso


def test_one_valid_legacy_hit_arrives(enabled: Iso) -> None:
    with Collector() as collector:
        proc = run_lumogon(enabled, "version", env={"LUMOGON_TELEMETRY_ENDPOINT": collector.url})
        assert proc.returncode == 0 and proc.stdout == "lumogon 0.1.0\n"
        (hit,) = collector.wait_for(1, timeout=SENDER_TIMEOUT)
        (item,) = logged_hits(enabled.locs.log_file)  # the sender is done: nothing more comes
        assert len(collector.received()) == 1
    assert hit.protocol == "legacy" and hit.valid, hit.messages
    assert hit.params is not None
    assert set(hit.params) == {"v", "tid", "cid", "an", "av", "t", "cd"}
    assert hit.params["cd"] == "lumogon version"
    assert hit.params["t"] == "screenview" and hit.params["tid"] == "UA-54263865-7"
    assert item["outcome"] == "sent: HTTP 200"


def test_show_payload_equals_the_bytes_received(enabled: Iso) -> None:
    with Collector() as collector:
        env = {"LUMOGON_TELEMETRY_ENDPOINT": collector.url}
        run_lumogon(enabled, "version", env=env)
        (hit,) = collector.wait_for(1, timeout=SENDER_TIMEOUT)
        shown = subprocess.run(
            [
                sys.executable,
                "-m",
                "lumogon",
                "telemetry",
                "show-payload",
                "version",
                "--event",
                "screenview",
                "--with-id",
            ],
            env={**enabled.env, **env},
            capture_output=True,
            timeout=60,
            check=True,
        )
    assert shown.stdout == hit.raw_request
    assert b"would be sent now" in shown.stderr


def test_ga4_app_validates_clean_on_the_debug_endpoint(iso: Iso) -> None:
    record_choice(acme.SPEC, locations(acme.SPEC), enabled=True, via="test")
    with Collector() as collector:
        env = {**iso.env, "ACME_TELEMETRY_ENDPOINT": collector.url + "/debug"}
        proc = subprocess.run(
            [*ACME, "deploy", "run", "prod"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        received = collector.wait_for(2, timeout=SENDER_TIMEOUT)
    assert {r.path.split("?")[0] for r in received} == {"/debug/mp/collect"}
    for r in received:
        assert r.protocol == "ga4" and r.debug and r.valid, r.messages
    names = sorted(r.payload["events"][0]["name"] for r in received)  # type: ignore[index]
    assert names == ["command_run", "deploy_done"]


@pytest.mark.parametrize(
    "behaviour",
    [
        pytest.param("blackhole", marks=pytest.mark.slow),  # the sender's 3 s timeout
        "http500",
        "garbage",
        "trickle",
        "endless",
        "refused",
    ],
)
def test_host_is_untouched_by_a_bad_network(enabled: Iso, behaviour: str) -> None:
    collector = None if behaviour == "refused" else Collector(behaviour=behaviour).start()
    try:
        url = refused_url() if collector is None else collector.url
        proc = run_lumogon(enabled, "version", env={"LUMOGON_TELEMETRY_ENDPOINT": url})
        assert proc.returncode == 0
        assert proc.stdout == "lumogon 0.1.0\n" and proc.stderr == ""
        (item,) = logged_hits(enabled.locs.log_file)
    finally:
        if collector is not None:
            collector.close()
    outcome = str(item["outcome"])
    expected = {
        "http500": "sent: HTTP 500",
        "trickle": "sent: HTTP 200",
        "endless": "sent: HTTP 200",
    }
    if behaviour in expected:
        assert outcome == expected[behaviour]
    else:
        assert outcome.startswith("failed:"), outcome


@pytest.mark.slow  # waits for the sender's 3 s timeout
def test_hanging_endpoint_neither_slows_nor_holds_the_host(enabled: Iso) -> None:
    """A listener that accepts and never answers: stdout hits EOF while the sender still waits."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    accepted: list[socket.socket] = []

    def accept() -> None:
        listener.settimeout(SENDER_TIMEOUT)
        with contextlib.suppress(OSError):
            accepted.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        env = {**enabled.env, "LUMOGON_TELEMETRY_ENDPOINT": f"http://127.0.0.1:{port}"}
        proc = subprocess.Popen(
            [*LUMOGON, "version"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
        )
        out, _ = proc.communicate(
            timeout=PROCESS_TIMEOUT
        )  # EOF on both pipes: nobody else holds them
        assert proc.returncode == 0 and out == b"lumogon 0.1.0\n"
        thread.join(timeout=SENDER_TIMEOUT)
        assert accepted, "the sender never connected"
        # Read the whole request; then the sender must still be there, waiting for an answer
        # that never comes (a closed socket would read as b""): the host did not wait for it.
        conn = accepted[0]
        conn.settimeout(SENDER_TIMEOUT)
        data = b""
        while b"cd=lumogon%20version" not in data:
            chunk = conn.recv(4096)
            assert chunk, "the sender closed before sending its request"
            data += chunk
        # (Not a deadline: silence for 0.3 s proves the connection is still open, and the sender
        # only gives up after 3 s of its own.)
        conn.settimeout(0.3)
        with pytest.raises(TimeoutError):
            conn.recv(1)
        (item,) = logged_hits(enabled.locs.log_file)
        assert "TimeoutError" in str(item["outcome"])
    finally:
        for s in accepted:
            s.close()
        listener.close()


def test_refused_endpoint_override_sends_nothing(
    enabled: Iso, consent_sockets: SocketWatch
) -> None:
    env = {
        **consent_sockets.env(enabled.env, refuse=True),
        "LUMOGON_TELEMETRY_ENDPOINT": "http://10.1.2.3",
    }
    proc = subprocess.run(
        [sys.executable, "-m", "lumogon", "version"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout == "lumogon 0.1.0\n"
    assert "LUMOGON_TELEMETRY_ENDPOINT" in proc.stderr and "nothing was sent" in proc.stderr
    consent_sockets.assert_no_sockets()
    (item,) = entries(enabled.locs.log_file)
    assert str(item["outcome"]).startswith("refused")


def test_debug_mode_creates_the_id_prints_and_logs(enabled: Iso) -> None:
    proc = run_lumogon(
        enabled,
        "version",
        env={"LUMOGON_TELEMETRY_DEBUG": "1", "LUMOGON_TELEMETRY_ENDPOINT": refused_url()},
    )
    assert proc.returncode == 0 and proc.stdout == "lumogon 0.1.0\n"
    assert "POST /collect HTTP/1.1" in proc.stderr
    (item,) = entries(enabled.locs.log_file)
    assert item["outcome"] == "printed, not sent"
    log = run_lumogon(enabled, "telemetry", "log", "--json")
    assert json.loads(log.stdout)[0]["outcome"] == "printed, not sent"


def test_a_hit_that_cannot_be_logged_is_not_sent(unprivileged: Iso, tmp_path: Path) -> None:
    """`telemetry log` shows every hit that left; with the state dir read-only, none leaves."""
    from tests.helpers import audit_events, audited, run_unprivileged

    record_choice(SPEC, unprivileged.locs, enabled=True, via="test")
    # The app's state dir (the choice's consent receipt already created it), read-only.
    state = unprivileged.locs.log_file.parent
    state.mkdir(parents=True, exist_ok=True)
    state.chmod(0o500)
    log = tmp_path / "audit.jsonl"
    try:
        with Collector() as collector:
            env = {**audited(unprivileged, log), "LUMOGON_TELEMETRY_ENDPOINT": collector.url}
            proc = run_unprivileged(unprivileged, "version", env=env)
    finally:
        state.chmod(0o700)
    assert proc.returncode == 0 and proc.stdout == "lumogon 0.1.0\n" and proc.stderr == ""
    # Causal: no sender was started, so nothing can arrive later either.
    assert [e["event"] for e in audit_events(log)] == []
    assert collector.received() == []
    assert not unprivileged.locs.log_file.exists()
