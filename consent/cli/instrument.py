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

from consent.core.names import GROUP_NAME
from consent.core.spec import AppSpec, command_event

FLAG_KEY = "consent.disable_analytics"  # where the root callback keeps --disable-analytics

_MARK = "_consent_instrumented"


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
    for name, command in getattr(group, "commands", {}).items():
        if name != GROUP_NAME:
            _wrap_tree(command, spec)


def _wrap_tree(command: Any, spec: AppSpec) -> None:
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
    sends nothing from any path. Never raises.
    """
    try:
        from consent.store.sources import resolve
        from consent.wire import gate

        decision = resolve(spec, flag=flag_given(ctx), full=False)
        gate.start_run(spec, decision)
        if decision.enabled or decision.local:  # the gate decides by the event's purpose
            event = command_event(spec)
            if event is not None:
                command = command_path(ctx, spec)
                gate.submit(spec, event.name, decision=decision, command=command)
        elif decision.pending is not None:
            from consent.cli.interactive import is_interactive

            if is_interactive():  # only then is the notice or the question worth importing
                from consent.cli.firstrun import first_run

                first_run(spec, decision)
    except Exception:  # noqa: BLE001, S110 - telemetry never breaks the host command
        pass
