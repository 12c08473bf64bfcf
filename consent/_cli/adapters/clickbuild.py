"""What the typer and click adapters build only when a run needs it (consent/_cli/adapters/
clicktree.py holds what every run needs): the `telemetry` group rendered from the table of
consent._cli.commands, and, for a typer app of one command, that command with the group
reachable as its first word. Kept apart so that a host command does not load it.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from consent._cli.adapters.clicktree import (
    GROUP_MARK,
    HOST_ROOT,
    Kit,
    add_flag,
    add_flags,
    around,
    flag_given,
)
from consent._start import FLAG, SpecRef

TYPE_CHECKING = False
if TYPE_CHECKING:  # a single-command typer app imports this module as it is installed
    from consent._core.spec import AppSpec

# --- the telemetry group -------------------------------------------------------------------------


def node(command: Any) -> Any:
    """The neutral command tree (consent._notice.preview.Node) of a click-style command."""
    from consent._notice.preview import Node

    children = getattr(command, "commands", None)
    if children is None:
        return Node(None)
    return Node(
        {name: node(child) for name, child in children.items()},
        bool(getattr(command, "invoke_without_command", False)),
    )


def _host_root(ctx: Any) -> Any:
    top = ctx.find_root().command
    return getattr(top, HOST_ROOT, None) or top  # a single-command app's own command


def build_group(kit: Kit, spec: AppSpec) -> Any:
    """The `telemetry` group: one command per entry of the table, with the flag on each."""
    from consent._cli.table import COMMANDS, group_help

    group = kit.group(
        name=spec.group,
        commands=[_render(kit, spec, c) for c in COMMANDS],
        help=group_help(spec),
        no_args_is_help=True,
    )
    setattr(group, GROUP_MARK, True)
    add_flags(kit, group, spec)
    return group


def _render(kit: Kit, spec: AppSpec, entry: Any) -> Any:
    from consent._cli.commands import execute
    from consent._errors import UsageError

    params = []
    for p in entry.params:
        if p.kind == "words":
            attrs: dict[str, Any] = {"nargs": -1, "required": False}
            if kit.argument_help:
                attrs.update(help=p.help, show_default=False)
            params.append(kit.argument([p.name], **attrs))
        elif p.kind == "flag":
            params.append(kit.option([*p.flags, p.name], is_flag=True, default=False, help=p.help))
        else:
            params.append(
                kit.option([*p.flags, p.name], default=p.default, show_default=True, help=p.help)
            )

    def callback(**values: Any) -> None:
        ctx = kit.current_context()
        for p in entry.params:
            if p.kind == "words":
                values[p.name] = list(values[p.name] or ())
        try:
            outcome = execute(
                spec, entry, values, flag=flag_given(ctx), tree=lambda: node(_host_root(ctx))
            )
        except UsageError as exc:
            raise kit.bad_parameter(str(exc), param_hint=exc.param) from None
        if outcome.code:
            raise kit.exit(outcome.code)

    extra = {"short_help": entry.summary} if kit.short_help else {}
    return kit.command(entry.name, callback=callback, params=params, help=entry.help, **extra)


class _SingleCommand:
    """Mixin for the one command of a single-command typer app (typer runs it as the whole app).

    The command keeps its own arguments (`app ARG` still works), gains `--disable-analytics`
    and records its screenview; `app telemetry …` (the group's name as the first word) runs the
    consent commands instead.
    """

    _consent_spec: AppSpec | SpecRef
    _consent_build: Callable[[], Any]
    _consent_kit: Kit

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_flag(self._consent_kit, self, self._consent_spec)

    def invoke(self, ctx: Any) -> Any:
        host = super().invoke  # type: ignore[misc]
        return around(self._consent_spec, ctx, lambda: host(ctx))

    def main(self, args: Any = None, prog_name: str | None = None, **extra: Any) -> Any:
        spec = self._consent_spec
        argv = list(sys.argv[1:] if args is None else args)
        start = 1 if argv[:1] == [FLAG] else 0
        if argv[start : start + 1] == [spec.group]:
            group = type(self)._consent_build()
            setattr(group, HOST_ROOT, self)
            prog = f"{prog_name or spec.name} {spec.group}"
            return group.main([*argv[start + 1 :], *argv[:start]], prog_name=prog, **extra)
        return super().main(args, prog_name, **extra)  # type: ignore[misc]


def single_command_class(
    base: type, spec: AppSpec | SpecRef, kit: Kit, build: Callable[[], Any]
) -> type:
    """A subclass of `base` (the host's command class) for a single-command app."""
    return type(
        "ConsentSingleCommand",
        (_SingleCommand, base),
        {"_consent_build": staticmethod(build), "_consent_spec": spec, "_consent_kit": kit},
    )
