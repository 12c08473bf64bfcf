"""What typer and click programs share: both run a tree of click-style commands.

typer 0.28 runs its own copy of click (`typer._click`), older typer and click programs run
`click`: the classes differ, their shape does not. A `Kit` names the classes and functions of
one of them; everything here works on either:

- `--disable-analytics` on every command (`add_flag`), kept in the context's meta;
- `instrument`: every command under the root reports itself as it starts (a screenview,
  nested groups included), through consent._core.runs and consent._cli.hostrun;
- the `telemetry` group, built only when it is looked up by name (`lazy_group_class`).


This is the start path the click adapter (consent/click.py) and the typer adapter
(consent/_typer.py) share: it imports only consent/_start.py and what click and typer have
loaded (no `from __future__`: typer does not load it). What only some runs need is imported
when used: the group rendered from the table of consent._cli.commands
(consent/_cli/adapters/clickbuild.py), and a run that may send, show or ask
(consent._cli.hostrun).

The command path comes from the CLI's own command tree (the names click resolved), never
from argv.
"""

from collections.abc import Callable
from typing import Any

from consent._start import FLAG, FLAG_KEY, GROUP_MARK, SpecRef, flag_help, start

TYPE_CHECKING = False
if TYPE_CHECKING:
    from consent._core.runs import Scope
    from consent._core.spec import AppSpec
    from consent._start import OffScope

    Spec = AppSpec | SpecRef

_MARK = "_consent_instrumented"
FLAGGED = "_consent_flagged"


class Kit:
    """The click of one framework: how to make its options, arguments, commands and groups. A
    plain class: built as the adapter is imported, it must not load consent's value types."""

    __slots__ = (
        "argument",
        "argument_help",
        "bad_parameter",
        "command",
        "current_context",
        "exit",
        "group",
        "option",
        "short_help",
    )

    def __init__(
        self,
        *,
        option: "Callable[..., Any]",  # option(decls, **attrs)
        argument: "Callable[..., Any]",  # argument(decls, **attrs)
        command: "Callable[..., Any]",
        group: "Callable[..., Any]",
        exit: "Callable[[int], BaseException]",
        bad_parameter: "Callable[..., BaseException]",
        current_context: "Callable[[], Any]",  # the running context, or None
        short_help: bool = False,  # each command's one-line summary (click cuts its own short)
        argument_help: bool = False,  # arguments take help= (typer's do, click's do not)
    ) -> None:
        self.option = option
        self.argument = argument
        self.command = command
        self.group = group
        self.exit = exit
        self.bad_parameter = bad_parameter
        self.current_context = current_context
        self.short_help = short_help
        self.argument_help = argument_help


def _set_flag(ctx: Any, _param: Any, value: bool) -> None:
    if value:
        ctx.meta[FLAG_KEY] = True  # meta is shared by every context of the run


def flag_option(kit: Kit, spec: "Spec") -> Any:
    return kit.option(
        [FLAG],
        is_flag=True,
        default=False,
        expose_value=False,
        callback=_set_flag,
        help=flag_help(spec.commands),
    )


def add_flag(kit: Kit, command: Any, spec: "Spec") -> None:
    """Give `command` its own `--disable-analytics`, so the flag works after the command name
    and shows in the command's --help (once per command object)."""
    if getattr(command, FLAGGED, False):
        return
    setattr(command, FLAGGED, True)
    if any(FLAG in getattr(p, "opts", ()) for p in command.params):
        return  # the root, whose callback declares it
    command.params.append(flag_option(kit, spec))


def add_flags(kit: Kit, command: Any, spec: "Spec") -> None:
    """`--disable-analytics` on `command` and every command below it."""
    add_flag(kit, command, spec)
    for child in (getattr(command, "commands", None) or {}).values():
        add_flags(kit, child, spec)


def flag_given(ctx: Any) -> bool:
    """Was --disable-analytics given to this run (anywhere the root callback saw it)?"""
    return bool(ctx.meta.get(FLAG_KEY, False))


def command_path(ctx: Any, spec: "Spec") -> str:
    names: list[str] = []
    current: Any = ctx
    while current.parent is not None:
        names.append(current.command.name or "")
        current = current.parent
    return " ".join([spec.name, *reversed(names)])


def on_command(ctx: Any, spec: "Spec") -> "Scope | OffScope | None":
    """The command of `ctx` is starting: start its run and report it (never raises, see
    hostrun). The caller ends the run (`end_run`) when the command returns."""
    try:
        command = command_path(ctx, spec)
        flag = flag_given(ctx)
        off = start(spec, command, flag=flag)
        if off is not None:
            return off
        from consent._cli.hostrun import command_started  # a run that may send or show something
        from consent._core.reference import spec_of

        loaded = spec_of(spec)
    except Exception:  # noqa: BLE001 - telemetry never breaks the host command
        return None
    return command_started(loaded, command, flag=flag)


def end_run(scope: "Scope | OffScope | None") -> None:
    """The command returned (or raised): its run ends, and later events decide on the spot."""
    if scope is not None:
        try:  # noqa: SIM105 - contextlib is not loaded on a host command's path
            scope.end()
        except Exception:  # noqa: BLE001, S110 - telemetry never breaks the host command
            pass


def around(spec: "Spec", ctx: Any, call: "Callable[[], Any]") -> Any:
    """Run `call` (the command of `ctx`) inside its run."""
    scope = on_command(ctx, spec)
    try:
        return call()
    finally:
        end_run(scope)


def instrument(kit: Kit, group: Any, spec: "Spec") -> None:
    """Wrap every command under the root `group` (once) so that running it records a screenview."""
    if getattr(group, _MARK, False):
        return
    setattr(group, _MARK, True)
    commands = getattr(group, "commands", {})
    existing = commands.get(spec.group)
    if existing is not None and not getattr(existing, GROUP_MARK, False):
        from consent._cli.hostrun import clash

        raise clash(spec)
    for name, command in commands.items():
        if name != spec.group:
            _wrap_tree(kit, command, spec)


def _wrap_tree(kit: Kit, command: Any, spec: "Spec") -> None:
    add_flag(kit, command, spec)
    children = getattr(command, "commands", None)
    if children is not None:
        wrap_group_callback(kit, command, spec)
        for child in children.values():
            _wrap_tree(kit, child, spec)
        return
    original: Callable[[Any], Any] = command.invoke

    def invoke(ctx: Any) -> Any:
        return around(spec, ctx, lambda: original(ctx))

    command.invoke = invoke


def wrap_group_callback(kit: Kit, group: Any, spec: "Spec") -> None:
    """A group's callback runs alone only under invoke_without_command: then it is the command."""
    original: Callable[..., Any] | None = group.callback

    def callback(*args: Any, **kwargs: Any) -> Any:
        def call() -> Any:
            return original(*args, **kwargs) if original is not None else None

        ctx = kit.current_context()
        if ctx is not None and ctx.invoked_subcommand is None:
            return around(spec, ctx, call)
        return call()

    group.callback = callback


# --- built only when used ------------------------------------------------------------------------


def lazy_group_class(base: type, build: "Callable[[], Any]", name: str) -> type:
    """A subclass of `base` (the host's group class) that lists the `telemetry` group `name`
    (help and completion see it) but builds it (`build`) only when it is looked up by name:
    building its ten commands would cost every host command a few milliseconds, as much as the
    rest of the consent layer. Its two methods call `base`'s, as `super()` would (no mixin
    class: a class costs a host command's start about 0.07 million instructions)."""

    def list_commands(self: Any, ctx: Any) -> "list[str]":
        names: list[str] = base.list_commands(self, ctx)  # type: ignore[attr-defined]
        return names if name in names else [*names, name]

    def get_command(self: Any, ctx: Any, cmd_name: str) -> Any:
        commands: dict[str, Any] = self.commands
        if cmd_name == name and name not in commands:
            commands[name] = build()
        return base.get_command(self, ctx, cmd_name)  # type: ignore[attr-defined]

    return type(
        "ConsentGroup", (base,), {"list_commands": list_commands, "get_command": get_command}
    )


def build(kit: Kit, spec: "Spec") -> Any:
    """The `telemetry` group (consent/_cli/adapters/clickbuild.py), with the flag on each of its
    commands: only when it is used."""
    from consent._cli.adapters.clickbuild import build_group
    from consent._core.reference import spec_of

    group = build_group(kit, spec_of(spec))
    add_flags(kit, group, spec)
    return group
