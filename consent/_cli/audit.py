"""The auditor's commands: `show-payload` (exact request bytes) and `log` (what was handed over)."""

from __future__ import annotations

import os

from consent._cli.commands import Call
from consent._cli.console import printable
from consent._core.spec import AppSpec
from consent._errors import UsageError
from consent._notice.status import sends, why_off
from consent._store.paths import locations
from consent._store.sources import resolve

TYPE_CHECKING = False
if TYPE_CHECKING:
    from consent._cli.console import Output
    from consent._core.rules import Decision
    from consent._notice.preview import Preview


def show_payload(call: Call) -> None:
    from consent._notice.preview import as_json as preview_json
    from consent._notice.preview import first_leaf, previews, resolve_words

    spec, out, words = call.spec, call.out, call.values["words"]
    event, as_json = call.values["event"], call.values["as_json"]
    locs = locations(spec)
    if words and words[0] == spec.group:
        if as_json:
            out.result("[]")
        out.note(f"`{spec.commands} …` commands send nothing: they only read and record choices.")
        return
    root = call.tree()
    command = resolve_words(root, spec, words) if words else None
    client_id = None
    if call.values["with_id"]:
        from consent._store import identity

        client_id = identity.load(spec, locs).value
    decision = resolve(spec, flag=call.flag, locs=locs)
    shown = previews(
        spec,
        os.environ,
        command=command,
        event=event,
        default_command=first_leaf(root, spec),
        client_id=client_id,
        managed=decision.endpoint_url,
        default=decision.default_url,
    )
    if as_json:
        import json

        out.result(
            json.dumps([preview_json(p, sends(spec, decision, p.event)) for p in shown], indent=2)
        )
    else:
        # Exact bytes on stdout: a blank line only between requests, a final newline only
        # on a tty. The URL of each goes above it on stderr, so stdout stays the bytes.
        for i, p in enumerate(shown):
            if i:
                out.raw(b"\n\n")
            out.note(p.label(command))
            out.note(p.connects)
            out.raw(p.request.raw())
        if out.stdout_is_tty():
            out.raw(b"\n")
    if not shown:
        out.note(f"{command} records no declared event.")
    _payload_note(out, spec, decision, shown)


def notice(call: Call) -> None:
    from consent._notice import document as render
    from consent._notice.packaged import packager_text

    fmt: str = call.values["fmt"]
    if not (call.values["as_json"] or fmt.lower() in ("json", "markdown")):
        raise UsageError("choose markdown or json", param="--format")
    spec = call.spec
    # The notice is the app's; what this installation's packager changed is said after it.
    packaged = packager_text(spec, resolve(spec, flag=call.flag, locs=locations(spec)))
    if call.values["as_json"] or fmt.lower() == "json":
        import json

        facts = render.facts(spec)
        if packaged:
            facts["installation_defaults"] = packaged
        call.out.result(json.dumps(facts, indent=2))
    else:
        text = render.markdown(spec)
        if packaged:
            text = f"{text.rstrip()}\n\n## This installation\n\n{packaged}\n"
        call.out.result(text)


def show_log(call: Call) -> None:
    from consent._store.log import entries

    out = call.out
    locs = locations(call.spec)
    items = entries(locs.log_file)
    if call.values["as_json"]:
        import json

        out.result(json.dumps(items, indent=2))
        return
    if not items:
        out.result(f"No hits have been handed to the sender or kept local (log: {locs.log_file}).")
        return
    for item in items:
        # Every value comes from a file anyone may have written: escaped before it is shown.
        what = printable(item.get("event", "?"))
        hit = item.get("hit") or {}
        name = printable(hit.get("cd") or hit.get("command") or "")
        when, outcome = printable(item.get("time", "?")), printable(item.get("outcome", "?"))
        out.result(f"{when}  {what:<12} {name:<28} {outcome}")
        if item.get("local") and "payload" in item:
            # Kept local: the exact body that would have been sent, to inspect.
            out.result(f"    {printable(item.get('url', ''))}  {printable(item['payload'])}")
    kept = sum(1 for i in items if i.get("local"))
    if kept:
        out.note(
            f"{kept} hit{'s' if kept != 1 else ''} kept local: never sent, and never sent "
            f"later (`--json` shows each exact request)"
        )
    out.note(f"log: {printable(locs.log_file)}")


def _payload_note(out: Output, spec: AppSpec, decision: Decision, shown: list[Preview]) -> None:
    """Say on stderr whether the requests shown would be sent now, by the purpose of each."""
    where = ", ".join(sorted({p.request.url for p in shown}))
    held = [p.event for p in shown if not sends(spec, decision, p.event)]
    if decision.local_by is not None:
        out.note(
            f"would NOT be sent now: telemetry is local ({decision.local_by.detail}); "
            f"{'hits of events whose purpose you allowed are' if decision.local else 'nothing is'} "
            f"kept in the local log (`{spec.commands} log`)"
        )
    elif decision.enabled and any(p.route.refused for p in shown):
        # The sender would refuse the proxy and send nothing (consent/_wire/proxy.py).
        out.note(
            f"would NOT be sent now: {next(p.route.refused for p in shown if p.route.refused)}"
        )
    elif decision.enabled and held:
        purposes = sorted({spec.event_purpose(spec.event(e)) for e in held})
        out.note(
            f"would be sent now to {where}, except {', '.join(held)}: "
            f"{'its purpose' if len(purposes) == 1 else 'their purposes'} "
            f"{', '.join(purposes)} "
            f"{'is' if len(purposes) == 1 else 'are'} disabled "
            f"({why_off(spec, decision, purposes[0])})"
        )
    elif decision.enabled:
        out.note(
            f"would be sent now to {where} (decided by {decision.decided_by.source}: "
            f"{decision.decided_by.detail})"
        )
    else:
        out.note(
            f"would NOT be sent now to {where}: telemetry is disabled ({why_off(spec, decision)})"
        )
