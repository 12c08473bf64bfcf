"""Issue 11, point 8: `status`, `status --json`, `notice`, `show-payload` and `log` start no process
and open no socket, under the keyring library's DEFAULT backend resolution (no
PYTHON_KEYRING_BACKEND pinned): they never load the keyring at all. `telemetry id` does.

Proven with the packaged audit hook in every Python process, and by the modules each command loaded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from consent._store.choices import record_choice
from consent._store.log import append
from lumogon import SPEC
from tests.helpers import Iso, audit_events, audited

READ_ONLY = [
    ["telemetry", "status"],
    ["telemetry", "status", "--json"],
    ["telemetry", "notice"],
    ["telemetry", "notice", "--json"],
    ["telemetry", "show-payload"],
    ["telemetry", "show-payload", "version", "--json"],
    ["telemetry", "log"],
    ["telemetry", "log", "--json"],
]
ID = "6f1c2d3e-4b5a-4c6d-8e7f-0123456789ab"
PROBE = """
import atexit, sys
atexit.register(lambda: sys.stderr.write("\\nMODULES " + " ".join(sorted(sys.modules)) + "\\n"))
from lumogon import main
main()
"""


def default_keyring_env(iso: Iso, log: Path) -> dict[str, str]:
    """The isolated home, audited, with the keyring left to find its own backend."""
    env = audited(iso, log)
    for pinned in ("PYTHON_KEYRING_BACKEND", "CONSENT_TEST_KEYRING"):
        env.pop(pinned, None)
    return env


@pytest.fixture(params=["fresh", "in-use"])
def state(request: pytest.FixtureRequest, iso: Iso) -> Iso:
    if request.param == "in-use":  # consent given, an id stored, a hit in the log
        record_choice(SPEC, iso.locs, enabled=True, via="test")
        iso.locs.id_file.parent.mkdir(parents=True, exist_ok=True)
        iso.locs.id_file.write_text(ID + "\n")
        append(iso.locs.log_file, {"id": "h1", "time": "t", "event": "screenview", "outcome": "x"})
    return iso


@pytest.mark.slow
@pytest.mark.parametrize("args", READ_ONLY, ids=" ".join)
def test_read_only_commands_start_no_process_and_open_no_socket(
    state: Iso, args: list[str]
) -> None:
    log = state.root / "audit.jsonl"
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env=default_keyring_env(state, log),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert audit_events(log) == []
    modules = proc.stderr.rsplit("MODULES ", 1)[1].split()
    assert [m for m in modules if m == "keyring" or m.startswith("keyring.")] == []


def test_status_says_whether_an_id_file_exists_and_where_the_keyring_is_looked_up(
    iso: Iso,
) -> None:
    def status() -> str:
        proc = subprocess.run(
            [sys.executable, "-m", "lumogon", "telemetry", "status"],
            env=default_keyring_env(iso, iso.root / "audit.jsonl"),
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return next(
            line for line in proc.stdout.splitlines() if line.startswith("pseudonymous id:")
        )

    assert "no id file at" in status() and "only by `lumogon telemetry id`" in status()
    iso.locs.id_file.parent.mkdir(parents=True, exist_ok=True)
    iso.locs.id_file.write_text(ID + "\n")
    assert status() == f"pseudonymous id: in the file {iso.locs.id_file}"


def test_telemetry_id_prints_the_id(iso: Iso) -> None:
    def id_command(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "lumogon", "telemetry", "id"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )

    none = id_command(iso.env)
    assert none.stdout == "" and "No pseudonymous id is stored" in none.stderr
    iso.locs.id_file.parent.mkdir(parents=True, exist_ok=True)
    iso.locs.id_file.write_text(ID + "\n")
    shown = id_command(default_keyring_env(iso, iso.root / "id-audit.jsonl"))
    assert shown.stdout == ID + "\n" and str(iso.locs.id_file) in shown.stderr
    data = json.loads(
        subprocess.run(
            [sys.executable, "-m", "lumogon", "telemetry", "status", "--json"],
            env=iso.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        ).stdout
    )
    assert data["client_id"]["stored"] == "file"
