"""The pseudonymous id (real keyring backend, file fallback) and the capped local log."""

from __future__ import annotations

import json
import stat
import uuid
from pathlib import Path

import pytest
from conftest import Iso, run_lumogon

from consent.core.names import LOG_MAX_BYTES as MAX_BYTES
from consent.store import identity
from consent.store.log import append, entries
from lumogon import SPEC


def use_backend(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Select a keyring backend the way a user does (the env var), and let keyring re-read it."""
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", name)
    keyring.core.init_backend()


@pytest.fixture(autouse=True)
def file_keyring(iso: Iso, monkeypatch: pytest.MonkeyPatch) -> None:
    use_backend(monkeypatch, "consent.testing.keyring.FileKeyring")


def keyring_items(iso: Iso) -> dict[str, str]:
    path = Path(iso.env["CONSENT_TEST_KEYRING"])
    return json.loads(path.read_text()) if path.exists() else {}


def test_id_is_a_uuid4_in_the_keyring(iso: Iso) -> None:
    stored = identity.load_or_create(SPEC, iso.locs)
    assert stored.where == "keyring"
    assert uuid.UUID(stored.value or "").version == 4
    assert keyring_items(iso) == {"lumogon-telemetry\x00client-id": stored.value}
    assert identity.load_or_create(SPEC, iso.locs).value == stored.value  # stable
    assert not iso.locs.id_file.exists()


def test_no_keyring_falls_back_to_a_0600_file(iso: Iso, monkeypatch: pytest.MonkeyPatch) -> None:
    use_backend(monkeypatch, "keyring.backends.fail.Keyring")
    stored = identity.load_or_create(SPEC, iso.locs)
    assert stored.where == "file"
    assert stat.S_IMODE(iso.locs.id_file.stat().st_mode) == 0o600
    assert iso.locs.id_file.read_text().strip() == stored.value


@pytest.mark.parametrize("backend", ["FailingSet", "LockedKeyring"])
def test_broken_keyring_falls_back_to_the_file(
    iso: Iso, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    use_backend(monkeypatch, f"consent.testing.keyring.{backend}")
    assert identity.load_or_create(SPEC, iso.locs).where == "file"


def test_loading_never_creates(iso: Iso) -> None:
    assert identity.load(SPEC, iso.locs).where == "none"
    assert keyring_items(iso) == {} and not iso.locs.id_file.exists()


def test_disable_deletes_the_id_everywhere(iso: Iso, monkeypatch: pytest.MonkeyPatch) -> None:
    identity.load_or_create(SPEC, iso.locs)
    use_backend(monkeypatch, "keyring.backends.fail.Keyring")
    identity.load_or_create(SPEC, iso.locs)  # a file id as well, as after a keyring outage
    use_backend(monkeypatch, "consent.testing.keyring.FileKeyring")
    proc = run_lumogon(iso, "telemetry", "disable")
    assert proc.returncode == 0
    assert "OS keyring" in proc.stdout and str(iso.locs.id_file) in proc.stdout
    assert keyring_items(iso) == {} and not iso.locs.id_file.exists()


def test_reset_replaces_the_id(iso: Iso) -> None:
    first = identity.load_or_create(SPEC, iso.locs).value
    proc = run_lumogon(iso, "telemetry", "reset")
    assert proc.returncode == 0 and "Deleted the pseudonymous id" in proc.stdout
    assert identity.load(SPEC, iso.locs).where == "none"
    assert identity.load_or_create(SPEC, iso.locs).value != first


def test_reset_reports_a_keyring_that_refuses(iso: Iso) -> None:
    identity.load_or_create(SPEC, iso.locs)
    proc = run_lumogon(
        iso,
        "telemetry",
        "reset",
        env={"PYTHON_KEYRING_BACKEND": "consent.testing.keyring.FailingDelete"},
    )
    assert proc.returncode == 1
    assert "could not delete" in proc.stderr and "Traceback" not in proc.stderr


def test_status_says_where_the_id_is(iso: Iso) -> None:
    data = json.loads(run_lumogon(iso, "telemetry", "status", "--json").stdout)
    assert data["client_id"]["stored"] == "not-in-file"
    assert data["client_id"]["keyring_checked"] is False
    assert "lumogon telemetry id" in data["client_id"]["detail"]
    # An id in the keyring: status does not look there (only `telemetry id` does).
    value = identity.load_or_create(SPEC, iso.locs).value
    data = json.loads(run_lumogon(iso, "telemetry", "status", "--json").stdout)
    assert data["client_id"]["stored"] == "not-in-file"
    assert run_lumogon(iso, "telemetry", "id").stdout == f"{value}\n"
    # An id in the file (where no keyring is usable): status names the file.
    iso.locs.id_file.write_text(f"{value}\n")
    data = json.loads(run_lumogon(iso, "telemetry", "status", "--json").stdout)
    assert data["client_id"]["stored"] == "file"
    assert str(iso.locs.id_file) in data["client_id"]["detail"]


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
