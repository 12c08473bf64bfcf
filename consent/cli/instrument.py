"""Recording what ran: the screenview of each command, and events apps record themselves.

The command path comes from the CLI's own command tree (the names click resolved),
never from argv, so arguments, option values, paths and unknown words cannot
reach a payload. `telemetry` commands, `--help` and completion record nothing.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import typer

from consent.core.names import FLAG
from consent.core.spec import AppSpec, command_event
from consent.errors import ConsentError

FLAG_KEY = "consent.disable_analytics"  # where --disable-analytics, given anywhere, is kept
GROUP_MARK = "_consent_group"  # set on the command group `install` adds

_MARK = "_consent_instrumented"
_FLAGGED = "_consent_flagged"


def flag_help(spec: AppSpec) -> str:
    return f"Send no usage data in this run (see `{spec.commands} status`)."


def _set_flag(ctx: Any, _param: Any, value: bool) -> None:
    if value:
        ctx.meta[FLAG_KEY] = True  # meta is shared by every context of the run


def add_flag(command: Any, spec: AppSpec) -> None:
    """Give `command` its own `--disable-analytics`, so the flag works after the command name
    and shows in the command's --help (once per command object)."""
    if getattr(command, _FLAGGED, False):
        return
    setattr(command, _FLAGGED, True)
    if any(FLAG in getattr(p, "opts", ()) for p in command.params):
        return  # the root, whose callback declares it
    from typer.core import TyperOption

    command.params.append(
        TyperOption(
            param_decls=[FLAG],
            is_flag=True,
            default=False,
            expose_value=False,
            callback=_set_flag,
            help=flag_help(spec),
        )
    )


def flag_given(ctx: typer.Context) -> bool:
    """Was --disable-analytics given to this run (anywhere the root callback saw it)?"""
    return bool(ctx.meta.get(FLAG_KEY, False))


def current_context() -> Any:
    """The running typer/click command's context, if this program runs one."""
    if "typer" not in sys.modules and "click" not in sys.modules:
        return None
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # older typer depends on click itself
        from click import get_current_context  # type: ignore[import-not-found, no-redef, unused-ignore]
    return get_current_context(silent=True)


def command_path(ctx: typer.Context, spec: AppSpec) -> str:
    names: list[str] = []
    current: Any = ctx
    while current.parent is not None:
        names.append(current.command.name or "")
        current = current.parent
    return " ".join([spec.name, *reversed(names)])


def instrument(root: typer.Context, spec: AppSpec) -> None:
    """Wrap every leaf command under `root` (once) so that running it records a screenview."""
    group = root.command
    if getattr(group, _MARK, False):
        return
    setattr(group, _MARK, True)
    commands = getattr(group, "commands", {})
    clash = commands.get(spec.group)
    if clash is not None and not getattr(clash, GROUP_MARK, False):
        raise ConsentError(clash_message(spec), hint=CLASH_HINT)
    for name, command in commands.items():
        if name != spec.group:
            _wrap_tree(command, spec)


CLASH_HINT = 'pass install(app, spec, group="…") to give the consent commands another name'


def clash_message(spec: AppSpec) -> str:
    return (
        f"the app already has a command named {spec.group!r}, which would hide the consent "
        f"layer's {spec.group!r} group (`{spec.commands} disable` could not be reached)"
    )


def add_flags(command: Any, spec: AppSpec) -> None:
    """`--disable-analytics` on `command` and every command below it."""
    add_flag(command, spec)
    for child in (getattr(command, "commands", None) or {}).values():
        add_flags(child, spec)


def _wrap_tree(command: Any, spec: AppSpec) -> None:
    add_flag(command, spec)
    children = getattr(command, "commands", None)
    if children is not None:
        _wrap_group(command, spec)
        for child in children.values():
            _wrap_tree(child, spec)
        return
    original: Callable[[Any], Any] = command.invoke

    def invoke(ctx: Any) -> Any:
        on_command(ctx, spec)
        return original(ctx)

    command.invoke = invoke


def _wrap_group(group: Any, spec: AppSpec) -> None:
    """A group's callback runs alone only under invoke_without_command: then it is the command."""
    original: Callable[..., Any] | None = group.callback

    def callback(*args: Any, **kwargs: Any) -> Any:
        ctx = current_context()
        if ctx is not None and ctx.invoked_subcommand is None:
            on_command(ctx, spec)
        return original(*args, **kwargs) if original is not None else None

    group.callback = callback


def on_command(ctx: typer.Context, spec: AppSpec) -> None:
    """Called as a command starts: decide once for the run, then send only if enabled.

    The decision is registered with the gate first, so that every `record_event` of this run
    uses it: a run that shows the first-run notice or asks the question is a disabled run, and
    sends nothing from any path. Never raises; Ctrl-C at the question ends the run (exit 130).
    """
    try:
        from consent.store.sources import resolve
        from consent.wire import gate

        decision = resolve(spec, flag=flag_given(ctx), full=False)
        command = command_path(ctx, spec)
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
