"""What every adapter does as a host command starts: decide once for the run, report the
command that ran, and show the first-run notice or ask the question.

The adapter names the command by its path in the program's own command tree (`acme deploy
run`: the names typer, click or argparse resolved), never from argv, so arguments, option
values, paths and unknown words cannot reach a payload. `telemetry` commands, `--help` and
completion record nothing: adapters do not call this for them.
"""

from __future__ import annotations

from consent.core.spec import AppSpec, command_event


def flag_help(spec: AppSpec) -> str:
    return f"Send no usage data in this run (see `{spec.commands} status`)."


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
        from consent.store.sources import resolve
        from consent.wire import gate

        decision = resolve(spec, flag=flag, full=False)
        gate.start_run(spec, decision, command)
        event = command_event(spec)
        # Disabled, `submit` returns at once (it checks the hit only in debug or strict mode).
        if event is not None and event.recorded_by(command, spec.name):
            gate.submit(spec, event.name, decision=decision, command=command, recorded_by=command)
        if not decision.enabled and not decision.local and decision.pending is not None:
            from consent.cli.interactive import is_interactive

            if is_interactive():  # only then is the notice or the question worth importing
                from consent.cli.firstrun import first_run

                first_run(spec, decision)
    except Exception:  # noqa: BLE001, S110 - telemetry never breaks the host command
        pass
