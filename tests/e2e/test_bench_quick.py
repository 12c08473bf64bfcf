"""Smoke test of the benchmark harness: `bench/run.py --quick` runs end to end and writes the
report's tables. No timing assertions: CI machines vary; docs/benchmarks.md has the numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow


def test_quick_run_writes_the_report(tmp_path: Path) -> None:
    out = tmp_path / "benchmarks.md"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "run.py"), "--quick", "--out", str(out)],
        capture_output=True,
        text=True,
        timeout=600,  # a ceiling: the quick run takes about 25 s here, unloaded
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = out.read_text(encoding="utf-8")
    for heading in (
        "# Benchmarks",
        "## Machine",
        "## Summary: one hit, by endpoint behaviour",
        "## Start-up of a command, no network (`cli`)",
        "## Sending one hit, endpoint ok (`net-ok`)",
        "## Sending one hit, endpoint blackhole (`net-blackhole`)",
        "## Sending one hit, endpoint refused (`net-refused`)",
        "## Not measured",
    ):
        assert heading in text, heading
    assert "| host exits (median) | min \u2013 max | \u00d7 baseline |" in text
    assert "python bench/run.py --quick --out" in text  # the command that reproduces it
    assert "## Growth: registry and config size" in text
    rows = {line.split(" | ")[0].lstrip("| "): line for line in text.splitlines()}
    assert "| bare typer app `version` | 1 |" in rows["bare typer app `version`"]
    # The floor must have delivered its hit in every ok run (a silent sender would be flagged).
    ok_table = text.split("(`net-ok`)", 1)[1].split("\n## ", 1)[0]
    floor = next(ln for ln in ok_table.splitlines() if ln.startswith("| stdlib detached (floor) |"))
    assert "1 in 1 run" in floor and "⚠" not in floor, floor
    # Peers are not installed in quick mode, and say so rather than vanish.
    assert "| posthog | skipped |" in text
