"""Peer: segment-analytics-python, one track call; ``host`` is its own endpoint option.

Its atexit hook joins the consumer thread, which flushes the queue (with retries) first.
"""

import os

import segment.analytics as analytics

analytics.write_key = "bench-write-key"
analytics.host = os.environ["BENCH_ENDPOINT"]
analytics.track("bench-user", "bench_event", {"command": "version"})
