"""What every adapter does as a host command starts: decide once for the run, report the
command that ran, and show the first-run notice or ask the question.

The adapter names the command by its path in the program's own command tree (`acme deploy
run`: the names typer, click or argparse resolved), never from argv, so arguments, option
values, paths and unknown words cannot reach a payload. `telemetry` commands, `--help` and
completion record nothing: adapters do not call this for them. An adapter first offers the run
to consent/_start.py and imports this module only for a run that the start did not turn off, so
such a run loads neither it nor what it imports.
"""

from __future__ import annotations

import os

from consent._core.runs import Scope, checks_refusals, start_run
from consent._core.spec import AppSpec, command_event

TYPE_CHECKING = False
if TYPE_CHECKING:
    from consent._core.rules import Decision
    from consent._errors import ConsentError
    from consent._start import SpecRef


def refusal(message: str, *, hint: str = "") -> ConsentError:
    """The ConsentError an adapter raises for what `install` cannot take. consent._errors is
    imported only then: creating its classes would cost every host command about 1 M
    instructions (bench/instructions.py)."""
    from consent._errors import ConsentError

    return ConsentError(message, hint=hint)


CLASH_HINT = 'pass install(app, spec, group="…") to give the consent commands another name'


def clash(spec: AppSpec | SpecRef) -> ConsentError:
    """The refusal of an app that already has a command of the group's name."""
    return refusal(
        f"the app already has a command named {spec.group!r}, which would hide the consent "
        f"layer's {spec.group!r} group (`{spec.commands} disable` could not be reached)",
        hint=CLASH_HINT,
    )


def command_started(spec: AppSpec, command: str, *, flag: bool) -> Scope | None:
    """Called as the host command `command` starts: decide once, then send only if enabled.
    Returns the run's scope, which the adapter ends when the command returns.

    Adapters call it only for a run that consent/_start.py did not turn off (such a run is
    decided later, if at all); called for such a run anyway, it decides now, and the decision is
    the same. The run starts with that decision first, so that every `record_event` of this run
    uses it: a run that shows the first-run notice or asks the question is a disabled run, and
    sends nothing from any path. Never raises; Ctrl-C at the question ends the run (exit 130),
    and its scope with it.
    """
    scope: Scope | None = None
    try:
        from consent._store.sources import resolve

        decision = resolve(spec, flag=flag, full=False)
        scope = start_run(spec, decision, command)
        event = command_event(spec)
        if (
            event is not None
            and event.recorded_by(command, spec.name)
            and _gate_acts(spec, decision, spec.event_purpose(event))
        ):
            from consent._wire import gate

            gate.submit(spec, event.name, decision=decision, command=command, recorded_by=command)
        if decision.pending is not None and not _acts(decision):
            from consent._cli.interactive import is_interactive

            if is_interactive():  # only then is the notice or the question worth importing
                from consent._cli.firstrun import first_run

                first_run(spec, decision)
    except Exception:  # noqa: BLE001, S110 - telemetry never breaks the host command
        pass
    except BaseException:  # Ctrl-C at the question: the command does not run, nor its run
        if scope is not None:
            scope.end()
        raise
    return scope


def _acts(decision: Decision) -> bool:
    """Is some purpose's verdict other than drop (its hits are sent or kept locally)?"""
    from consent._core.rules import DROP

    return any(decision.verdict(p.purpose) != DROP for p in decision.purposes)


def _gate_acts(spec: AppSpec, decision: Decision, purpose: str) -> bool:
    """Would the gate do anything with the screenview: send it or keep it locally (by its
    purpose's verdict), or check it (debug or strict mode)? Else `submit` would return at once,
    and the gate is not even imported (a run disabled by a config or awaiting the notice)."""
    from consent._core.rules import DROP

    return decision.verdict(purpose) != DROP or checks_refusals(spec, os.environ)
