"""The run: the decision and command path of the command running in this process, per app.

A CLI adapter registers them as a command starts (`start_run`); the gate (consent/_wire/gate.py)
uses that one decision for the command's screenview and every `record_event` of the run. A run
that consent/_start.py turns off is registered there, undecided, and becomes an `OffRun` here
(the flag and the variables as they were) when the gate asks for it: the gate decides it only if
the run records an event; such a run loads neither this module, the gate nor the rules. It lives in
core, below both of its users, so that registering a run loads no further package.
"""

from __future__ import annotations

from consent import _start
from consent._core.envgrammar import disables
from consent._core.spec import AppSpec
from consent._core.value import Record
from consent._start import STRICT_ENV

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
    _start.OFF_RUNS.pop(spec.name, None)
    _runs[spec.name] = (decision, command)


def forget(name: str) -> None:
    """Drop the run registered for the app `name` (consent/_start.py registered a newer one)."""
    _runs.pop(name, None)


def current_run(spec: AppSpec) -> tuple[Decision | OffRun, str] | None:
    """The run's decision (an `OffRun` until the gate decides it) and command path, if a CLI
    adapter registered a run. A run that consent/_start.py turned off becomes an `OffRun` here,
    for the spec that started it (its reference loaded)."""
    off = _start.OFF_RUNS.pop(spec.name, None)
    if off is not None:
        app, flag, kept, command = off
        from consent._core.reference import spec_of

        _runs[spec.name] = (OffRun(spec_of(app), flag, kept), command)
    return _runs.get(spec.name)


def checks_refusals(spec: AppSpec, environ: Mapping[str, str]) -> bool:
    """Does a disabled run check its events: under `<PREFIX>_TELEMETRY_DEBUG` or the pytest
    plugin's strict mode (consent/_wire/gate.py)?"""
    return debug_mode(spec, environ) or bool(environ.get(STRICT_ENV))


def debug_mode(spec: AppSpec, environ: Mapping[str, str]) -> bool:
    """Is `<PREFIX>_TELEMETRY_DEBUG` set to anything the env grammar does not read as false?"""
    return disables(environ.get(spec.debug_env))
