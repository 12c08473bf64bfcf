"""The host's root command group, with the `telemetry` group built only when it is needed.

typer builds every command of an app before running any of them; for the seven
`telemetry` commands that costs about 5 ms on every host command, as much as the
rest of the consent layer. This group lists `telemetry` (help and completion see
it) but builds it only when it is looked up by name.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import typer
from typer.core import TyperGroup

from consent.core.names import GROUP_NAME


class _LazyTelemetry:
    """Mixin for a TyperGroup subclass; `_consent_build` makes the real group."""

    _consent_build: Callable[[], Any]

    def list_commands(self, ctx: typer.Context) -> list[str]:
        names: list[str] = super().list_commands(ctx)  # type: ignore[misc]
        return names if GROUP_NAME in names else [*names, GROUP_NAME]

    def get_command(self, ctx: typer.Context, cmd_name: str) -> Any:
        commands: dict[str, Any] = self.commands  # type: ignore[attr-defined]
        if cmd_name == GROUP_NAME and GROUP_NAME not in commands:
            commands[GROUP_NAME] = type(self)._consent_build()
        return super().get_command(ctx, cmd_name)  # type: ignore[misc]


def lazy_group_class(base: type[TyperGroup] | None, build: Callable[[], Any]) -> type[TyperGroup]:
    """A subclass of `base` (the host's group class, or TyperGroup) adding the lazy group."""
    cls = type(
        "ConsentGroup",
        (_LazyTelemetry, base or TyperGroup),
        {"_consent_build": staticmethod(build)},
    )
    return cls
