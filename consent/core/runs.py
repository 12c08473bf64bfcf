"""The run: the decision and command path of the command running in this process, per app.

A CLI adapter registers them as a command starts (`start_run`); the gate (consent/wire/gate.py)
uses that one decision for the command's screenview and every `record_event` of the run. The
decision may be registered as a function that makes it, called once when first used: a run
that the flag or an env variable turned off decides only if it records an event
(consent/cli/hostrun.py), so such a run imports neither the gate nor the rules. It lives in
core, below both of its users, so that registering a run loads no further package.
"""

from __future__ import annotations

# The pytest plugin's strict mode: a file to which every refused event is appended (and the
# refusing call raises). Set by the `consent_strict` fixture, never by a person.
STRICT_ENV = "CONSENT_STRICT_LOG"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from consent.core.rules import Decision
    from consent.core.spec import AppSpec

_runs: dict[str, tuple[Decision | Callable[[], Decision], str]] = {}


def start_run(
    spec: AppSpec, decision: Decision | Callable[[], Decision], command: str = ""
) -> None:
    """Register the decision (or the function that makes it, when first used) and command path
    (`acme deploy`) of the command that is starting: the run's every hit uses that decision,
    and events check that they may be recorded by it."""
    _runs[spec.name] = (decision, command)


def current_run(spec: AppSpec) -> tuple[Decision, str] | None:
    """The run's decision and command path, if a CLI adapter registered a run."""
    run = _runs.get(spec.name)
    if run is None:
        return None
    decision, command = run
    if callable(decision):
        decision = decision()
        _runs[spec.name] = (decision, command)
    return decision, command


def run_decision(spec: AppSpec) -> Decision | None:
    """The decision registered for this run, if a CLI adapter registered one."""
    run = current_run(spec)
    return run[0] if run is not None else None


def checks_refusals(spec: AppSpec, environ: Mapping[str, str]) -> bool:
    """Does a disabled run check its events: under `<PREFIX>_TELEMETRY_DEBUG` or the pytest
    plugin's strict mode (consent/wire/gate.py)?"""
    return debug_mode(spec, environ) or bool(environ.get(STRICT_ENV))


def debug_mode(spec: AppSpec, environ: Mapping[str, str]) -> bool:
    """Is `<PREFIX>_TELEMETRY_DEBUG` set to anything the env grammar does not read as false?"""
    from consent.core.envgrammar import disables

    return disables(environ.get(spec.debug_env))
