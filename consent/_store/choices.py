"""Recording what a person said: every way of speaking is one transition of one model.

`speak` reads the config into the model of the person's words (consent/_core/words.py), applies
the transition, appends its consent receipt and writes the model back with the newest receipt's
hash, all under the config's lock: no command can drop what another recorded, and the config
anchors the head of the receipts' chain. `enable` and `disable` are the public face's
`consent.enable` / `consent.disable`: the same transition and receipt as the `telemetry`
commands, for programs that ask in their own way.
"""

from __future__ import annotations

from consent._core.names import HEAD_KEY
from consent._core.records import ConsentRecord
from consent._core.rules import PolicyReading
from consent._core.spec import AppSpec
from consent._core.value import Record
from consent._core.words import (
    ANSWER,
    DISABLE,
    ENABLE,
    LOCAL,
    RESET,
    SHOWN,
    Speech,
    changed_keys,
    hear,
    words_of,
)
from consent._errors import ConsentError, PolicyLockedError
from consent._store.clock import utc_stamp
from consent._store.configwrite import WriteResult, update_telemetry
from consent._store.paths import Locations
from consent._store.sources import read_policies

TYPE_CHECKING = False
if TYPE_CHECKING:
    from consent._core.rules import Decision
    from consent._core.words import Act


class Recorded(Record):
    write: WriteResult
    notice_version: str
    at: str
    receipt_id: str | None = None  # the consent receipt appended for this change
    receipt_problem: str = ""  # why no receipt could be written (the change itself stands)
    purposes: tuple[str, ...] = ()  # the purposes the choice applied to
    everything_off: bool = False  # after it: the person's word for every purpose is no


def check_purposes(spec: AppSpec, names: tuple[str, ...]) -> None:
    """Raise ConsentError unless every name is a purpose the app declares."""
    unknown = [n for n in names if n not in spec.purpose_names]
    if unknown:
        raise ConsentError(
            f"{spec.name} has no purpose {', '.join(map(repr, unknown))}",
            hint=f"its purposes: {', '.join(spec.purpose_names)}",
        )


def policy_lock(locs: Locations, purposes: tuple[str, ...] = ()) -> PolicyReading | None:
    """The first admin policy file that locks telemetry off (unreadable ones included)."""
    for reading in read_policies(locs, purposes):
        if reading.locks or reading.state == "error":
            return reading
    return None


def speak(
    spec: AppSpec, locs: Locations, speech: Speech, *, timeout: float | None = None
) -> Recorded:
    """Record what a person said: the transition `speech` of the model the config holds, its
    consent receipt, and the receipt's hash in the config. A yes or `local` under an admin
    policy's lock is refused (PolicyLockedError, nothing recorded), as is a yes to a purpose a
    policy locks; ConfigError when the config cannot be written.

    `timeout` bounds the waits for the config's and the receipts' locks (a host command's run
    passes milliseconds)."""
    names = spec.purpose_names
    at = speech.at or utc_stamp()
    speech = speech.replace(at=at)
    chosen = speech.purposes
    if chosen is not None:
        check_purposes(spec, chosen)
    version = spec.notice_version
    if speech.act == RESET:  # changes no word: nothing to record
        return Recorded(WriteResult(locs.config_file, None), version, at, purposes=names)
    if speech.act in (ENABLE, LOCAL) or (speech.act == ANSWER and speech.yes):
        _refuse_under_lock(locs, names, chosen)
    outcome: dict[str, object] = {}

    def values(current: ConsentRecord) -> dict[str, object]:
        after = hear(words_of(current, names), speech, purposes=names, version=version)
        out = changed_keys(current, after, names)
        outcome["off"] = after.all_no(names)
        action = speech.receipt_action
        if action is not None:
            head = _append_receipt(
                spec, locs, speech, action=action, timeout=timeout, outcome=outcome
            )
            if head:
                out[HEAD_KEY] = head
        return {**out, **covered(spec)}

    write = update_telemetry(locs.config_file, values, timeout=timeout)
    rid = outcome.get("receipt_id")
    return Recorded(
        write,
        version,
        at,
        rid if isinstance(rid, str) else None,
        str(outcome.get("receipt_problem", "")),
        names if chosen is None else chosen,
        bool(outcome.get("off")),
    )


def _refuse_under_lock(
    locs: Locations, names: tuple[str, ...], chosen: tuple[str, ...] | None
) -> None:
    lock = policy_lock(locs, names)
    if lock is not None:
        if lock.problem:
            what = f"{lock.problem}, so it counts as a lock"
        elif lock.lock_key == "telemetry.mode":
            what = 'it sets telemetry.mode = "off", which enable cannot override'
        else:
            what = "it sets telemetry.enabled = false, which enable cannot override"
        raise PolicyLockedError(
            f"telemetry is managed by your organization: locked off by the administrator's "
            f"policy file {lock.path} ({what})",
            path=lock.path,
            hint="nothing was recorded. Ask whoever manages this machine if it should change.",
        )
    for reading in read_policies(locs, names) if chosen is not None else ():
        locked = [p for p in chosen or () if p in reading.locked_purposes]
        if locked:
            raise PolicyLockedError(
                f"the purpose {', '.join(map(repr, locked))} is managed by your "
                f"organization: locked off by the administrator's policy file "
                f"{reading.path} (telemetry.disabled_purposes, which enable cannot override)",
                path=reading.path,
                hint="nothing was recorded. Ask whoever manages this machine if it should change.",
            )


def _append_receipt(
    spec: AppSpec,
    locs: Locations,
    speech: Speech,
    *,
    action: str,
    timeout: float | None,
    outcome: dict[str, object],
) -> str:
    """Append the transition's receipt (under the config's lock, so receipts follow the
    config's changes in order); its line's hash, or "" when it could not be written (the
    change itself stands, and the config keeps pointing at the receipt before)."""
    from consent._store import receipts

    if speech.act == ANSWER:
        method, expressed = "prompt", "the first-run question"
    elif speech.act == SHOWN:
        method, expressed = "first-run notice", "the first-run notice, shown on the terminal"
    else:
        method, expressed = speech.method, speech.expressed or speech.method
    try:
        receipt = receipts.append(
            spec,
            locs.receipts_path,
            action=action,
            method=method,
            expressed=expressed,
            changed=speech.purposes if speech.act in (ENABLE, DISABLE, ANSWER) else None,
            timeout=timeout,
        )
    except (OSError, ConsentError) as exc:
        problem = getattr(exc, "strerror", None) or str(exc)
        outcome["receipt_problem"] = f"{locs.receipts_path}: {problem}"
        return ""
    outcome["receipt_id"] = receipt["receipt_id"]
    return receipts.line_hash(receipt)


def record_choice(
    spec: AppSpec,
    locs: Locations,
    *,
    enabled: bool,
    via: str,
    purposes: tuple[str, ...] | None = None,
    local: bool = False,
    timeout: float | None = None,
) -> Recorded:
    """An explicit enable or disable (`local`: local mode; `via="prompt"`: the answer to the
    opt-in question), as `speak` records it. `via` says how it was expressed, "method: what"
    ("command: acme telemetry enable usage")."""
    method, _, expressed = via.partition(": ")
    if via == "prompt":  # the answer covers the purposes asked about (None: every one)
        speech = Speech(ANSWER, purposes, yes=enabled, method="prompt")
    elif local:
        speech = Speech(LOCAL, method=method, expressed=expressed)
    else:
        act = ENABLE if enabled else DISABLE
        speech = Speech(act, purposes, method=method, expressed=expressed)
    return speak(spec, locs, speech, timeout=timeout)


def record_notice_shown(
    spec: AppSpec, locs: Locations, *, timeout: float | None = None
) -> Recorded:
    """An opt-out app's first-run notice was shown to a person."""
    return speak(spec, locs, Speech(SHOWN, method="first-run notice"), timeout=timeout)


def covered(spec: AppSpec) -> dict[str, str]:
    """What the current notice covers, stored with every choice so that a later notice can say
    what was added or removed since (names, space-separated)."""
    return {
        "notice_fields": " ".join(f.wire for f in spec.fields),
        "notice_events": " ".join(e.name for e in spec.events),
    }


def forget_id(spec: AppSpec, locs: Locations, old: str | None) -> tuple[list[str], list[str]]:
    """Delete the pseudonymous id everywhere (`old`: its value, read before) and take it out of
    the local log: (where it was deleted, what could not be done)."""
    from consent._core.names import ID_IN_LOG
    from consent._store import identity
    from consent._store.log import scrub

    deleted, failed = identity.delete(spec, locs)
    if old is not None:
        try:
            scrub(locs.log_file, old, ID_IN_LOG)
        except (OSError, ConsentError) as exc:
            failed.append(f"the log {locs.log_file} ({exc})")
    return deleted, failed


def enable(spec: AppSpec, *purposes: str, via: str) -> Decision:
    """Record that the person enabled telemetry (for `purposes`, or every purpose), exactly as
    `<app> telemetry enable` does: the same transition of what they said, the same consent
    receipt (its method is `via`, how your program asked, e.g. "settings dialog"). Returns the
    decision now; a stronger source (the flag, a variable, a project file) may still keep a
    purpose off, which `Decision.verdict` and `decided_by` say. Raises PolicyLockedError under
    an admin lock (nothing is recorded), ConfigError when the config cannot be written, and
    ConsentError for a purpose the app does not declare."""
    return _api(spec, ENABLE, purposes, via)


def disable(spec: AppSpec, *purposes: str, via: str) -> Decision:
    """Record that the person disabled telemetry (for `purposes`, or every purpose), exactly as
    `<app> telemetry disable` does: the same transition, the same consent receipt (method
    `via`) and, once no purpose is left enabled, the pseudonymous id deleted everywhere and
    taken out of the local log. Returns the decision now; what could not be done (the receipt,
    the id's deletion) is in its `warnings`. Raises ConfigError when the config cannot be
    written (the id is deleted all the same: `<PREFIX>_DISABLE_ANALYTICS=1` then turns
    telemetry off), and ConsentError for a purpose the app does not declare."""
    return _api(spec, DISABLE, purposes, via)


def _api(spec: AppSpec, act: Act, purposes: tuple[str, ...], via: str) -> Decision:
    from consent._errors import ConfigError
    from consent._store.paths import locations
    from consent._store.sources import resolve

    if not isinstance(via, str) or not via.strip():
        raise ConsentError(
            f"consent.{act}() needs `via`: how the person said it",
            hint='e.g. via="settings dialog"; it is recorded in the consent receipt',
        )
    chosen = tuple(dict.fromkeys(purposes)) or None
    expressed = " ".join([act, *(chosen or ())])
    speech = Speech(act, chosen, method=via.strip(), expressed=expressed)
    locs = locations(spec)
    problems: list[str] = []
    if act == ENABLE:
        rec = speak(spec, locs, speech)
    else:
        from consent._store import identity

        if chosen is not None:
            check_purposes(spec, chosen)
        try:
            rec = speak(spec, locs, speech)
        except ConfigError:
            forget_id(spec, locs, identity.load(spec, locs).value)  # disable always works
            raise
        if chosen is None or rec.everything_off:
            _, failed = forget_id(spec, locs, identity.load(spec, locs).value)
            problems += [f"could not delete the pseudonymous id from {f}" for f in failed]
    if rec.receipt_problem:
        problems.append(f"no consent receipt could be written ({rec.receipt_problem})")
    if rec.write.backup is not None:
        problems.append(f"the earlier config could not be read; it is kept as {rec.write.backup}")
    decision = resolve(spec, locs=locs)
    return decision.replace(warnings=(*decision.warnings, *problems)) if problems else decision
