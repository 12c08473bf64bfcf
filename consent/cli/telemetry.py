"""The `telemetry` command group an app gets: status, enable, disable, reset, id.

These commands never send anything and never show the first-run notice. Only `disable`,
`reset` and `id` look at the OS keyring (loading a keyring backend may start processes and
open sockets); `status` and the auditor's commands never do.
"""

from __future__ import annotations

from typing import Annotated

import typer

from consent.cli.audit import register
from consent.cli.console import guarded, note, result, warn
from consent.cli.instrument import flag_given
from consent.cli.receipts import register as register_receipts
from consent.core.spec import AppSpec
from consent.errors import ConfigError
from consent.notice.status import why_off
from consent.store.paths import Locations, locations
from consent.store.sources import resolve

TYPE_CHECKING = False
if TYPE_CHECKING:
    from consent.store.choices import Recorded

PURPOSE_HELP = "Purposes to change (default: every purpose); `status` lists them."

# Command bodies import what they need: a host command's run only defines them.


def telemetry_app(spec: AppSpec) -> typer.Typer:
    app = typer.Typer(
        name=spec.group,
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
        from consent.store.receipts import latest_id

        # The id file only: the keyring is looked up by `telemetry id`, never by status.
        stored = identity.load_file(spec, locs)
        extras = Extras(
            spec.name, spec.mode, stored.where, stored.detail, latest_id(locs.receipts_path)
        )
        if as_json:
            import json

            result(json.dumps(status_json(decision, locs, extras), indent=2))
        else:
            result("\n".join(status_lines(decision, locs, extras)))

    @app.command("policy")
    @guarded
    def policy(
        ctx: typer.Context,
        as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    ) -> None:
        """Show the organisation's policy in force here: each managed key and its file."""
        from consent.notice.policy import policy_report

        text, code = policy_report(spec, as_json=as_json, flag=flag_given(ctx))
        result(text)
        if code:
            raise typer.Exit(code)

    _register_choices(app, spec)

    @app.command("id")
    @guarded
    def show_id() -> None:
        """Print the pseudonymous id, to quote it in a request about your data (looks up the OS keyring)."""
        from consent.store import identity

        stored = identity.load(spec, locations(spec))
        if stored.value is None:
            note(f"No pseudonymous id is stored ({stored.detail}).")
            return
        result(stored.value)
        note(f"Kept {stored.detail}.")

    register(app, spec)
    register_receipts(app, spec)
    return app


def _register_choices(app: typer.Typer, spec: AppSpec) -> None:
    _register_enable(app, spec)
    _register_disable(app, spec)
    _register_local(app, spec)
    _register_reset(app, spec)


def _register_enable(app: typer.Typer, spec: AppSpec) -> None:
    app_name = spec.commands

    @app.command()
    @guarded
    def enable(
        ctx: typer.Context,
        purposes: Annotated[
            list[str] | None, typer.Argument(help=PURPOSE_HELP, show_default=False)
        ] = None,
    ) -> None:
        """Allow telemetry, for every purpose or the ones named. Leaves local mode.

        Records your choice for the current notice.
        """
        from consent.store.choices import record_choice

        chosen = _purposes(spec, purposes)
        locs = locations(spec)
        via = " ".join([f"command: {app_name} enable", *(chosen or ())])
        rec = record_choice(spec, locs, enabled=True, via=via, purposes=chosen)
        if rec.write.backup is not None:
            note(f"The earlier config could not be read; it is kept as {rec.write.backup}.")
        _report_receipt(rec)
        decision = resolve(spec, flag=flag_given(ctx), locs=locs)
        what = "" if chosen is None else f" for {', '.join(rec.purposes)}"
        off = [p for p in decision.purposes if p.purpose in rec.purposes and not p.enabled]
        if not off:
            result(
                f"Telemetry enabled{what} (notice {rec.notice_version}; "
                f"recorded in {rec.write.path})."
            )
            if decision.endpoint_url and decision.endpoint is not None:
                note(f"Hits go to {decision.endpoint_url}, managed by your organization "
                     f"({decision.endpoint.origin.get('path')}).")  # fmt: skip
            note(f"See exactly what is sent: {app_name} show-payload")
        else:
            result(
                f"Recorded your choice to enable telemetry{what} in {rec.write.path}, "
                f"but {'it stays' if len(off) == len(rec.purposes) else 'some of it stays'} "
                f"{'local' if all(p.local for p in off) else 'disabled'}."
            )
            for p in off:
                label = f"{p.purpose}: " if len(spec.purpose_names) > 1 else ""
                if p.local and decision.local_by is not None:
                    warn(f"{label}kept local by {decision.local_by.source}: "
                         f"{decision.local_by.detail}")  # fmt: skip
                else:
                    warn(f"{label}still disabled by {why_off(spec, decision, p.purpose)}")


def _register_disable(app: typer.Typer, spec: AppSpec) -> None:
    app_name = spec.commands

    @app.command()
    @guarded
    def disable(
        purposes: Annotated[
            list[str] | None, typer.Argument(help=PURPOSE_HELP, show_default=False)
        ] = None,
    ) -> None:
        """Turn telemetry off, for every purpose or the ones named. Always works.

        Turning every purpose off also ends local mode, and prints the pseudonymous id once and
        deletes it.
        """
        from consent.store.choices import record_choice

        chosen = _purposes(spec, purposes)
        locs = locations(spec)
        via = " ".join([f"command: {app_name} disable", *(chosen or ())])
        # The choice first: from this moment no sender may start sending. Then the id: the
        # delete waits (bounded) for a sender still at work, so nothing leaves after this
        # command returns and no id survives it.
        refused: ConfigError | None = None
        rec = None
        try:
            rec = record_choice(spec, locs, enabled=False, via=via, purposes=chosen)
        except ConfigError as exc:
            refused = exc
        deleted: list[str] = []
        failed: list[str] = []
        if rec is None or chosen is None or rec.everything_off:
            deleted, failed = _forget_id(spec, locs)
        if rec is None:
            assert refused is not None
            _report_deletion(deleted, failed)
            raise ConfigError(
                f"{refused}",
                path=refused.path,
                hint=f"until then, set {spec.disable_env}=1 in your environment: it disables "
                "telemetry whatever the config says",
            ) from None
        if rec.write.backup is not None:
            note(f"The earlier config could not be read; it is kept as {rec.write.backup}.")
        what = "" if chosen is None or rec.everything_off else f" for {', '.join(rec.purposes)}"
        result(f"Telemetry disabled{what} (recorded in {rec.write.path}).")
        _report_receipt(rec)
        _report_deletion(deleted, failed)


def _register_local(app: typer.Typer, spec: AppSpec) -> None:
    app_name = spec.commands

    @app.command()
    @guarded
    def local(ctx: typer.Context) -> None:
        """Keep telemetry on this machine: hits are kept in the local log, never sent.

        Every hit is built exactly as it would be sent and kept in the local log (`telemetry
        log`). `enable` or `disable` ends local mode.
        """
        from consent.store.choices import record_choice

        locs = locations(spec)
        rec = record_choice(spec, locs, enabled=True, via=f"command: {app_name} local", local=True)
        if rec.write.backup is not None:
            note(f"The earlier config could not be read; it is kept as {rec.write.backup}.")
        _report_receipt(rec)
        result(
            f"Telemetry is local (recorded in {rec.write.path}): hits are kept in the local log "
            "and nothing leaves this machine."
        )
        note(f"See them: {app_name} log    Send them from now on: {app_name} enable    "
             f"Stop: {app_name} disable")  # fmt: skip
        decision = resolve(spec, flag=flag_given(ctx), locs=locs)
        if not decision.local:
            warn(f"nothing is kept either while disabled: {why_off(spec, decision)}")


def _register_reset(app: typer.Typer, spec: AppSpec) -> None:
    @app.command()
    @guarded
    def reset() -> None:
        """Delete the pseudonymous id; the next hit, if any, gets a new one."""
        from consent.store import identity

        locs = locations(spec)
        old = identity.load(spec, locs).value
        deleted, failed = identity.delete(spec, locs)
        _scrub(locs, old)
        _report_deletion(deleted, failed, none_text="There was no pseudonymous id to delete.")
        if failed:
            raise typer.Exit(1)


def _forget_id(spec: AppSpec, locs: Locations) -> tuple[list[str], list[str]]:
    """Print the id once (to quote it about what was sent), delete it, and scrub old logs."""
    from consent.store import identity

    old = identity.load(spec, locs).value
    if old is not None:
        _quote_id(spec, old)
    deleted, failed = identity.delete(spec, locs)
    _scrub(locs, old)
    return deleted, failed


def _purposes(spec: AppSpec, given: list[str] | None) -> tuple[str, ...] | None:
    """The purposes named on the command line (None: every purpose); unknown names are a usage
    error that names the app's purposes."""
    if not given:
        return None
    unknown = [n for n in given if n not in spec.purpose_names]
    if unknown:
        raise typer.BadParameter(
            f"{', '.join(map(repr, unknown))}: not a purpose of {spec.name} "
            f"(its purposes: {', '.join(spec.purpose_names)})",
            param_hint="PURPOSES",
        )
    return tuple(dict.fromkeys(given))


def _report_receipt(rec: Recorded) -> None:
    if rec.receipt_id:
        note(f"Consent receipt {rec.receipt_id} added.")
    else:
        warn(
            f"the choice was recorded, but no consent receipt could be written ({rec.receipt_problem})"
        )


def _quote_id(spec: AppSpec, value: str) -> None:
    """The id, once, before it is deleted: the one way left to point at what was sent under it."""
    result(f"Your pseudonymous id was: {value}")
    result(
        "Deleting it here does not delete hits already sent under it; they stay with the "
        f"recipient. To ask for their deletion, quote this id to {spec.controller}: "
        f"{spec.contact}"
    )


def _scrub(locs: Locations, old: str | None) -> None:
    """Take the old id out of the local log (earlier versions logged it)."""
    if old is None:
        return
    from consent.store.log import scrub
    from consent.wire.gate import ID_IN_LOG

    try:
        scrub(locs.log_file, old, ID_IN_LOG)
    except (OSError, ConfigError) as exc:
        warn(f"could not remove the old pseudonymous id from the log {locs.log_file}: {exc}")


def _report_deletion(deleted: list[str], failed: list[str], none_text: str = "") -> None:
    if deleted:
        result("Deleted the pseudonymous id from " + " and ".join(deleted) + ".")
    elif none_text:
        result(none_text)
    for where in failed:
        warn(f"could not delete the pseudonymous id from {where}; it is not used while disabled")
