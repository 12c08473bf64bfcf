"""Peer: ga4mp (GA4 Measurement Protocol), one event, default settings.

ga4mp has no endpoint option: the collect URL lives in the private attribute ``_base_domain``,
so we point it at the sink. Everything else is as its README shows (urlopen, no timeout).
"""

import os

from ga4mp import GtagMP

ga = GtagMP(api_secret="bench-secret", measurement_id="G-BENCH00000", client_id="1234567890.1")
ga._base_domain = os.environ["BENCH_ENDPOINT"] + "/mp/collect"  # no public override exists
ga.send([{"name": "bench_event", "params": {"command": "version"}}])
