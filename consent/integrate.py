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

from consent.cli import FLAG_KEY, telemetry_app
from consent.lazygroup import lazy_group_class
from consent.spec import AppSpec

_FLAG_PARAM = "consent_disable_analytics"
_CTX_PARAM = "consent_ctx"
_FLAG_HELP = "Send no usage data in this run (see `telemetry status`)."


def install(app: typer.Typer, spec: AppSpec) -> typer.Typer:
    """Give `app` the consent layer for `spec`: the flag, the `telemetry` group, instrumentation."""
    info = app.registered_callback
    host = info.callback if info is not None else None
    wrapper = _wrap_callback(host, spec)
    if info is None:
        app.callback()(wrapper)
        info = app.registered_callback
        assert info is not None
    else:
        info.callback = wrapper
    host_cls = info.cls if isinstance(info.cls, type) else None
    info.cls = lazy_group_class(host_cls, lambda: typer.main.get_command(telemetry_app(spec)))
    return app


def _wrap_callback(host: Callable[..., Any] | None, spec: AppSpec) -> Callable[..., Any]:
    host_params = list(inspect.signature(host, eval_str=True).parameters.values()) if host else []
    host_ctx = next(
        (
            p.name
            for p in host_params
            if isinstance(p.annotation, type) and issubclass(p.annotation, typer.Context)
        ),
        None,
    )
    ctx_name = host_ctx or _CTX_PARAM

    def callback(**kwargs: Any) -> Any:
        ctx: typer.Context = kwargs[ctx_name] if host_ctx else kwargs.pop(_CTX_PARAM)
        ctx.meta[FLAG_KEY] = bool(kwargs.pop(_FLAG_PARAM, False))
        from consent.instrument import instrument

        instrument(ctx, spec)
        return host(**kwargs) if host is not None else None

    ours = [
        inspect.Parameter(
            _FLAG_PARAM,
            inspect.Parameter.KEYWORD_ONLY,
            default=False,
            annotation=Annotated[bool, typer.Option("--disable-analytics", help=_FLAG_HELP)],
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
