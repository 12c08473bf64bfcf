"""Races between the detached sender and `disable` (issue 12, class 4), with real processes.

The sender checks consent again, fills in the id and posts, all under the id's lock held shared
(senders do not wait for each other); `disable` records the choice first and then takes the same
lock exclusively to delete the id. So whatever the order,
nothing leaves after `disable` has returned and no id survives it. The sender is held at exact
points by a real keyring backend that waits for a gate file, or by the test holding the lock.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from consent._store.log import entries
from consent.testing.collector import Collector
from consent.testing.keyring import GATE_ENV
from lumogon import SPEC
from tests.e2e.faults import hand_written
from tests.helpers import Iso

CEILING = 30.0
KEYRING_ID = f"{SPEC.keyring_service}\x00client-id"


def until(condition: Callable[[], bool], what: str, ceiling: float = CEILING) -> None:
    deadline = time.monotonic() + ceiling
    while not condition():
        assert time.monotonic() < deadline, f"waited {ceiling:.0f} s for {what}"
        time.sleep(0.02)


def lumogon(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "lumogon", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def recorded_disable(iso: Iso) -> bool:
    return b"enabled = false" in iso.config.read_bytes()


def no_id_anywhere(iso: Iso) -> list[str]:
    store = Path(iso.env["CONSENT_TEST_KEYRING"])
    left = []
    if store.exists() and KEYRING_ID in json.loads(store.read_text("utf-8")):
        left.append("keyring")
    if iso.locs.id_file.exists():
        left.append("file")
    return left


def test_disable_waits_for_a_sender_in_flight_and_no_id_survives(iso: Iso, tmp_path: Path) -> None:
    """The sender is inside the keyring, storing a new id, when `disable` starts."""
    gate = tmp_path / "gate"
    iso.write_config(hand_written(True))
    with Collector() as collector:
        env = {
            **iso.env,
            SPEC.endpoint_env: collector.url,
            "PYTHON_KEYRING_BACKEND": "consent.testing.keyring.GatedSet",
            GATE_ENV: str(gate),
        }
        host = lumogon(env, "version")
        assert host.communicate(timeout=60)[0] == "lumogon 0.1.0\n"
        until(lambda: Path(f"{gate}.set").exists(), "the sender to reach the keyring")
        disable = lumogon(env, "telemetry", "disable")
        until(lambda: recorded_disable(iso), "`disable` to record the choice")
        assert disable.poll() is None, "disable returned while a sender was still at work"
        gate.touch()
        _, err = disable.communicate(timeout=60)
        assert disable.returncode == 0, err
        # The request left while `disable` waited for it, never after.
        at_return = len(collector.hits())
        assert at_return == 1
        assert no_id_anywhere(iso) == []
        until(
            lambda: all("outcome_at" in e for e in entries(iso.locs.log_file)),
            "the sender's outcome",
        )
        assert entries(iso.locs.log_file)[0]["outcome"].startswith("sent: HTTP 2")
        assert len(collector.hits()) == at_return


def test_a_sender_that_checks_after_disable_sends_nothing(iso: Iso, tmp_path: Path) -> None:
    """The sender waits on the id's lock while `disable` records its choice: it then finds
    consent withdrawn and sends nothing, creates nothing, and says so in the log."""
    iso.write_config(hand_written(True))
    lock = iso.locs.id_file.parent / f".{iso.locs.id_file.name}.lock"
    lock.parent.mkdir(parents=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    with Collector() as collector:
        env = {**iso.env, SPEC.endpoint_env: collector.url}
        try:
            host = lumogon(env, "version")
            assert host.communicate(timeout=60)[0] == "lumogon 0.1.0\n"
            assert [e["outcome"] for e in entries(iso.locs.log_file)] == ["handed to sender"]
            disable = lumogon(env, "telemetry", "disable")
            until(lambda: recorded_disable(iso), "`disable` to record the choice")
        finally:
            os.close(fd)  # releases the lock: the sender and `disable` race for it
        _, err = disable.communicate(timeout=60)
        assert disable.returncode == 0, err
        until(
            lambda: all("outcome_at" in e for e in entries(iso.locs.log_file)),
            "the sender's outcome",
        )
        (item,) = entries(iso.locs.log_file)
        assert item["outcome"].startswith("not sent: disabled before sending (config: ")
        assert item["event"] == "screenview"
        assert collector.hits() == []
        assert no_id_anywhere(iso) == []
