"""A local collector that behaves like Google's collection and validation servers.

- `server`: `Collector`, the threaded HTTP(S) server on 127.0.0.1, and the command line
  (`python -m consent.testing.collector`).
- `http`, `hub`, `routes`: the request handler, the store of received hits, and the routes.
- `ua`: validation of the legacy (Universal Analytics) protocol.
- `ga4`, `ga4_schema`, `ga4_events`, `ga4_limits`: validation of the GA4 Measurement Protocol.
- `otlp`: strict validation of OpenTelemetry OTLP/HTTP JSON logs (`POST /v1/logs`).
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from consent.testing.collector.server import (
        BEHAVIOURS,
        Collector,
        Received,
        main,
        refused_url,
    )

__all__ = ["BEHAVIOURS", "Collector", "Received", "main", "refused_url"]


def __getattr__(name: str) -> Any:
    # Lazy, so that the package's own modules can import each other without a cycle through here.
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module("consent.testing.collector.server"), name)
    globals()[name] = value
    return value
