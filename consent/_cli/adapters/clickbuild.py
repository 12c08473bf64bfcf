"""What the typer and click adapters build only when a run needs it (consent/_tree.py holds
what every run needs): the `telemetry` group rendered from the table of consent._cli.commands.
Kept apart so that a host command does not load it.
"""

from __future__ import annotations

from typing import Any

from consent._start import FLAG_KEY, GROUP_MARK, HOST_ROOT

TYPE_CHECKING = False
if TYPE_CHECKING:
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


def build_group(kit: Any, spec: AppSpec) -> Any:
    """The `telemetry` group: one command per entry of the table, made with `kit` (a
    consent/_tree.py `Kit`, which this module may not import: it is below the start path) (consent/_tree.py `build` gives
    each the flag)."""
    from consent._cli.table import COMMANDS, group_help

    group = kit.group(
        name=spec.group,
        commands=[_render(kit, spec, c) for c in COMMANDS],
        help=group_help(spec),
        no_args_is_help=True,
    )
    setattr(group, GROUP_MARK, True)
    return group


def _render(kit: Any, spec: AppSpec, entry: Any) -> Any:
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
                spec,
                entry,
                values,
                flag=bool(ctx.meta.get(FLAG_KEY, False)),
                tree=lambda: node(_host_root(ctx)),
            )
        except UsageError as exc:
            raise kit.bad_parameter(str(exc), param_hint=exc.param) from None
        if outcome.code:
            raise kit.exit(outcome.code)

    extra = {"short_help": entry.summary} if kit.short_help else {}
    return kit.command(entry.name, callback=callback, params=params, help=entry.help, **extra)
