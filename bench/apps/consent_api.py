"""Send ONE hit through consent's public API (no typer), to $BENCH_ENDPOINT; exit at once.

`--enable` records consent once (the scenario's setup) with `consent.enable`, as a program
without a command line records it.
"""

from __future__ import annotations

import os
import sys

from consent import AppSpec, Destination, Event, Field, record_event

SPEC = AppSpec(
    name="benchapp",
    display_name="Benchapp",
    version="1.0.0",
    env_prefix="BENCHAPP",
    mode="opt-in",
    destination=Destination("legacy", "UA-1-1"),
    fields=(
        Field("v", "Protocol version.", "1", "constant", "1"),
        Field("tid", "Tracking id.", "UA-1-1", "constant", "UA-1-1"),
        Field("cid", "Pseudonymous id.", "35009a79-1a05-49d7-b876-2b884d0f825b", "client_id"),
        Field("t", "Hit type.", "event", "hit_type"),
        Field("ec", "Event category.", "bench", "constant", "bench"),
        Field("ea", "Event action.", "run", "constant", "run"),
    ),
    common=("v", "tid", "cid", "t"),
    events=(Event("run", "The benchmark ran.", "event", ("ec", "ea")),),
    purpose="Measure what sending one hit costs.",
    access="Nobody: the hit goes to a loopback sink.",
    controller="Nobody: a benchmark",
    contact="https://example.invalid",
    legal_basis="None needed: nothing leaves a loopback sink.",
    retention="0 days",
    recipients="None: a loopback sink.",
    notice_date="2026-12-01",
)

if __name__ == "__main__":
    if "--enable" in sys.argv:
        import consent

        consent.enable(SPEC, via="benchmark setup")
    else:
        os.environ.setdefault("BENCHAPP_TELEMETRY_ENDPOINT", os.environ.get("BENCH_ENDPOINT", ""))
        record_event(SPEC, "run")
