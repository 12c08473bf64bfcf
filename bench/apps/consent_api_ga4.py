"""Send ONE hit through consent's public API (no typer) to $BENCH_ENDPOINT, as a GA4 app: the
same script as consent_api.py with a GA4 destination (a JSON body, where the legacy protocol's is
form-encoded). `--enable` records consent once (the scenario's setup).
"""

from __future__ import annotations

import os
import sys

from consent import AppSpec, Destination, Event, Field, record_event

SPEC = AppSpec(
    name="benchga4",
    display_name="Benchga4",
    version="1.0.0",
    env_prefix="BENCHGA4",
    mode="opt-in",
    destination=Destination("ga4", "G-BENCH00000", api_secret="benchsecret"),
    fields=(
        Field("client_id", "Pseudonymous id.", "35009a79-1a05-49d7-b876-2b884d0f825b", "client_id"),
        Field("name", "Event name.", "bench_run", "hit_type"),
        Field("engagement_time_msec", "Required by GA4.", "1", "constant", "1"),
        Field("outcome", "How the run went.", "ok", "runtime", allowed=("ok", "failed")),
    ),
    common=("client_id", "name", "engagement_time_msec"),
    events=(Event("run", "The benchmark ran.", "bench_run", ("outcome",)),),
    purpose="Measure what sending one hit costs.",
    access="Nobody: the hit goes to a loopback sink.",
    controller="Nobody: a benchmark",
    contact="https://example.invalid",
    legal_basis="None needed: nothing leaves a loopback sink.",
    retention="0 days",
    recipients="None: a loopback sink.",
    notice_date="2026-12-05",
)

if __name__ == "__main__":
    if "--enable" in sys.argv:
        import consent

        consent.enable(SPEC, via="benchmark setup")
    else:
        os.environ.setdefault("BENCHGA4_TELEMETRY_ENDPOINT", os.environ.get("BENCH_ENDPOINT", ""))
        record_event(SPEC, "run", {"outcome": "ok"})
