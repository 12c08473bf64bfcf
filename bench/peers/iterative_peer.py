"""Peer: iterative-telemetry, one CLI event. BENCH_VARIANT=thread uses its thread mode.

Default (detached) mode spawns ``python -c`` with the payload in argv; the child is not in a new
session and inherits the caller's stdout/stderr. ``url`` is its own constructor option.
"""

import os

from iterative_telemetry import IterativeTelemetryLogger

url = os.environ["BENCH_ENDPOINT"] + "/api/v1/s2s/event?ip_policy=strict"
telemetry = IterativeTelemetryLogger("bench-tool", "1.0.0", url=url)
if os.environ.get("BENCH_VARIANT") == "thread":
    telemetry.send_event("cli", "version", use_thread=True, use_daemon=False)
else:
    telemetry.send_cli_call("version")
