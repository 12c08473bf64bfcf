"""Debug mode prints every request even while a sender holds the id's lock.

The host never waits on that lock (consent/_wire/gate.py): without the id it prints the request
with the stand-in, and the log records it as printed. Before, the lock's timeout escaped the
gate's debug branch, so the request was neither printed nor logged.
"""

from __future__ import annotations

from consent._store.fileio import locked, make_dirs
from consent._store.identity import id_lock
from consent.testing.home import Home
from tests.apps import acme
from tests.helpers import run_acme


def test_a_held_id_lock_still_prints_the_request_and_logs_it(consent_home: Home) -> None:
    consent_home.enable(acme.SPEC)
    locs = consent_home.locations(acme.SPEC)
    make_dirs(locs.id_file.parent, 0o700)
    with locked(id_lock(locs.id_file), timeout=5.0):
        proc = run_acme(consent_home, "tidy", env={"ACME_TELEMETRY_DEBUG": "1"})
    assert proc.returncode == 0 and "Traceback" not in proc.stderr
    assert "printing this request instead of sending it" in proc.stderr
    assert "POST /" in proc.stdout + proc.stderr
    logged = [(e["event"], e["outcome"]) for e in consent_home.log(acme.SPEC)]
    assert logged == [("command", "printed, not sent")]
