"""The run: the decision and command path of the command running now, scoped to that command.

A CLI adapter starts a run as a command starts (`start_run`) and ends it when the command
returns (`Scope.end`), whatever way it returns: the gate (consent/_wire/gate.py) uses the run's
one decision for the command's screenview and every `record_event` inside it. Outside a run,
every event decides on the spot. The run lives in a `contextvars.ContextVar`, so it is the
current context's (asyncio tasks the command starts carry it); a thread the command starts
does not carry a context, so while a run is active its app's events from other threads count
as the run's (its flag holds there too). Nothing outlives the run: a finished command's decision
is never used again, in tests, notebooks or long-running programs alike.

A run that consent/_start.py turns off is registered there, undecided, for its command only
(`OffScope`, ended by the adapter as a `Scope` is), and becomes a `Run` here, its decision an
`OffRun` (the flag and the variables as they were), when the gate asks for it: the gate decides
it only if the run records an event; such a run loads neither this module, the gate nor the
rules. While it lasts, an off run of an app is its run, whatever run it runs inside or starts
(fail closed). It lives in core, below both of its users, so that registering a run loads no
further package.
"""

from __future__ import annotations

try:
    # The C module itself: contextvars.py only re-exports it, and costs a host command a file.
    from _contextvars import ContextVar
except ImportError:  # another interpreter
    from contextvars import ContextVar

from consent import _start
from consent._core.envgrammar import disables
from consent._core.spec import AppSpec
from consent._core.value import Record
from consent._start import STRICT_ENV

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from contextvars import Token

    from consent._core.rules import Decision
    from consent._start import SpecRef


class OffRun(Record):
    """A run that consent/_start.py turned off, not decided yet: what deciding it needs, as it
    was when the command started (a program may change its variables or its directory later).
    It is decided for the spec that started it, whichever spec records the event."""

    spec: AppSpec
    flag: bool
    # The variables that decide such a run and say where its files are, as set then.
    environ: tuple[tuple[str, str], ...]
    cwd: str | None  # the working directory then, where the project search starts


class Run:
    """A command of an app, running now: its decision (an `OffRun` until the gate decides it,
    once, here in place) and its command path. Not a value: the run of one command."""

    __slots__ = ("app", "command", "decision", "ended")

    def __init__(self, app: str, decision: Decision | OffRun, command: str) -> None:
        self.app = app
        self.decision = decision
        self.command = command
        self.ended = False

    def __repr__(self) -> str:
        return f"Run({self.app!r}, {self.decision!r}, {self.command!r})"


# The runs of the current context, innermost last (a command may run another app's command).
_RUNS: ContextVar[tuple[Run, ...]] = ContextVar("consent_runs", default=())
# Every run active in this process, newest last: the fallback of a thread that does not carry
# the context of the command that started it.
_ACTIVE: list[Run] = []


class Scope:
    """The scope of one run: `end()` (or leaving a `with` block) ends it. Ending it twice, or a
    scope that started no run, does nothing."""

    __slots__ = ("_token", "run")

    def __init__(self, run: Run | None = None, token: Token[tuple[Run, ...]] | None = None) -> None:
        self.run = run
        self._token = token

    def end(self) -> None:
        run, token = self.run, self._token
        self.run = self._token = None
        if run is None:
            return
        run.ended = True
        try:  # noqa: SIM105 - contextlib is not loaded on a host command's path
            _ACTIVE.remove(run)
        except ValueError:
            pass
        try:
            if token is None:
                raise ValueError
            _RUNS.reset(token)
        except (ValueError, RuntimeError):  # ended from another context: take it out there
            _RUNS.set(tuple(r for r in _RUNS.get() if r is not run))

    def __enter__(self) -> Scope:
        return self

    def __exit__(self, *exc: object) -> None:
        self.end()


def start_run(spec: AppSpec, decision: Decision | OffRun, command: str = "") -> Scope:
    """Start the run of the command `command` (`acme deploy`) with its decision (or the
    undecided `OffRun`): the run's every hit uses that decision, and events check that they may
    be recorded by it. The caller ends it when the command returns (`Scope.end`)."""
    run = Run(spec.name, decision, command)
    token = _RUNS.set((*_RUNS.get(), run))
    _ACTIVE.append(run)
    return Scope(run, token)


def current_run(spec: AppSpec) -> Run | None:
    """The run of `spec`'s app: one that consent/_start.py turned off while it lasts (made a
    `Run` here, for the spec that started it, its reference loaded), else the run in this
    context (else, while one is active, in this process) if a CLI adapter started one; None
    outside a run."""
    off = _start.OFF_RUNS.get(spec.name)
    if off is not None:
        if off.run is None:
            from consent._core.reference import spec_of

            # Adapters start it with an AppSpec or a SpecRef (the start names only a protocol).
            app: AppSpec | SpecRef = off.app  # type: ignore[assignment]
            decision = OffRun(spec_of(app), off.flag, off.kept, off.cwd)
            off.run = Run(spec.name, decision, off.command)
        run: Run = off.run
        return run
    for run in reversed(_RUNS.get()):
        if run.app == spec.name:
            return run
    for run in reversed(tuple(_ACTIVE)):
        if run.app == spec.name:
            return run
    return None


def checks_refusals(spec: AppSpec, environ: Mapping[str, str]) -> bool:
    """Does a disabled run check its events: under `<PREFIX>_TELEMETRY_DEBUG` or the pytest
    plugin's strict mode (consent/_wire/gate.py)?"""
    return debug_mode(spec, environ) or bool(environ.get(STRICT_ENV))


def debug_mode(spec: AppSpec, environ: Mapping[str, str]) -> bool:
    """Is `<PREFIX>_TELEMETRY_DEBUG` set to anything the env grammar does not read as false?"""
    return disables(environ.get(spec.debug_env))
