"""The run: the decision and command path of the command running in this process, per app.

A CLI adapter registers them as a command starts (`start_run`); the gate (consent/_wire/gate.py)
uses that one decision for the command's screenview and every `record_event` of the run. A run
that the flag or an env variable turns off is registered undecided (`start_if_off`: an `OffRun`,
the flag and the variables as they were), and the gate decides it only if the run records an
event; such a run loads neither consent/_cli/hostrun.py, the gate nor the rules. It lives in
core, below both of its users, so that registering a run loads no further package.
"""

from __future__ import annotations

from consent._core.envgrammar import DO_NOT_TRACK, disables
from consent._core.spec import AppSpec
from consent._core.value import Record

# The pytest plugin's strict mode: a file to which every refused event is appended (and the
# refusing call raises). Set by the `consent_strict` fixture, never by a person.
STRICT_ENV = "CONSENT_STRICT_LOG"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from consent._core.rules import Decision


class OffRun(Record):
    """A run that the flag or an env variable turned off, not decided yet: what deciding it
    needs, as it was when the command started (a program may change its variables later). It is
    decided for the spec that started it, whichever spec records the event."""

    spec: AppSpec
    flag: bool
    environ: tuple[tuple[str, str], ...]  # the variables that decide such a run, as set then


_runs: dict[str, tuple[Decision | OffRun, str]] = {}


def start_run(spec: AppSpec, decision: Decision | OffRun, command: str = "") -> None:
    """Register the decision (or the undecided `OffRun`) and command path (`acme deploy`) of the
    command that is starting: the run's every hit uses that decision, and events check that
    they may be recorded by it."""
    _runs[spec.name] = (decision, command)


def start_if_off(spec: AppSpec, command: str, *, flag: bool, environ: Mapping[str, str]) -> bool:
    """If the flag or an env variable turns telemetry off for this run, register the run as an
    `OffRun` and say so: nothing is sent and nothing shown, so the run decides nothing now. The
    decision made later is the one `resolve(full=False)` would make now: it reads no file then,
    only these variables. Not under debug or strict mode, where even a disabled run checks its
    screenview."""
    if checks_refusals(spec, environ):
        return False
    names = (spec.disable_env, DO_NOT_TRACK)
    if not (flag or any(disables(environ.get(n)) for n in names)):
        return False
    kept = tuple((n, v) for n in (*names, spec.endpoint_env) if (v := environ.get(n)) is not None)
    start_run(spec, OffRun(spec, flag, kept), command)
    return True


def current_run(spec: AppSpec) -> tuple[Decision | OffRun, str] | None:
    """The run's decision (an `OffRun` until the gate decides it) and command path, if a CLI
    adapter registered a run."""
    return _runs.get(spec.name)


def checks_refusals(spec: AppSpec, environ: Mapping[str, str]) -> bool:
    """Does a disabled run check its events: under `<PREFIX>_TELEMETRY_DEBUG` or the pytest
    plugin's strict mode (consent/_wire/gate.py)?"""
    return debug_mode(spec, environ) or bool(environ.get(STRICT_ENV))


def debug_mode(spec: AppSpec, environ: Mapping[str, str]) -> bool:
    """Is `<PREFIX>_TELEMETRY_DEBUG` set to anything the env grammar does not read as false?"""
    return disables(environ.get(spec.debug_env))
