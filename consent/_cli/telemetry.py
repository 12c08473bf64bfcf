"""The `telemetry` command group an app gets: status, enable, disable, reset, id.

These commands never send anything and never show the first-run notice. Only `disable`,
`reset` and `id` look at the OS keyring (loading a keyring backend may start processes and
open sockets); `status` and the auditor's commands never do.
"""

from __future__ import annotations

from consent._cli.commands import Call
from consent._core.rules import DROP, KEEP, SEND
from consent._core.spec import AppSpec
from consent._errors import ConfigError, UsageError
from consent._notice.status import why_off
from consent._store.paths import Locations, locations
from consent._store.sources import resolve

TYPE_CHECKING = False
if TYPE_CHECKING:
    from consent._cli.console import Output
    from consent._core.words import Act, Speech
    from consent._store.choices import Recorded


# Command bodies import what they need: building the table only defines them.


def status(call: Call) -> None:
    import os

    from consent._core.envgrammar import ci_marker
    from consent._notice.status import Extras, status_json, status_lines
    from consent._store import identity
    from consent._store.receipts import latest_id, problem

    spec, out = call.spec, call.out
    locs = locations(spec)
    decision = resolve(spec, flag=call.flag, locs=locs)
    # The id file only: the keyring is looked up by `telemetry id`, never by status.
    stored = identity.load_file(spec, locs)
    # Whatever is at the receipts' path, the decision is still shown, and what is wrong there.
    latest, unreadable = None, ""
    try:
        latest = latest_id(locs.receipts_path)
    except OSError as exc:
        unreadable = problem(locs.receipts_path, exc)
    extras = Extras(
        spec.name,
        spec.mode,
        stored.where,
        stored.detail,
        latest,
        unreadable,
        ci=ci_marker(dict(os.environ)),
    )
    if call.values["as_json"]:
        import json

        out.result(json.dumps(status_json(decision, locs, extras), indent=2))
    else:
        out.result("\n".join(status_lines(decision, locs, extras)))


def policy(call: Call) -> int:
    from consent._notice.policy import policy_report

    text, code = policy_report(call.spec, as_json=call.values["as_json"], flag=call.flag)
    call.out.result(text)
    return code


def show_id(call: Call) -> None:
    from consent._store import identity

    stored = identity.load(call.spec, locations(call.spec))
    if stored.value is None:
        call.out.note(f"No pseudonymous id is stored; {stored.detail}.")
        return
    call.out.result(stored.value)
    call.out.note(f"Kept {stored.detail}.")


def _said(spec: AppSpec, act: Act, chosen: tuple[str, ...] | None = None) -> Speech:
    """What a person said with the `act` command (and the purposes it named)."""
    from consent._core.words import Speech

    expressed = " ".join([f"{spec.commands} {act}", *(chosen or ())])
    return Speech(act, chosen, method="command", expressed=expressed)


def enable(call: Call) -> None:
    from consent._core.words import ENABLE
    from consent._store.choices import speak

    spec, out = call.spec, call.out
    app_name = spec.commands
    chosen = _purposes(spec, call.values["purposes"])
    locs = locations(spec)
    rec = speak(spec, locs, _said(spec, ENABLE, chosen))
    if rec.write.backup is not None:
        out.note(f"The earlier config could not be read; it is kept as {rec.write.backup}.")
    _report_receipt(out, rec)
    decision = resolve(spec, flag=call.flag, locs=locs)
    what = "" if chosen is None else f" for {', '.join(rec.purposes)}"
    verdicts = {name: decision.verdict(name) for name in rec.purposes}
    off = [name for name, verdict in verdicts.items() if verdict != SEND]
    if not off:
        out.result(
            f"Telemetry enabled{what} (notice {rec.notice_version}; recorded in {rec.write.path})."
        )
        if decision.endpoint_url and decision.endpoint is not None:
            out.note(
                f"Hits go to {decision.endpoint_url}, managed by your organization "
                f"({decision.endpoint.origin.get('path')})."
            )
        elif decision.default_url and decision.endpoint is not None:
            out.note(
                f"Hits go to {decision.default_url}, the default of this installation's "
                f"packager ({decision.endpoint.origin.get('path')})."
            )
        out.note(f"See exactly what is sent: {app_name} show-payload")
    else:
        out.result(
            f"Recorded your choice to enable telemetry{what} in {rec.write.path}, "
            f"but {'it stays' if len(off) == len(rec.purposes) else 'some of it stays'} "
            f"{'local' if all(verdicts[n] == KEEP for n in off) else 'disabled'}."
        )
        for name in off:
            label = f"{name}: " if len(spec.purpose_names) > 1 else ""
            if verdicts[name] == KEEP and decision.local_by is not None:
                out.warn(f"{label}kept local by {decision.local_by.source}: "
                         f"{decision.local_by.detail}")  # fmt: skip
            else:
                out.warn(f"{label}still disabled by {why_off(spec, decision, name)}")


def disable(call: Call) -> None:
    from consent._core.words import DISABLE
    from consent._store.choices import speak

    spec, out = call.spec, call.out
    chosen = _purposes(spec, call.values["purposes"])
    locs = locations(spec)
    # The choice first: from this moment no sender may start sending. Then the id: the
    # delete waits (bounded) for a sender still at work, so nothing leaves after this
    # command returns and no id survives it.
    refused: ConfigError | None = None
    rec = None
    try:
        rec = speak(spec, locs, _said(spec, DISABLE, chosen))
    except ConfigError as exc:
        refused = exc
    deleted: list[str] = []
    failed: list[str] = []
    if rec is None or chosen is None or rec.everything_off:
        deleted, failed = _forget_id(out, spec, locs)
    if rec is None:
        assert refused is not None
        _report_deletion(out, deleted, failed)
        raise ConfigError(
            f"{refused}",
            path=refused.path,
            hint=f"until then, set {spec.disable_env}=1 in your environment: it disables "
            "telemetry whatever the config says",
        ) from None
    if rec.write.backup is not None:
        out.note(f"The earlier config could not be read; it is kept as {rec.write.backup}.")
    what = "" if chosen is None or rec.everything_off else f" for {', '.join(rec.purposes)}"
    out.result(f"Telemetry disabled{what} (recorded in {rec.write.path}).")
    _report_receipt(out, rec)
    _report_deletion(out, deleted, failed)


def local(call: Call) -> None:
    from consent._core.words import LOCAL
    from consent._store.choices import speak

    spec, out = call.spec, call.out
    app_name = spec.commands
    locs = locations(spec)
    rec = speak(spec, locs, _said(spec, LOCAL))
    if rec.write.backup is not None:
        out.note(f"The earlier config could not be read; it is kept as {rec.write.backup}.")
    _report_receipt(out, rec)
    out.result(
        f"Telemetry is local (recorded in {rec.write.path}): hits are kept in the local log "
        "and nothing leaves this machine."
    )
    out.note(f"See them: {app_name} log    Send them from now on: {app_name} enable    "
             f"Stop: {app_name} disable")  # fmt: skip
    decision = resolve(spec, flag=call.flag, locs=locs)
    if not decision.local:
        out.warn(f"nothing is kept either while disabled: {why_off(spec, decision)}")
    elif len(spec.purpose_names) > 1:
        for name in spec.purpose_names:
            if decision.verdict(name) == DROP:
                out.warn(f"{name}: not kept either: {why_off(spec, decision, name)}")


def reset(call: Call) -> int:
    """A new pseudonymous id: the one a later hit would carry is deleted. What the person said
    does not change (`reset` is the identity transition of consent/_core/words.py)."""
    from consent._store import identity
    from consent._store.choices import forget_id

    spec, out = call.spec, call.out
    locs = locations(spec)
    deleted, failed = forget_id(spec, locs, identity.load(spec, locs).value)
    _report_deletion(out, deleted, failed, none_text="There was no pseudonymous id to delete.")
    return 1 if failed else 0


def _forget_id(out: Output, spec: AppSpec, locs: Locations) -> tuple[list[str], list[str]]:
    """Print the id once (to quote it about what was sent), delete it, and scrub old logs."""
    from consent._store import identity
    from consent._store.choices import forget_id

    old = identity.load(spec, locs).value
    if old is not None:
        _quote_id(out, spec, old)
    return forget_id(spec, locs, old)


def _purposes(spec: AppSpec, given: list[str] | None) -> tuple[str, ...] | None:
    """The purposes named on the command line (None: every purpose); unknown names are a usage
    error that names the app's purposes."""
    if not given:
        return None
    unknown = [n for n in given if n not in spec.purpose_names]
    if unknown:
        raise UsageError(
            f"{', '.join(map(repr, unknown))}: not a purpose of {spec.name} "
            f"(its purposes: {', '.join(spec.purpose_names)})",
            param="PURPOSES",
        )
    return tuple(dict.fromkeys(given))


def _report_receipt(out: Output, rec: Recorded) -> None:
    if rec.receipt_id:
        out.note(f"Consent receipt {rec.receipt_id} added.")
    else:
        out.warn(
            f"the choice was recorded, but no consent receipt could be written ({rec.receipt_problem})"
        )


def _quote_id(out: Output, spec: AppSpec, value: str) -> None:
    """The id, once, before it is deleted: the one way left to point at what was sent under it."""
    out.result(f"Your pseudonymous id was: {value}")
    out.result(
        "Deleting it here does not delete hits already sent under it; they stay with the "
        f"recipient. To ask for their deletion, quote this id to {spec.controller}: "
        f"{spec.contact}"
    )


def _report_deletion(
    out: Output, deleted: list[str], failed: list[str], none_text: str = ""
) -> None:
    if deleted:
        out.result("Deleted the pseudonymous id from " + " and ".join(deleted) + ".")
    elif none_text:
        out.result(none_text)
    for where in failed:
        out.warn(
            f"could not delete the pseudonymous id from {where}; it is not used while disabled"
        )
