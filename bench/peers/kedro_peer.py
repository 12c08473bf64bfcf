"""Peer: kedro-telemetry's sender (``kedro_telemetry.api.send_telemetry_event``), one event.

The Heap URL is a module constant with no override, so we patch ``plugin.HEAP_ENDPOINT``;
the sender reads it at call time. Importing the plugin imports kedro itself, as in real use.
"""

import os

from kedro_telemetry import plugin
from kedro_telemetry.api import send_telemetry_event

plugin.HEAP_ENDPOINT = os.environ["BENCH_ENDPOINT"] + "/api/track"  # no public override
send_telemetry_event("bench_event", {"command": "version"})
