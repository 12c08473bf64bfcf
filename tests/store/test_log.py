"""The capped local log of hits handed to the sender."""

from __future__ import annotations

import stat
from pathlib import Path

from consent._core.names import LOG_MAX_BYTES as MAX_BYTES
from consent._store.log import append, entries


def test_log_is_capped_and_merges_outcomes(tmp_path: Path) -> None:
    log = tmp_path / "state" / "log.jsonl"
    big = "x" * 400
    for i in range(2 * MAX_BYTES // 400):
        append(
            log,
            {
                "id": f"h{i}",
                "time": "t",
                "event": "screenview",
                "pad": big,
                "outcome": "handed to sender",
            },
        )
    append(log, {"id": "h0-late", "time": "t", "outcome": "sent: HTTP 200"})
    older = log.with_name(log.name + ".1")
    assert log.stat().st_size + older.stat().st_size <= MAX_BYTES + 1024
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    last = f"h{2 * MAX_BYTES // 400 - 1}"
    append(log, {"id": last, "time": "t2", "outcome": "sent: HTTP 204"})
    merged = {e["id"]: e for e in entries(log)}
    assert merged[last]["outcome"] == "sent: HTTP 204" and merged[last]["event"] == "screenview"
    log.write_bytes(log.read_bytes() + b'{"id": "cut-by-a-cr')  # a line cut by a crash
    assert entries(log)
