"""Installing the consent layer into a host typer app in one call.

Adds `--disable-analytics` to the app's root callback (wrapping the host's own
callback if it has one), the `telemetry` command group, and the hook that
records each command's screenview.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Annotated, Any

import typer
import typer.main

from consent.cli.instrument import FLAG_KEY
from consent.cli.lazygroup import lazy_group_class
from consent.core.names import FLAG
from consent.core.spec import AppSpec
from consent.errors import ConsentError

_FLAG_PARAM = "consent_disable_analytics"
_CTX_PARAM = "consent_ctx"
_FLAG_HELP = "Send no usage data in this run (see `telemetry status`)."
_INSTALLED = "_consent_spec"


def install(app: typer.Typer, spec: AppSpec) -> typer.Typer:
    """Give `app` the consent layer for `spec` and return `app`.

    Adds the `--disable-analytics` option to the root (around the app's own
    callback, whether it was given with `@app.callback()` or `typer.Typer(callback=...)`),
    the `telemetry` command group (status, enable, disable, reset, show-payload,
    notice, log), and a screenview for every command that runs, nested groups
    included. Call it once, after the app's callback is defined; commands may be
    added before or after. Raises ConsentError when called twice on one app.
    """
    installed: AppSpec | None = getattr(app, _INSTALLED, None)
    if installed is not None:
        raise ConsentError(f"the consent layer is already installed in this app ({installed!r})")
    info = app.registered_callback
    if info is not None:
        info.callback = _wrap_callback(info.callback, spec)
    else:
        # A callback given to typer.Typer(...) is overridden by a registered one, so ours wraps it.
        app.callback()(_wrap_callback(_instance_callback(app), spec))
        info = app.registered_callback
        assert info is not None
    # The telemetry group is built only when used (see consent.cli.lazygroup), on top of
    # whatever group class the host chose.
    host_cls = next((c for c in (info.cls, app.info.cls) if isinstance(c, type)), None)
    info.cls = lazy_group_class(host_cls, lambda: _build_group(spec))
    setattr(app, _INSTALLED, spec)
    return app


def _build_group(spec: AppSpec) -> Any:
    from consent.cli.telemetry import telemetry_app

    return typer.main.get_command(telemetry_app(spec))


def _instance_callback(app: typer.Typer) -> Callable[..., Any] | None:
    callback = app.info.callback
    return callback if callable(callback) else None  # typer's "not set" is a placeholder object


def _context_param(params: list[inspect.Parameter]) -> str | None:
    for p in params:
        if isinstance(p.annotation, type) and issubclass(p.annotation, typer.Context):
            return p.name
    return None


def _wrap_callback(host: Callable[..., Any] | None, spec: AppSpec) -> Callable[..., Any]:
    host_params = list(inspect.signature(host, eval_str=True).parameters.values()) if host else []
    host_ctx = _context_param(host_params)
    ctx_name = host_ctx or _CTX_PARAM

    def callback(**kwargs: Any) -> Any:
        ctx: typer.Context = kwargs[ctx_name] if host_ctx else kwargs.pop(_CTX_PARAM)
        ctx.meta[FLAG_KEY] = bool(kwargs.pop(_FLAG_PARAM, False))
        from consent.cli.instrument import instrument, on_command

        instrument(ctx, spec)
        if ctx.invoked_subcommand is None:
            # invoke_without_command: the root itself is the command that runs.
            on_command(ctx, spec)
        return host(**kwargs) if host is not None else None

    ours = [
        inspect.Parameter(
            _FLAG_PARAM,
            inspect.Parameter.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[bool, typer.Option(FLAG, help=_FLAG_HELP)],
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
