"""The host's root command group, with the consent command group built only when it is needed;
and, for a host with a single command, that command with the group reachable as its first word.

typer builds every command of an app before running any of them; for the eight
`telemetry` commands that costs about 5 ms on every host command, as much as the
rest of the consent layer. This group lists `telemetry` (help and completion see
it) but builds it only when it is looked up by name.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from consent.core.names import FLAG
from consent.core.spec import AppSpec

HOST_ROOT = "_consent_host_root"  # on a group run by a single-command app: the host's command


class _LazyTelemetry:
    """Mixin for a TyperGroup subclass; `_consent_build` makes the real group."""

    _consent_build: Callable[[], Any]
    _consent_name: str

    def list_commands(self, ctx: typer.Context) -> list[str]:
        names: list[str] = super().list_commands(ctx)  # type: ignore[misc]
        name = self._consent_name
        return names if name in names else [*names, name]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:
        commands: dict[str, Any] = self.commands  # type: ignore[attr-defined]
        name = self._consent_name
        if cmd_name == name and name not in commands:
            commands[name] = type(self)._consent_build()
        return super().get_command(ctx, cmd_name)  # type: ignore[misc]


def lazy_group_class(
    base: type[TyperGroup] | None, build: Callable[[], Any], name: str
) -> type[TyperGroup]:
    """A subclass of `base` (the host's group class, or TyperGroup) adding the lazy group."""
    cls = type(
        "ConsentGroup",
        (_LazyTelemetry, base or TyperGroup),
        {"_consent_build": staticmethod(build), "_consent_name": name},
    )
    return cls


class _SingleCommand:
    """Mixin for the one command of a single-command app (typer runs it as the whole app).

    The command keeps its own arguments (`app ARG` still works), gains `--disable-analytics`
    and records its screenview; `app telemetry …` (the group's name as the first word) runs the
    consent commands instead.
    """

    _consent_spec: AppSpec
    _consent_build: Callable[[], Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from consent.cli.instrument import add_flag

        add_flag(self, self._consent_spec)

    def invoke(self, ctx: typer.Context) -> Any:
        from consent.cli.instrument import on_command

        on_command(ctx, self._consent_spec)
        return super().invoke(ctx)  # type: ignore[misc]

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
    base: type[TyperCommand] | None, spec: AppSpec, build: Callable[[], Any]
) -> type[TyperCommand]:
    """A subclass of `base` (the host's command class, or TyperCommand) for a single-command app."""
    return type(
        "ConsentSingleCommand",
        (_SingleCommand, base or TyperCommand),
        {"_consent_build": staticmethod(build), "_consent_spec": spec},
    )
