"""Peer: universal-analytics-python 0.2.4, the original (Python 2 only; kept for the record).

It cannot be installed on Python 3 (its setup.py uses ``print >>sys.stderr``) nor imported
(``urllib2``, ``cStringIO``, implicit relative imports), so the harness reports it as failed
and measures its Python 3 fork instead. This is how it would be used if it ran.
"""

import os

from UniversalAnalytics import Tracker  # type: ignore[import-not-found]

Tracker.HTTPRequest.endpoint = os.environ["BENCH_ENDPOINT"] + "/collect"
tracker = Tracker.create("UA-00000000-1", client_id="bench-client")
tracker.send("event", "cli", "version")
