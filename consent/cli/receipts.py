"""`telemetry receipts`: list the consent receipts, or check their chain with `--verify`."""

from __future__ import annotations

from typing import Annotated

import typer

from consent.cli.console import guarded, note, result
from consent.core.spec import AppSpec
from consent.store.paths import locations


def register(app: typer.Typer, spec: AppSpec) -> None:
    @app.command("receipts")
    @guarded
    def receipts(
        as_json: Annotated[bool, typer.Option("--json", help="Print a JSON list.")] = False,
        verify: Annotated[
            bool,
            typer.Option("--verify", help="Check the hash chain; exit 1 naming the first bad one."),
        ] = False,
    ) -> None:
        """List the consent receipts kept on this machine (one per change of consent)."""
        from consent.store import receipts as store

        path = locations(spec).receipts_path
        if verify:
            verdict = store.verify(path)
            if verdict.ok:
                result(f"{verdict.count} receipt(s), chain intact ({path}).")
                return
            rid = f" ({verdict.receipt_id})" if verdict.receipt_id else ""
            result(
                f"receipt {verdict.bad} of {verdict.count}{rid} does not match: {verdict.problem}."
            )
            note(f"receipts: {path}")
            raise typer.Exit(1)
        items = store.records(path)
        if as_json:
            import json

            result(json.dumps(items, indent=2))
            return
        if not items:
            result(f"No consent receipts yet (file: {path}).")
            return
        for i, r in enumerate(items, 1):
            notice = r.get("notice") or {}
            result(
                f"{i:>3}  {r.get('timestamp', '?')}  {r.get('action', '?'):<9}  "
                f"{r.get('method', '?'):<16}  notice {notice.get('version', '?')}  "
                f"{r.get('receipt_id', '?')}"
            )
        note(f"receipts: {path}  (check the chain: {spec.commands} receipts --verify)")
