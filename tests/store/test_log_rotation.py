"""The local log under concurrent appends (issue 12, class 7): rotation by rename loses no record
that is being written, reads nothing on the host path, and never waits for its lock."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from consent._core.names import LOG_MAX_BYTES
from consent._store.log import append, entries, older

WRITERS = 4
EACH = 100
PAD = "x" * 40  # 135 bytes a line: 4 x 100 lines = 54 KB, one rotation at most

WRITER = """
import sys
from consent._store.log import append
name, log = sys.argv[1], sys.argv[2]
for i in range({each}):
    assert append(log, {{"id": f"{{name}}-{{i}}", "event": "screenview", "time": "t",
                         "pad": "{pad}", "outcome": "handed to sender"}})
"""


def test_concurrent_appends_across_a_rotation_lose_nothing(tmp_path: Path) -> None:
    log = tmp_path / "state" / "telemetry-log.jsonl"
    code = WRITER.format(each=EACH, pad=PAD)
    procs = [
        subprocess.Popen([sys.executable, "-c", code, f"w{n}", str(log)]) for n in range(WRITERS)
    ]
    for proc in procs:
        assert proc.wait(timeout=120) == 0
    assert Path(older(log)).exists(), "the log never crossed the rotation threshold"
    lines = Path(older(log)).read_bytes().splitlines() + log.read_bytes().splitlines()
    # None interleaved. (A blank line may appear: an appender that sees another's line still
    # growing starts its own on a fresh line, which costs nothing but a newline.)
    assert all(json.loads(line)["event"] == "screenview" for line in lines if line)
    ids = {e["id"] for e in entries(log)}
    assert ids == {f"w{n}-{i}" for n in range(WRITERS) for i in range(EACH)}
    assert log.stat().st_size + Path(older(log)).stat().st_size <= LOG_MAX_BYTES


def test_a_held_rotation_lock_costs_the_append_nothing(tmp_path: Path) -> None:
    log = tmp_path / "telemetry-log.jsonl"
    log.write_bytes(b'{"id": "old", "outcome": "sent: HTTP 204"}\n' * 20_000)  # ~900 KB
    fd = os.open(tmp_path / f".{log.name}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        start = time.perf_counter()
        assert append(log, {"id": "new", "event": "screenview", "outcome": "handed to sender"})
        took = time.perf_counter() - start
    finally:
        os.close(fd)
    assert took < 0.5, f"append took {took:.2f} s behind a held lock"  # was 1 s and more
    assert not Path(older(log)).exists()  # rotation left to the next append
    assert append(log, {"id": "newer", "event": "screenview", "outcome": "handed to sender"})
    assert Path(older(log)).exists()
    assert [e["id"] for e in entries(log)][-2:] == ["new", "newer"]


def test_a_cut_line_does_not_swallow_the_next_record(tmp_path: Path) -> None:
    log = tmp_path / "telemetry-log.jsonl"
    log.write_bytes(b'{"id": "cut-by-a-cra')
    assert append(log, {"id": "next", "event": "screenview", "outcome": "handed to sender"})
    assert [e["id"] for e in entries(log)] == ["next"]
