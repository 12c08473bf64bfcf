"""show-payload (the preview): what would be sent, through the sender's own encoder, never an id
or a socket; a refused endpoint override is named."""

from __future__ import annotations

import pytest

from tests.helpers import Iso, run_lumogon


@pytest.mark.parametrize("url", ["https://[::1", "https://127.0.0.1/\u20ac", "http://10.1.2.3"])
def test_show_payload_names_the_refused_override(iso: Iso, url: str) -> None:
    proc = run_lumogon(iso, "telemetry", "show-payload", env={"LUMOGON_TELEMETRY_ENDPOINT": url})
    assert proc.returncode == 1 and "Traceback" not in proc.stderr
    assert proc.stderr.startswith("error: LUMOGON_TELEMETRY_ENDPOINT: ")


def test_show_payload_never_creates_an_id(iso: Iso) -> None:
    proc = run_lumogon(iso, "telemetry", "show-payload")
    assert proc.returncode == 0
    assert "pseudonymous-id" in proc.stdout and "would NOT be sent now" in proc.stderr
    assert "t=screenview" in proc.stdout and "t=event" in proc.stdout  # every declared event
    assert not iso.locs.id_file.exists() and not iso.home.keyring_file.exists()
