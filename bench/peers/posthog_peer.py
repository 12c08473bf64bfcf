"""Peer: posthog, one event. BENCH_VARIANT=shutdown also calls ``shutdown()`` (documented flush).

Default variant: the event is queued for the daemon consumer and the SDK's atexit hook makes a
bounded delivery attempt. ``host`` is the SDK's own endpoint option.
"""

import os

from posthog import Posthog

client = Posthog("phc_bench", host=os.environ["BENCH_ENDPOINT"])
client.capture("bench_event", distinct_id="bench-user", properties={"command": "version"})
if os.environ.get("BENCH_VARIANT") == "shutdown":
    client.shutdown()
