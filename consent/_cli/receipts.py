"""`telemetry receipts`: list the consent receipts, or check their chain with `--verify`."""

from __future__ import annotations

from consent._cli.commands import Call
from consent._errors import ConfigError
from consent._store.paths import locations


def receipts(call: Call) -> int:
    from consent._store import receipts as store

    spec, out = call.spec, call.out
    path = locations(spec).receipts_path
    try:
        lines = store.read(path)
    except OSError as exc:
        raise ConfigError(
            f"the consent receipts cannot be read: {store.problem(path, exc)}",
            path=path,
            hint="move it aside (the next change of consent starts a new chain)",
        ) from None
    if call.values["verify"]:
        verdict = store.check(lines)
        if verdict.ok:
            out.result(f"{verdict.count} receipt(s), chain intact ({path}).")
            return 0
        rid = f" ({verdict.receipt_id})" if verdict.receipt_id else ""
        out.result(
            f"receipt {verdict.bad} of {verdict.count}{rid} does not match: {verdict.problem}."
        )
        out.note(f"receipts: {path}")
        return 1
    items = store.parsed(lines)
    if call.values["as_json"]:
        import json

        out.result(json.dumps(items, indent=2))
        return 0
    if not items:
        out.result(f"No consent receipts yet (file: {path}).")
        return 0
    for i, r in enumerate(items, 1):
        notice = r.get("notice") or {}
        out.result(
            f"{i:>3}  {r.get('timestamp', '?')}  {r.get('action', '?'):<9}  "
            f"{r.get('method', '?'):<16}  notice {notice.get('version', '?')}  "
            f"{r.get('receipt_id', '?')}"
        )
    out.note(f"receipts: {path}  (check the chain: {spec.commands} receipts --verify)")
    return 0
