"""Peer: scarf-sdk, one event; ``endpoint_url`` is its own option, timeout is its default (3 s).

``log_event`` raises on failure, as documented; we leave it so (the host would see it).
"""

import os

from scarf import ScarfEventLogger

logger = ScarfEventLogger(endpoint_url=os.environ["BENCH_ENDPOINT"] + "/bench-package")
logger.log_event({"event": "bench_event", "command": "version"})
