"""The auditor's commands: `show-payload` (exact request bytes) and `log` (what was handed over)."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from consent.cli.console import guarded, note, printable, result
from consent.cli.instrument import flag_given
from consent.core.spec import AppSpec
from consent.notice.status import why_off
from consent.store.paths import locations
from consent.store.sources import resolve


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
    ) -> None:
        """Print the exact request(s) a command line would send, byte for byte. Sends nothing."""
        from consent.notice.preview import as_json as preview_json
        from consent.notice.preview import first_leaf, previews, resolve_words

        root = ctx.find_root().command
        locs = locations(spec)
        command = resolve_words(root, spec, words) if words else None
        shown = previews(
            spec,
            locs,
            os.environ,
            command=command,
            event=event,
            default_command=first_leaf(root, spec),
        )
        decision = resolve(spec, flag=flag_given(ctx), locs=locs)
        if as_json:
            import json

            result(json.dumps([preview_json(p, decision.enabled) for p in shown], indent=2))
        else:
            # Exact bytes: a blank line only between requests, a final newline only on a tty.
            for i, p in enumerate(shown):
                if i:
                    typer.echo("\n")
                typer.echo(p.request.raw(), nl=False)
            if sys.stdout.isatty():
                typer.echo("")
        where = ", ".join(sorted({p.request.url for p in shown}))
        if decision.enabled:
            note(
                f"would be sent now to {where} (decided by {decision.decided_by.source}: "
                f"{decision.decided_by.detail})"
            )
        else:
            note(f"would NOT be sent now: telemetry is disabled ({why_off(spec, decision)})")

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
        """Show the hits handed to the sender on this machine, with their outcomes."""
        from consent.store.log import entries

        locs = locations(spec)
        items = entries(locs.log_file)
        if as_json:
            import json

            result(json.dumps(items, indent=2))
            return
        if not items:
            result(f"No hits have been handed to the sender (log: {locs.log_file}).")
            return
        for item in items:
            # Every value comes from a file anyone may have written: escaped before it is shown.
            what = printable(item.get("event", "?"))
            hit = item.get("hit") or {}
            name = printable(hit.get("cd") or hit.get("command") or "")
            when, outcome = printable(item.get("time", "?")), printable(item.get("outcome", "?"))
            result(f"{when}  {what:<12} {name:<28} {outcome}")
        note(f"log: {printable(locs.log_file)}")
