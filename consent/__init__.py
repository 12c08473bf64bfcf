"""consent: honest, auditable telemetry consent for command-line programs.

The public API, re-exported lazily so that importing `consent` costs nothing
until a name is used (the disabled path and the detached sender stay lean):

- `AppSpec`, `Field`, `Event`, `Destination`: declare your app and its registry.
- `install(app, spec)`: give a typer app `--disable-analytics`, the `telemetry`
  command group and per-command screenviews.
- `record_event(spec, name, values)`: record a declared event; never raises.
- `decide(spec)`: the current `Decision` (enabled, decided_by, trace, warnings).
- `ConsentError` and its subclasses.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from consent.errors import ConfigError, ConsentError, HitError, PolicyLockedError, SpecError
    from consent.instrument import record_event
    from consent.integrate import install
    from consent.rules import Decision
    from consent.sources import resolve as decide
    from consent.spec import AppSpec, Destination, Event, Field

_EXPORTS = {
    "AppSpec": ("consent.spec", "AppSpec"),
    "Destination": ("consent.spec", "Destination"),
    "Event": ("consent.spec", "Event"),
    "Field": ("consent.spec", "Field"),
    "install": ("consent.integrate", "install"),
    "record_event": ("consent.instrument", "record_event"),
    "decide": ("consent.sources", "resolve"),
    "Decision": ("consent.rules", "Decision"),
    "ConsentError": ("consent.errors", "ConsentError"),
    "ConfigError": ("consent.errors", "ConfigError"),
    "HitError": ("consent.errors", "HitError"),
    "PolicyLockedError": ("consent.errors", "PolicyLockedError"),
    "SpecError": ("consent.errors", "SpecError"),
}

__all__ = [
    "AppSpec",
    "ConfigError",
    "ConsentError",
    "Decision",
    "Destination",
    "Event",
    "Field",
    "HitError",
    "PolicyLockedError",
    "SpecError",
    "decide",
    "install",
    "record_event",
]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'consent' has no attribute {name!r}") from None
    value = getattr(import_module(module), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
