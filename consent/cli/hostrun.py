"""What every adapter does as a host command starts: decide once for the run, report the
command that ran, and show the first-run notice or ask the question.

The adapter names the command by its path in the program's own command tree (`acme deploy
run`: the names typer, click or argparse resolved), never from argv, so arguments, option
values, paths and unknown words cannot reach a payload. `telemetry` commands, `--help` and
completion record nothing: adapters do not call this for them.
"""

from __future__ import annotations

import os

from consent.core.envgrammar import DO_NOT_TRACK
from consent.core.spec import AppSpec, command_event

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from consent.core.rules import Decision
    from consent.errors import ConsentError


def flag_help(spec: AppSpec) -> str:
    return f"Send no usage data in this run (see `{spec.commands} status`)."


def refusal(message: str, *, hint: str = "") -> ConsentError:
    """The ConsentError an adapter raises for what `install` cannot take. consent.errors is
    imported only then: creating its classes would cost every host command about 1 M
    instructions (bench/instructions.py)."""
    from consent.errors import ConsentError

    return ConsentError(message, hint=hint)


CLASH_HINT = 'pass install(app, spec, group="…") to give the consent commands another name'


def clash_message(spec: AppSpec) -> str:
    return (
        f"the app already has a command named {spec.group!r}, which would hide the consent "
        f"layer's {spec.group!r} group (`{spec.commands} disable` could not be reached)"
    )


def command_started(spec: AppSpec, command: str, *, flag: bool) -> None:
    """Called as the host command `command` starts: decide once, then send only if enabled.

    The decision is registered with the gate first, so that every `record_event` of this run
    uses it: a run that shows the first-run notice or asks the question is a disabled run, and
    sends nothing from any path. Never raises; Ctrl-C at the question ends the run (exit 130).
    """
    try:
        from consent.core.runs import start_run

        later = _decided_off(spec, flag)
        if later is not None:
            # Off by the flag or an env variable: nothing to send and nothing to show, so the
            # decision itself is made only if the run asks for it (record_event).
            start_run(spec, later, command)
            return
        from consent.store.sources import resolve

        decision = resolve(spec, flag=flag, full=False)
        start_run(spec, decision, command)
        event = command_event(spec)
        if (
            event is not None
            and event.recorded_by(command, spec.name)
            and _gate_acts(spec, decision)
        ):
            from consent.wire import gate

            gate.submit(spec, event.name, decision=decision, command=command, recorded_by=command)
        if not decision.enabled and not decision.local and decision.pending is not None:
            from consent.cli.interactive import is_interactive

            if is_interactive():  # only then is the notice or the question worth importing
                from consent.cli.firstrun import first_run

                first_run(spec, decision)
    except Exception:  # noqa: BLE001, S110 - telemetry never breaks the host command
        pass


def _gate_acts(spec: AppSpec, decision: Decision) -> bool:
    """Would the gate do anything with the screenview: send it or keep it locally (for some
    purpose), or check it (debug or strict mode)? Else `submit` would return at once, and the
    gate is not even imported (a run disabled by a config or awaiting the notice)."""
    from consent.core.runs import checks_refusals

    return (
        decision.enabled
        or decision.local
        or any(p.enabled or p.local for p in decision.purposes)
        or checks_refusals(spec, os.environ)
    )


def _decided_off(spec: AppSpec, flag: bool) -> Callable[[], Decision] | None:
    """When the flag or an env variable turns telemetry off for this run: how to make the run's
    decision later, the same one `resolve(full=False)` makes now (it reads no file then, only
    these variables, which are kept as they are now). None: decide now, as usual.

    The store, the rules and the TOML reader then stay unimported (tests/e2e/
    test_lean_disabled_path.py): most of the consent layer's cost on the disabled path.
    """
    from consent.core.envgrammar import disables
    from consent.core.runs import checks_refusals

    environ = os.environ
    if checks_refusals(spec, environ):
        return None  # there, even a disabled run checks its screenview
    names = (spec.disable_env, DO_NOT_TRACK)
    if not (flag or any(disables(environ.get(n)) for n in names)):
        return None
    kept = {n: v for n in (*names, spec.endpoint_env) if (v := environ.get(n)) is not None}

    def decide() -> Decision:
        from consent.store.sources import resolve

        return resolve(spec, flag=flag, environ=kept, full=False)

    return decide
