"""consent: honest, auditable telemetry consent for command-line programs.

The public API, re-exported lazily so that importing `consent` costs nothing
until a name is used (the disabled path and the detached sender stay lean):

- `AppSpec`, `Field`, `Event`, `Purpose`, `Destination`: declare your app (name, version,
  env prefix, opt-in or opt-out) and its registry: every field that may be sent
  (a runtime field with what it may carry, `allowed=`), every event that carries
  them (and the commands that may record it, `commands=`), and where hits go (GA4
  or the legacy protocol). Each event serves one declared `Purpose`; consent is per
  purpose.
- `install(app, spec, *, group=None)`: give a typer app `--disable-analytics`
  (before or after any command name), the `telemetry` command group (or `group`)
  and a screenview per command, in one call; returns `app`. click programs use
  `consent.click.install(group, spec)` (the `consent[click]` extra), argparse programs
  `consent.argparse.install(parser, spec)` and `consent.argparse.run(parser, args)`.
- `record_event(spec, event, values=None)`: record a declared event with its
  runtime fields (str, int or bool), only if consent allows; never raises (a
  refused event is reported under `<PREFIX>_TELEMETRY_DEBUG`).
- `decide(spec, *, flag=False, environ=None)`: read every source and return the
  current `Decision`.
- `Decision`: `enabled`; `decided_by` (`source`, `detail`, `origin`); `trace`,
  every source consulted; `warnings`; `notice_version`; `pending` (`"notice"` or
  `"question"` when an interactive run would show or ask); `purposes`, one
  `PurposeDecision` per purpose (`enabled`, `local`, `decided_by`); `local_by`.
- `ConsentError` and its subclasses `SpecError`, `ConfigError`,
  `PolicyLockedError`, `HitError`.

For tests, the pytest plugin `consent.testing` (loaded by pytest on its own)
provides the `consent_home`, `consent_collector`, `consent_sockets` and
`consent_strict` fixtures.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from consent.cli.adapters.typerapp import install
    from consent.core.rules import Decision
    from consent.core.spec import AppSpec, Destination, Event, Field, Purpose
    from consent.errors import ConfigError, ConsentError, HitError, PolicyLockedError, SpecError
    from consent.store.sources import resolve as decide
    from consent.wire.gate import record_event

_EXPORTS = {
    "AppSpec": ("consent.core.spec", "AppSpec"),
    "Destination": ("consent.core.spec", "Destination"),
    "Event": ("consent.core.spec", "Event"),
    "Field": ("consent.core.spec", "Field"),
    "Purpose": ("consent.core.spec", "Purpose"),
    "install": ("consent.cli.adapters.typerapp", "install"),
    "record_event": ("consent.wire.gate", "record_event"),
    "decide": ("consent.store.sources", "resolve"),
    "Decision": ("consent.core.rules", "Decision"),
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
    "Purpose",
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
    # __import__ rather than importlib: importing importlib costs every host command ~0.1 ms.
    __import__(module)
    value = getattr(sys.modules[module], attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
