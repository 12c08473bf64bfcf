"""Peer: universal-analytics-python3 (the Python 3 fork of universal-analytics-python).

The endpoint is a class attribute of ``HTTPRequest``; we set it on the instance. httpx's default
timeout (5 s) applies, as in the README's synchronous example.
"""

import os

from universal_analytics import HTTPRequest, Tracker

with HTTPRequest() as http:
    http.endpoint = os.environ["BENCH_ENDPOINT"] + "/collect"  # type: ignore[misc]
    tracker = Tracker("UA-00000000-1", http, client_id="bench-client")
    tracker.send("event", "cli", "version")
