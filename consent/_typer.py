"""The typer adapter: the consent layer in a host typer app in one call (`consent.install`).

Adds `--disable-analytics` to the app's root callback (wrapping the host's own
callback if it has one) and to every command, the `telemetry` command group, and the
hook that records each command's screenview. A single-command app stays one.

This module is the adapter's start path, reached from `consent.install`: it imports typer and
what typer has loaded (inspect, typing; no `from __future__`, which typer does not load),
consent/_start.py and consent/_tree.py (the start path the click and typer adapters share).
The `telemetry` group and a run that may send, show or ask load only when used.
"""

import inspect
import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
import typer.main
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from consent._start import FLAG, FLAG_KEY, HOST_ROOT, SpecRef, flag_help, prepared
from consent._tree import (
    Kit,
    add_flag,
    around,
    build,
    instrument,
    lazy_group_class,
)

TYPE_CHECKING = False
if TYPE_CHECKING:
    from consent._core.spec import AppSpec


def _current_context() -> Any:
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # older typer runs on click itself
        from click import get_current_context  # type: ignore[import-not-found, no-redef, unused-ignore]
    return get_current_context(silent=True)


KIT = Kit(
    option=lambda decls, **attrs: TyperOption(param_decls=decls, **attrs),
    argument=lambda decls, **attrs: TyperArgument(param_decls=decls, **attrs),
    command=TyperCommand,
    group=TyperGroup,
    exit=typer.Exit,
    bad_parameter=typer.BadParameter,
    current_context=_current_context,
    argument_help=True,
)

_FLAG_PARAM = "consent_disable_analytics"
_CTX_PARAM = "consent_ctx"
_INSTALLED = "_consent_spec"


def install(
    app: "typer.Typer",
    spec: "AppSpec | str",
    *,
    group: "str | None" = None,
    name: "str | None" = None,
    env_prefix: "str | None" = None,
) -> "typer.Typer":
    """Give `app` the consent layer for `spec` and return `app`.

    `spec` is the AppSpec, or a reference to it, `"package.module:NAME"`, with the app's `name`
    and `env_prefix` beside it: the module is then imported only when a run may send, shows a
    notice, asks, or runs a `telemetry` command (a mismatch is a SpecError then, and in the
    pytest plugin).

    Adds the `--disable-analytics` option to the root (around the app's own
    callback, whether it was given with `@app.callback()` or `typer.Typer(callback=...)`)
    and to every command, so it works before or after a command name; the `telemetry`
    command group (status, enable, disable, reset, id, show-payload, notice, log), named
    `group` if given (the spec's `group` otherwise); and a screenview for every command
    that runs, nested groups included.

    An app with exactly one command and no callback stays a single-command app (`app ARG`
    runs it); its users reach the group as `app telemetry …`. Add such an app's commands
    before calling install.

    Call it once, after the app's callback is defined; commands may be added before or
    after. Raises ConsentError when called twice on one app, or when the app already has a
    command or group of the group's name (a `SpecError` for an invalid `group`).
    """
    if not isinstance(app, typer.Typer):
        from consent._cli.hostrun import refusal  # what install refuses costs a run nothing

        raise refusal(_not_typer(app))
    installed: AppSpec | SpecRef | None = getattr(app, _INSTALLED, None)
    if installed is not None:
        from consent._cli.hostrun import refusal

        raise refusal(f"the consent layer is already installed in this app ({installed!r})")
    kept = prepared(spec, group=group, name=name, env_prefix=env_prefix)
    if kept.group in _host_names(app):
        from consent._cli.hostrun import clash

        raise clash(kept)
    if _single_command(app):
        command = app.registered_commands[0]
        base = command.cls if isinstance(command.cls, type) else None
        command.cls = single_command_class(
            base or TyperCommand, kept, KIT, lambda: build(KIT, kept)
        )
        setattr(app, _INSTALLED, kept)
        return app
    info = app.registered_callback
    if info is not None:
        info.callback = _wrap_callback(info.callback, kept)
    else:
        # A callback given to typer.Typer(...) is overridden by a registered one, so ours wraps it.
        app.callback()(_wrap_callback(_instance_callback(app), kept))
        info = app.registered_callback
        assert info is not None
    # The telemetry group is built only when used (see consent/_tree.py), on top of
    # whatever group class the host chose.
    host_cls = next((c for c in (info.cls, app.info.cls) if isinstance(c, type)), None)
    info.cls = lazy_group_class(host_cls or TyperGroup, lambda: build(KIT, kept), kept.group)
    setattr(app, _INSTALLED, kept)
    return app


def _single_command(app: typer.Typer) -> bool:
    """Would typer run `app` as its one command (no group around it)?"""
    return (
        app.registered_callback is None
        and _instance_callback(app) is None
        and not app.registered_groups
        and len(app.registered_commands) == 1
    )


def _host_names(app: typer.Typer) -> "set[str]":
    """The names of the app's top-level commands and groups registered so far."""
    names: set[str] = set()
    for command in app.registered_commands:
        if isinstance(command.name, str):
            names.add(command.name)
        elif command.callback is not None:
            names.add(typer.main.get_command_name(command.callback.__name__))
    for grp in app.registered_groups:
        sub = grp.typer_instance
        name = grp.name if isinstance(grp.name, str) else (sub.info.name if sub else None)
        if isinstance(name, str):
            names.add(name)
    return names


def _instance_callback(app: typer.Typer) -> "Callable[..., Any] | None":
    callback = app.info.callback
    return callback if callable(callback) else None  # typer's "not set" is a placeholder object


def _context_param(params: "list[inspect.Parameter]") -> "str | None":
    for p in params:
        if isinstance(p.annotation, type) and issubclass(p.annotation, typer.Context):
            return p.name
    return None


def _wrap_callback(
    host: "Callable[..., Any] | None", spec: "AppSpec | SpecRef"
) -> "Callable[..., Any]":
    host_params = list(inspect.signature(host, eval_str=True).parameters.values()) if host else []
    host_ctx = _context_param(host_params)
    ctx_name = host_ctx or _CTX_PARAM

    def callback(**kwargs: Any) -> Any:
        ctx: typer.Context = kwargs[ctx_name] if host_ctx else kwargs.pop(_CTX_PARAM)
        if kwargs.pop(_FLAG_PARAM, False):
            ctx.meta[FLAG_KEY] = True
        instrument(KIT, ctx.command, spec)

        def call() -> Any:
            return host(**kwargs) if host is not None else None

        if ctx.invoked_subcommand is None:
            # invoke_without_command: the root itself is the command that runs.
            return around(spec, ctx, call)
        return call()

    ours = [
        inspect.Parameter(
            _FLAG_PARAM,
            inspect.Parameter.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[bool, typer.Option(FLAG, help=flag_help(spec.commands))],
        )
    ]
    if host_ctx is None:
        ours.insert(
            0,
            inspect.Parameter(_CTX_PARAM, inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context),
        )
    params = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY) for p in host_params] + ours
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__annotations__ = {p.name: p.annotation for p in params}
    callback.__doc__ = host.__doc__ if host is not None else None
    return callback


def _not_typer(app: object) -> str:
    kind = type(app).__module__.split(".")[0]
    if kind == "click":
        return (
            f"install() takes a typer app, and this is a click {type(app).__name__}: use "
            "`from consent.click import install` for click programs"
        )
    if kind == "argparse":
        return (
            "install() takes a typer app, and this is an argparse parser: use "
            "`from consent.argparse import install, run` for argparse programs"
        )
    return f"install() takes a typer.Typer app, not {type(app).__name__}"


class _SingleCommand:
    """Mixin for the one command of a single-command typer app (typer runs it as the whole app).

    The command keeps its own arguments (`app ARG` still works), gains `--disable-analytics`
    and records its screenview; `app telemetry …` (the group's name as the first word) runs the
    consent commands instead.
    """

    _consent_spec: "AppSpec | SpecRef"
    _consent_build: "Callable[[], Any]"
    _consent_kit: Kit

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        add_flag(self._consent_kit, self, self._consent_spec)

    def invoke(self, ctx: Any) -> Any:
        host = super().invoke  # type: ignore[misc]
        return around(self._consent_spec, ctx, lambda: host(ctx))

    def main(self, args: Any = None, prog_name: "str | None" = None, **extra: Any) -> Any:
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
    base: type, spec: "AppSpec | SpecRef", kit: Kit, build: "Callable[[], Any]"
) -> type:
    """A subclass of `base` (the host's command class) for a single-command app."""
    return type(
        "ConsentSingleCommand",
        (_SingleCommand, base),
        {"_consent_build": staticmethod(build), "_consent_spec": spec, "_consent_kit": kit},
    )
