"""consent: honest, auditable telemetry consent for command-line programs.

The public API, re-exported lazily so that importing `consent` costs nothing
until a name is used (the disabled path and the detached sender stay lean):

- `AppSpec`, `Field`, `Event`, `Purpose`, `Destination`: declare your app (name, version,
  env prefix, opt-in or opt-out) and its registry: every field that may be sent
  (a runtime field with what it may carry, `allowed=`), every event that carries
  them (and the commands that may record it, `commands=`), and where hits go (GA4,
  the legacy protocol, or the organisation's own OpenTelemetry endpoint). Each event serves one declared `Purpose`; consent is per
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
- `enable(spec, *purposes, via)` and `disable(spec, *purposes, via)`: record the person's
  answer given in your program's own way (a settings dialog, a first-run screen), exactly as
  the `telemetry enable` / `disable` commands record it: the same change of what the person
  said, the same consent receipt (`via` says how they were asked), and on `disable` the
  pseudonymous id deleted once no purpose is left enabled; each returns the new `Decision`.
  Neither imports a CLI framework.
- `Decision` and its parts, immutable values an app may annotate with: `verdict(purpose)`,
  what becomes of a hit of that purpose: "send", "keep" (local mode: kept in the local log,
  never sent) or "drop"; `enabled` (some purpose is sent);
  `decided_by`, a `DecidedBy` (`source`: "policy", "flag", "env", "project", "config",
  "notice", "default" or "error"; `detail`, a sentence; `origin`, where: name, value, path);
  `trace`, one `SourceVote` per source consulted (`source`, `vote`: "disable", "enable" or
  None, `detail`, `origin`); `warnings`; `notice_version`; `pending` ("notice" or "question"
  when an interactive run would show or ask); `purposes`, one `PurposeDecision` per purpose
  (`purpose`, `verdict`, `decided_by`, `pending`; `enabled` and `local` say what the verdict
  says), also by `for_purpose(name)`; `local_by` (a `DecidedBy` when local mode is in force);
  `managed`, one `Managed` per setting an organisation's policy file manages (`key`, `value`,
  `path`, `note`); `endpoint`.
- `ConsentError` and its subclasses `SpecError`, `ConfigError` (and `LockTimeoutError`),
  `PolicyLockedError`, `HitError`, `EndpointError`, `UsageError`.
- `parse_endpoint(url)` and `Endpoint`: the https rule the telemetry endpoint follows (https, or
  plain http on a loopback address), for an app's own URLs.

For tests, the pytest plugin `consent.testing` (loaded by pytest on its own)
provides the `consent_home`, `consent_collector`, `consent_sockets` and
`consent_strict` fixtures.
"""

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from consent._core.endpoint import Endpoint, parse_endpoint
    from consent._core.rules import DecidedBy, Decision, Managed, PurposeDecision, SourceVote
    from consent._core.spec import AppSpec, Destination, Event, Field, Purpose
    from consent._errors import (
        ConfigError,
        ConsentError,
        EndpointError,
        HitError,
        LockTimeoutError,
        PolicyLockedError,
        SpecError,
        UsageError,
    )
    from consent._store.choices import disable, enable
    from consent._store.sources import read_decision as decide
    from consent._typer import install
    from consent._wire.gate import record_event

_EXPORTS = {
    "AppSpec": ("consent._core.spec", "AppSpec"),
    "Destination": ("consent._core.spec", "Destination"),
    "Event": ("consent._core.spec", "Event"),
    "Field": ("consent._core.spec", "Field"),
    "Purpose": ("consent._core.spec", "Purpose"),
    "install": ("consent._typer", "install"),
    "record_event": ("consent._wire.gate", "record_event"),
    "decide": ("consent._store.sources", "read_decision"),
    "enable": ("consent._store.choices", "enable"),
    "disable": ("consent._store.choices", "disable"),
    "Decision": ("consent._core.rules", "Decision"),
    "DecidedBy": ("consent._core.rules", "DecidedBy"),
    "PurposeDecision": ("consent._core.rules", "PurposeDecision"),
    "SourceVote": ("consent._core.rules", "SourceVote"),
    "Managed": ("consent._core.rules", "Managed"),
    "Endpoint": ("consent._core.endpoint", "Endpoint"),
    "parse_endpoint": ("consent._core.endpoint", "parse_endpoint"),
    "ConsentError": ("consent._errors", "ConsentError"),
    "EndpointError": ("consent._errors", "EndpointError"),
    "LockTimeoutError": ("consent._errors", "LockTimeoutError"),
    "UsageError": ("consent._errors", "UsageError"),
    "ConfigError": ("consent._errors", "ConfigError"),
    "HitError": ("consent._errors", "HitError"),
    "PolicyLockedError": ("consent._errors", "PolicyLockedError"),
    "SpecError": ("consent._errors", "SpecError"),
}

__all__ = [
    "AppSpec",
    "ConfigError",
    "ConsentError",
    "DecidedBy",
    "Decision",
    "Destination",
    "Endpoint",
    "EndpointError",
    "Event",
    "Field",
    "HitError",
    "LockTimeoutError",
    "Managed",
    "PolicyLockedError",
    "Purpose",
    "PurposeDecision",
    "SourceVote",
    "SpecError",
    "UsageError",
    "decide",
    "disable",
    "enable",
    "install",
    "parse_endpoint",
    "record_event",
]


def __getattr__(name: str) -> "Any":
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
