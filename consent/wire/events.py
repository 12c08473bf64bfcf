"""Recording an app's own declared events, from a typer command or from plain Python.

Importing this module costs nothing beyond the decision: typer is consulted only
if the program already loaded it (to honour `--disable-analytics` of the running
command), so a script without a CLI pays no typer start-up.
"""

from __future__ import annotations

import sys

from consent.core.spec import AppSpec

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

FLAG_KEY = "consent.disable_analytics"  # where the root callback keeps --disable-analytics


def record_event(spec: AppSpec, event: str, values: Mapping[str, str] | None = None) -> None:
    """Record a declared event (e.g. lumogon's `upload`) if consent allows. Never raises."""
    try:
        from consent.wire.gate import submit

        ctx = current_context()
        flag = bool(ctx.meta.get(FLAG_KEY, False)) if ctx is not None else False
        submit(spec, event, values=values, flag=flag)
    except Exception:  # noqa: BLE001, S110 - telemetry never breaks the host program
        pass


def current_context() -> Any:
    """The running typer/click command's context, if this program runs one."""
    if "typer" not in sys.modules and "click" not in sys.modules:
        return None
    try:
        from typer._click.globals import get_current_context
    except ImportError:  # older typer depends on click itself
        from click import get_current_context  # type: ignore[import-not-found, no-redef, unused-ignore]
    return get_current_context(silent=True)
