"""`telemetry disable | reset | status` and the pseudonymous id: deleted everywhere, replaced,
refusals reported, where it is kept shown."""

from __future__ import annotations

import json

import pytest

from consent._store import identity
from lumogon import SPEC
from tests.helpers import Iso, run_lumogon, use_keyring_backend


def test_disable_deletes_the_id_everywhere(iso: Iso, monkeypatch: pytest.MonkeyPatch) -> None:
    identity.load_or_create(SPEC, iso.locs)
    use_keyring_backend(monkeypatch, "keyring.backends.fail.Keyring")
    identity.load_or_create(SPEC, iso.locs)  # a file id as well, as after a keyring outage
    use_keyring_backend(monkeypatch, "consent.testing.keyring.FileKeyring")
    assert iso.home.client_ids() and iso.locs.id_file.exists()
    proc = run_lumogon(iso, "telemetry", "disable")
    assert proc.returncode == 0
    assert "OS keyring" in proc.stdout and str(iso.locs.id_file) in proc.stdout
    assert iso.home.client_ids() == {} and not iso.locs.id_file.exists()


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
