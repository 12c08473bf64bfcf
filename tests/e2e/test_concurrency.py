"""Many processes at once: toggling, reading, recording the notice; and writers killed mid-write.

The config is never seen half-written, comments and other tables survive every write, no write
is lost (a write that sets only the notice keys keeps the choice, and the other way round), and
the file ends as the last writer left it. "Last" is told by stamps taken under the config lock,
right after each write (tests/e2e/toggler.py), so the check is causal, not a guess from timing.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from consent._core.records import consent_record
from consent._store.tomlread import parse_toml
from lumogon import SPEC
from tests.helpers import (
    HAND_WRITTEN,
    LUMOGON,
    TOGGLER_TIMEOUT,
    Iso,
    go_file,
    out_file,
    toggler,
)

pytestmark = pytest.mark.slow

PROCESSES = 50
ROUNDS = 3  # served by the same 50 processes, each round released at once
KILL_BATCHES = 4
KILL_WRITERS = 5  # per batch: 20 writers killed in all
START_TIMEOUT = TOGGLER_TIMEOUT  # a ceiling for starting, each round, and the end
COMMENTS = [line for line in HAND_WRITTEN.splitlines() if "#" in line]
# Per process and round: two writes and a read. Every fifth process records "notice shown"
# instead of one choice, so writes of different keys interleave (a lost update would show).
TOGGLE = ["enable", "status", "disable"]
NOTICE = ["notice", "status", "enable"]


def intact(text: str) -> str | None:
    """Why `text` is not a whole config with everything the person wrote, or None."""
    try:
        doc = parse_toml(text.encode("utf-8"))
        record = consent_record(doc)
    except ValueError as exc:
        return f"not a valid config: {exc}"
    if record.enabled is None:
        return "the choice is gone"
    missing = [c for c in COMMENTS if c not in text]
    if missing:
        return f"comments lost: {missing}"
    if doc.get("scan") != {"depth": 3, "exclude": ["node_modules", ".git"]}:
        return "the [scan] table changed"
    return None


def start_all(
    iso: Iso, tmp: Path, plans: list[list[str]], rounds: int = 1
) -> list[subprocess.Popen[bytes]]:
    """Start one toggler per plan and wait until all are ready (bounded)."""
    started = [
        toggler(iso.env, plan, rounds, tmp / f"ready-{n}", tmp / "go", tmp / f"out-{n}")
        for n, plan in enumerate(plans)
    ]
    wait_for(lambda: all((tmp / f"ready-{n}").exists() for n in range(len(plans))), started)
    return started


def wait_for(condition: Callable[[], bool], procs: list[subprocess.Popen[bytes]]) -> None:
    """Until `condition` holds; fails at once, with its stderr, if a process died, and after
    START_TIMEOUT (a ceiling) if the condition never holds."""
    deadline = time.monotonic() + START_TIMEOUT
    while not condition():
        dead = [p for p in procs if p.poll() not in (None, 0)]
        if dead:
            err = dead[0].stderr.read().decode(errors="replace") if dead[0].stderr else ""
            raise AssertionError(f"a toggler exited {dead[0].returncode}: {err[-2000:]}")
        assert time.monotonic() < deadline, f"not done after {START_TIMEOUT:g} s"
        time.sleep(0.02)


class Watcher(threading.Thread):
    """Reads the config over and over while the writers run: it must always be whole."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.path = path
        self.stop = threading.Event()
        self.reads = 0
        self.broken: list[str] = []

    def run(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while not self.stop.is_set() and time.monotonic() < deadline:
            why = intact(self.path.read_text("utf-8"))
            self.reads += 1
            if why:
                self.broken.append(why)
            time.sleep(0.001)


def test_fifty_processes_toggle_and_read(iso: Iso, tmp_path: Path) -> None:
    iso.write_config(HAND_WRITTEN)
    # Rotated per process: every kind of op is running at any moment.
    plans = [
        (NOTICE if n % 5 == 0 else TOGGLE)[n % 3 :] + (NOTICE if n % 5 == 0 else TOGGLE)[: n % 3]
        for n in range(PROCESSES)
    ]
    started = start_all(iso, tmp_path, plans, rounds=ROUNDS)
    try:
        for r in range(ROUNDS):
            watcher = Watcher(iso.config)
            watcher.start()
            go_file(tmp_path / "go", r).touch()
            outs = [out_file(tmp_path / f"out-{n}", r) for n in range(PROCESSES)]
            wait_for(lambda: all(o.exists() for o in outs), started)  # noqa: B023
            watcher.stop.set()
            watcher.join(timeout=START_TIMEOUT)
            assert watcher.reads > 0 and not watcher.broken, watcher.broken[:3]
            check_round(iso, [json.loads(o.read_text("utf-8")) for o in outs])
    except BaseException:
        for proc in started:
            proc.kill()  # they would wait for rounds that will not come
        raise
    finally:
        errors = [proc.communicate(timeout=START_TIMEOUT)[1] for proc in started]
    for proc, err in zip(started, errors, strict=True):
        assert proc.returncode == 0, err.decode()[-500:]


def check_round(iso: Iso, outs: list[dict[str, Any]]) -> None:
    writes, statuses = [], []
    for data in outs:
        writes += data["writes"]
        for r in data["results"]:
            assert r["code"] == 0, r
            assert "Traceback" not in r["stderr"], r["stderr"]
            if r["op"] == "status":
                statuses.append(json.loads(r["stdout"]))
    # Two writes per process, none lost or skipped.
    assert len(writes) == 2 * PROCESSES
    for w in writes:
        assert intact(w["text"]) is None, intact(w["text"])
    # No reader ever met a half-written file (that would be decided by `error`).
    assert {s["decided_by"]["source"] for s in statuses} == {"config"}

    final = iso.config.read_text("utf-8")
    assert intact(final) is None, intact(final)
    last = max(writes, key=lambda w: w["at"])
    assert final == last["text"], "the file is not what the last writer wrote"
    table = parse_toml(final.encode())["telemetry"]
    # Writes of the notice keys and of the choice interleaved: neither kind was lost.
    assert table["notice_shown_version"] == SPEC.notice_version
    assert table["notice_version"] == SPEC.notice_version
    assert not [p.name for p in iso.config.parent.iterdir() if p.name.startswith(".consent-tmp")]


def test_writers_killed_mid_write_never_truncate(iso: Iso, tmp_path: Path) -> None:
    iso.write_config(HAND_WRITTEN)
    rng = random.Random(20261122)  # fixed seed: the kill points vary with timing, not the seed
    plan = ["enable", "disable"] * 500  # far more than can finish before the kill
    killed = 0
    watcher = Watcher(iso.config)
    watcher.start()
    for batch in range(KILL_BATCHES):
        where = tmp_path / f"batch-{batch}"
        where.mkdir()
        started = start_all(iso, where, [plan] * KILL_WRITERS)
        go_file(where / "go", 0).touch()
        for proc in started:
            time.sleep(rng.uniform(0.0, 0.05))
            proc.send_signal(signal.SIGKILL)
        for proc in started:
            proc.communicate(timeout=START_TIMEOUT)
            killed += proc.returncode == -signal.SIGKILL
        # Checked after every batch, as a person's next command would read it.
        assert intact(iso.config.read_text("utf-8")) is None
    watcher.stop.set()
    watcher.join(timeout=START_TIMEOUT)
    assert watcher.reads > 0 and not watcher.broken, watcher.broken[:3]
    assert killed == KILL_BATCHES * KILL_WRITERS  # none had finished: each was cut short
    # The lock died with its holder: the next write neither waits nor fails.
    after = subprocess.run(
        [*LUMOGON, "telemetry", "disable"],
        env=iso.env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert after.returncode == 0, after.stderr
    final = iso.config.read_text("utf-8")
    assert intact(final) is None and consent_record(parse_toml(final.encode())).enabled is False
