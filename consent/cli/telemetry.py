"""The `telemetry` command group an app gets: status, enable, disable, reset.

These commands never send anything and never show the first-run notice.
"""

from __future__ import annotations

from typing import Annotated

import typer

from consent.cli.audit import register
from consent.cli.console import guarded, note, result, warn
from consent.cli.instrument import flag_given
from consent.core.names import GROUP_NAME
from consent.core.spec import AppSpec
from consent.errors import ConfigError
from consent.notice.status import why_off
from consent.store.paths import locations
from consent.store.sources import resolve

# Command bodies import what they need: a host command's run only defines them.


def telemetry_app(spec: AppSpec) -> typer.Typer:
    app = typer.Typer(
        name=GROUP_NAME,
        help=f"See and change what {spec.display_name} may send about its use.",
        no_args_is_help=True,
        add_completion=False,
    )

    @app.command()
    @guarded
    def status(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Show whether telemetry is on, which source decided, and every source consulted."""
        from consent.notice.status import Extras, status_json, status_lines
        from consent.store import identity

        locs = locations(spec)
        decision = resolve(spec, flag=flag_given(ctx), locs=locs)
        stored = identity.load(spec, locs)
        extras = Extras(spec.name, spec.mode, stored.where, stored.detail)
        if as_json:
            import json

            result(json.dumps(status_json(decision, locs, extras), indent=2))
        else:
            result("\n".join(status_lines(decision, locs, extras)))

    _register_choices(app, spec)

    register(app, spec)
    return app


def _register_choices(app: typer.Typer, spec: AppSpec) -> None:
    app_name = spec.name

    @app.command()
    @guarded
    def enable(ctx: typer.Context) -> None:
        """Allow telemetry (records your choice for the current notice)."""
        from consent.store.choices import record_choice

        locs = locations(spec)
        rec = record_choice(spec, locs, enabled=True, via=f"command: {app_name} telemetry enable")
        if rec.write.backup is not None:
            note(f"The earlier config could not be read; it is kept as {rec.write.backup}.")
        decision = resolve(spec, flag=flag_given(ctx), locs=locs)
        if decision.enabled:
            result(
                f"Telemetry enabled for notice {rec.notice_version} (recorded in {rec.write.path})."
            )
            note(f"See exactly what is sent: {app_name} telemetry show-payload")
        else:
            result(
                f"Recorded your choice to enable telemetry in {rec.write.path}, "
                f"but telemetry stays disabled."
            )
            warn(f"still disabled by {why_off(spec, decision)}")

    @app.command()
    @guarded
    def disable() -> None:
        """Turn telemetry off and delete the anonymous id. Always works."""
        from consent.store import identity
        from consent.store.choices import record_choice

        locs = locations(spec)
        # The choice first: from this moment no sender may start sending. Then the id: the
        # delete waits (bounded) for a sender still at work, so nothing leaves after this
        # command returns and no id survives it.
        refused: ConfigError | None = None
        try:
            rec = record_choice(
                spec, locs, enabled=False, via=f"command: {app_name} telemetry disable"
            )
        except ConfigError as exc:
            refused = exc
        deleted, failed = identity.delete(spec, locs)
        if refused is not None:
            _report_deletion(deleted, failed)
            raise ConfigError(
                f"{refused}",
                path=refused.path,
                hint=f"until then, set {spec.disable_env}=1 in your environment: it disables "
                "telemetry whatever the config says",
            ) from None
        if rec.write.backup is not None:
            note(f"The earlier config could not be read; it is kept as {rec.write.backup}.")
        result(f"Telemetry disabled (recorded in {rec.write.path}).")
        _report_deletion(deleted, failed)

    @app.command()
    @guarded
    def reset() -> None:
        """Delete the anonymous id; the next hit, if any, gets a new one."""
        from consent.store import identity

        deleted, failed = identity.delete(spec, locations(spec))
        _report_deletion(deleted, failed, none_text="There was no anonymous id to delete.")
        if failed:
            raise typer.Exit(1)


def _report_deletion(deleted: list[str], failed: list[str], none_text: str = "") -> None:
    if deleted:
        result("Deleted the anonymous id from " + " and ".join(deleted) + ".")
    elif none_text:
        result(none_text)
    for where in failed:
        warn(f"could not delete the anonymous id from {where}; it is not used while disabled")
