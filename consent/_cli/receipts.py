"""`telemetry receipts`: list the consent receipts, or check their chain with `--verify`."""

from __future__ import annotations

from consent._cli.commands import Call
from consent._errors import ConfigError
from consent._store.paths import locations


def receipts(call: Call) -> int:
    from consent._store import receipts as store

    spec, out = call.spec, call.out
    locs = locations(spec)
    path = locs.receipts_path
    try:
        lines = store.read(path)
    except OSError as exc:
        raise ConfigError(
            f"the consent receipts cannot be read: {store.problem(path, exc)}",
            path=path,
            hint="move it aside (the next change of consent starts a new chain)",
        ) from None
    if call.values["verify"]:
        from consent._store.sources import read_config

        config = read_config(locs)
        head = config.record.latest_receipt_sha256 if config.state == "ok" else None
        verdict = store.anchored(lines, head)
        if verdict.ok:
            out.result(f"{verdict.count} receipt(s), chain intact ({path}).")
            if head:
                out.note(f"The newest receipt is the one {config.path} records.")
            elif verdict.count:
                out.note(
                    f"{config.path} records no newest receipt: receipts removed from the end "
                    "could not be noticed."
                )
            return 0
        if verdict.missing:
            out.result(f"receipts are missing: {verdict.missing}.")
        else:
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
        # The purposes the change applied to (a schema-1 receipt, from before purposes, all).
        changed = r.get("purposes_changed")
        purposes = ", ".join(map(str, changed)) if isinstance(changed, list) else "all"
        out.result(
            f"{i:>3}  {r.get('timestamp', '?')}  {r.get('action', '?'):<9}  "
            f"{r.get('method', '?'):<16}  notice {notice.get('version', '?')}  "
            f"{r.get('receipt_id', '?')}  purposes: {purposes}"
        )
    out.note(f"receipts: {path}  (check the chain: {spec.commands} receipts --verify)")
    return 0
