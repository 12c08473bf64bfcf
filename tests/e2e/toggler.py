"""One of many concurrent processes for tests/e2e/test_concurrency.py: the real `telemetry` commands.

    python -m tests.e2e.toggler OPS ROUNDS READY GO OUT      (started by tests.helpers.toggler)

Imports everything and creates READY. Then, for each round r, waits for the file GO-r (so that
every process starts at once), runs each op of OPS (comma-separated: enable, disable, status,
notice) through lumogon's own CLI in this process, and writes what happened to OUT-r.json (the
names are tests.helpers.go_file and out_file). One process serves every round: the imports, not
the ops, are what costs on 2 cores.

Every config write is observed, not replaced: right after the real atomic write returns, still
under the config lock, the write's bytes and a CLOCK_MONOTONIC stamp (system-wide on Linux) are
recorded, so the test can tell which write was the last.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import io
import json
import sys
import time
from pathlib import Path
from typing import Any

import consent._store.configwrite as configwrite
import consent._store.fileio as fileio
from consent._store.choices import record_notice_shown
from consent._store.paths import locations
from lumogon import SPEC, app
from tests.helpers import TOGGLER_TIMEOUT, go_file, out_file


def main() -> None:
    ops, rounds = sys.argv[1].split(","), int(sys.argv[2])
    ready, go, out = Path(sys.argv[3]), sys.argv[4], sys.argv[5]
    writes: list[dict[str, Any]] = []
    real_write = configwrite.atomic_write

    def observed(path: Path, data: bytes, mode: int = 0o644) -> None:
        real_write(path, data, mode)
        writes.append(
            {
                "at": time.monotonic_ns(),  # still under the lock: stamps order the writes
                "sha": hashlib.sha256(data).hexdigest(),
                "text": data.decode("utf-8"),
            }
        )

    configwrite.atomic_write = observed
    # Fifty writers queue on one lock. On a loaded 2-core machine the last in line can wait longer
    # than the lock's 10 s budget, after which a command fails by design ("try again"): a
    # fail-safe this test is not about. Here the wait is bounded by the test's own ceiling.
    configwrite.locked = functools.partial(fileio.locked, timeout=TOGGLER_TIMEOUT)
    warm_up()  # import now what the ops import lazily, so rounds measure contention, not imports
    ready.touch()
    for r in range(rounds):
        deadline = time.monotonic() + TOGGLER_TIMEOUT  # the test releases every round at once
        while not go_file(go, r).exists() and time.monotonic() < deadline:
            time.sleep(0.005)
        writes.clear()
        results = [run(op) for op in ops]
        done = out_file(out, r)
        tmp = done.with_suffix(".tmp")
        tmp.write_text(json.dumps({"writes": writes, "results": results}), "utf-8")
        tmp.replace(done)  # the test sees the whole record or none


def warm_up() -> None:
    import tomlkit  # noqa: F401

    from consent._store import identity

    identity._keyring()


def run(op: str) -> dict[str, Any]:
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        if op == "notice":
            record_notice_shown(SPEC, locations(SPEC))  # what a first interactive run writes
            code: Any = 0
        else:
            args = ["telemetry", op, *(["--json"] if op == "status" else [])]
            code = app(args, prog_name="lumogon", standalone_mode=False)
    return {"op": op, "code": code or 0, "stdout": stdout.getvalue(), "stderr": stderr.getvalue()}


if __name__ == "__main__":
    main()
