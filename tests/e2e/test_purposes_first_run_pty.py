"""The first interactive run of an app with purposes, in a real pseudo-terminal: the notice names
every purpose (the full notice, one command away, how to choose them one by one); then each event
goes by its purpose."""

from __future__ import annotations

import subprocess
import sys

from consent.testing.collector import Collector
from tests.helpers import SENDER_TIMEOUT, Iso, run_in_pty, run_lumogon

LUMOGON = [sys.executable, "-m", "lumogon"]
UPLOAD = (
    "from consent._wire.gate import submit; from lumogon import SPEC; "
    "print(submit(SPEC, 'upload').outcome)"
)


def test_the_first_run_names_the_purposes_then_a_disabled_purpose_sends_nothing(iso: Iso) -> None:
    with Collector() as collector:
        env = {**iso.env, "LUMOGON_TELEMETRY_ENDPOINT": collector.url}
        first = run_in_pty([*LUMOGON, "version"], env)
        assert first.returncode == 0 and first.stdout == "lumogon 0.1.0\n"
        assert "Why: usage, service-health." in first.terminal
        assert "Full notice: lumogon telemetry notice" in first.terminal
        assert run_lumogon(iso, "telemetry", "disable", "service-health").returncode == 0
        upload = subprocess.run(
            [sys.executable, "-c", UPLOAD], env=env, capture_output=True, text=True, check=True
        )
        assert upload.stdout.strip() == "disabled"
        second = run_in_pty([*LUMOGON, "version"], env)
        assert second.returncode == 0 and "Why:" not in second.terminal
        collector.wait_for(1, timeout=SENDER_TIMEOUT)
        hits = collector.hits()
    assert [h.params["t"] for h in hits if h.params] == ["screenview"]
