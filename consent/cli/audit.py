"""The auditor's commands: `show-payload` (exact request bytes) and `log` (what was handed over)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from consent.cli.console import guarded, note, printable, result
from consent.cli.instrument import flag_given
from consent.cli.lazygroup import HOST_ROOT
from consent.core.spec import AppSpec
from consent.notice.status import sends, why_off
from consent.store.paths import locations
from consent.store.sources import resolve

TYPE_CHECKING = False
if TYPE_CHECKING:
    from consent.core.rules import Decision
    from consent.notice.preview import Preview


def register(app: typer.Typer, spec: AppSpec) -> None:
    @app.command("show-payload")
    @guarded
    def show_payload(
        ctx: typer.Context,
        words: Annotated[
            list[str] | None,
            typer.Argument(help="A command line, e.g. `version`.", show_default=False),
        ] = None,
        event: Annotated[str | None, typer.Option(help="Show only this declared event.")] = None,
        as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
        with_id: Annotated[
            bool,
            typer.Option(
                "--with-id",
                help="Fill in the stored pseudonymous id (looks up the OS keyring; creates none).",
            ),
        ] = False,
    ) -> None:
        """Print every request a command line may send, byte for byte, each under its full URL
        (on stderr). Sends nothing."""
        _show_payload(ctx, spec, words, event=event, as_json=as_json, with_id=with_id)

    @app.command("notice")
    @guarded
    def notice(
        fmt: Annotated[str, typer.Option("--format", help="markdown or json.")] = "markdown",
        as_json: Annotated[bool, typer.Option("--json", help="The same as --format json.")] = False,
    ) -> None:
        """Print the full privacy notice, generated from what can be sent."""
        from consent.notice import document as render

        if as_json or fmt.lower() == "json":
            import json

            result(json.dumps(render.facts(spec), indent=2))
        elif fmt.lower() == "markdown":
            result(render.markdown(spec))
        else:
            raise typer.BadParameter("choose markdown or json", param_hint="--format")

    @app.command("log")
    @guarded
    def show_log(
        as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
    ) -> None:
        """Show the hits handed to the sender, or kept local, with their outcomes."""
        from consent.store.log import entries

        locs = locations(spec)
        items = entries(locs.log_file)
        if as_json:
            import json

            result(json.dumps(items, indent=2))
            return
        if not items:
            result(f"No hits have been handed to the sender or kept local (log: {locs.log_file}).")
            return
        for item in items:
            # Every value comes from a file anyone may have written: escaped before it is shown.
            what = printable(item.get("event", "?"))
            hit = item.get("hit") or {}
            name = printable(hit.get("cd") or hit.get("command") or "")
            when, outcome = printable(item.get("time", "?")), printable(item.get("outcome", "?"))
            result(f"{when}  {what:<12} {name:<28} {outcome}")
            if item.get("local") and "payload" in item:
                # Kept local: the exact body that would have been sent, to inspect.
                result(f"    {printable(item.get('url', ''))}  {printable(item['payload'])}")
        kept = sum(1 for i in items if i.get("local"))
        if kept:
            note(
                f"{kept} hit{'s' if kept != 1 else ''} kept local: never sent, and never sent "
                f"later (`--json` shows each exact request)"
            )
        note(f"log: {printable(locs.log_file)}")


def _show_payload(
    ctx: typer.Context,
    spec: AppSpec,
    words: list[str] | None,
    *,
    event: str | None,
    as_json: bool,
    with_id: bool,
) -> None:
    from consent.notice.preview import as_json as preview_json
    from consent.notice.preview import first_leaf, previews, resolve_words

    top = ctx.find_root().command
    root = getattr(top, HOST_ROOT, None) or top  # a single-command app's own command
    locs = locations(spec)
    if words and words[0] == spec.group:
        if as_json:
            result("[]")
        note(f"`{spec.commands} …` commands send nothing: they only read and record choices.")
        return
    command = resolve_words(root, spec, words) if words else None
    client_id = None
    if with_id:
        from consent.store import identity

        client_id = identity.load(spec, locs).value
    decision = resolve(spec, flag=flag_given(ctx), locs=locs)
    shown = previews(
        spec,
        os.environ,
        command=command,
        event=event,
        default_command=first_leaf(root, spec),
        client_id=client_id,
        managed=decision.endpoint_url,
    )
    if as_json:
        import json

        result(
            json.dumps([preview_json(p, sends(spec, decision, p.event)) for p in shown], indent=2)
        )
    else:
        # Exact bytes on stdout: a blank line only between requests, a final newline only
        # on a tty. The URL of each goes above it on stderr, so stdout stays the bytes.
        for i, p in enumerate(shown):
            if i:
                typer.echo("\n")
            note(p.label(command))
            note(p.connects)
            typer.echo(p.request.raw(), nl=False)
        if sys.stdout.isatty():
            typer.echo("")
    if not shown:
        note(f"{command} records no declared event.")
    _payload_note(spec, decision, shown)


def _payload_note(spec: AppSpec, decision: Decision, shown: list[Preview]) -> None:
    """Say on stderr whether the requests shown would be sent now, by the purpose of each."""
    where = ", ".join(sorted({p.request.url for p in shown}))
    held = [p.event for p in shown if not sends(spec, decision, p.event)]
    if decision.local_by is not None:
        note(
            f"would NOT be sent now: telemetry is local ({decision.local_by.detail}); "
            f"{'hits of events whose purpose you allowed are' if decision.local else 'nothing is'} "
            f"kept in the local log (`{spec.commands} log`)"
        )
    elif decision.enabled and any(p.route.refused for p in shown):
        # The sender would refuse the proxy and send nothing (consent/wire/proxy.py).
        note(f"would NOT be sent now: {next(p.route.refused for p in shown if p.route.refused)}")
    elif decision.enabled and held:
        purposes = sorted({spec.event_purpose(spec.event(e)) for e in held})
        note(
            f"would be sent now to {where}, except {', '.join(held)}: "
            f"{'its purpose' if len(purposes) == 1 else 'their purposes'} "
            f"{', '.join(purposes)} "
            f"{'is' if len(purposes) == 1 else 'are'} disabled "
            f"({why_off(spec, decision, purposes[0])})"
        )
    elif decision.enabled:
        note(
            f"would be sent now to {where} (decided by {decision.decided_by.source}: "
            f"{decision.decided_by.detail})"
        )
    else:
        note(f"would NOT be sent now to {where}: telemetry is disabled ({why_off(spec, decision)})")
