"""Recording what a person chose: enable, disable, and "this notice was shown".

Each choice is stored with the notice version it covers, when, and how it was
made, so `status` can explain it later.
"""

from __future__ import annotations

from consent._core.names import MODE_LOCAL
from consent._core.records import ConsentRecord
from consent._core.rules import PolicyReading
from consent._core.spec import AppSpec
from consent._core.value import Record
from consent._errors import ConsentError, PolicyLockedError
from consent._store.clock import utc_stamp
from consent._store.configwrite import WriteResult, update_telemetry
from consent._store.paths import Locations
from consent._store.sources import read_policies


class Recorded(Record):
    write: WriteResult
    notice_version: str
    at: str
    receipt_id: str | None = None  # the consent receipt appended for this change
    receipt_problem: str = ""  # why no receipt could be written (the change itself stands)
    purposes: tuple[str, ...] = ()  # the purposes the choice applied to
    everything_off: bool = False  # after a disable: no purpose is enabled by the config any more


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
    """Store an explicit enable or disable, and append its consent receipt. Enabling under an
    admin lock is refused. `via` says how it was expressed: "command: <app> telemetry enable",
    "prompt", …

    `purposes`: the purposes the choice applies to (None: every purpose; the others keep what
    was recorded for them). `local` (with `enabled`): local mode, where hits are kept on this
    machine and never sent. Enabling leaves local mode; disabling every purpose ends it.

    `timeout` bounds the wait for the config's lock (a host command's run passes milliseconds).
    """
    names = spec.purpose_names
    if purposes is not None:
        check_purposes(spec, purposes)
    if enabled:
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
        for reading in read_policies(locs, names) if purposes is not None else ():
            locked = [p for p in purposes or () if p in reading.locked_purposes]
            if locked:
                raise PolicyLockedError(
                    f"the purpose {', '.join(map(repr, locked))} is managed by your "
                    f"organization: locked off by the administrator's policy file "
                    f"{reading.path} (telemetry.disabled_purposes, which enable cannot override)",
                    path=reading.path,
                    hint="nothing was recorded. Ask whoever manages this machine if it should "
                    "change.",
                )
    at = utc_stamp()
    version = spec.notice_version
    outcome: dict[str, bool] = {}

    def values(current: ConsentRecord) -> dict[str, object]:
        choice = _purpose_keys(spec, current, enabled=enabled, purposes=purposes, local=local)
        if via == "prompt":
            choice.pop("mode", None)  # answering the question keeps local mode as it was
        outcome["off"] = choice.get("enabled") is False
        stamp = {"notice_version": version, "decided_at": at, "decided_via": via}
        return {**choice, **stamp, **covered(spec)}

    write = update_telemetry(locs.config_file, values, timeout=timeout)
    method, _, expressed = via.partition(": ")
    if method == "prompt":
        action, expressed = ("given" if enabled else "refused"), "the first-run question"
    elif local:
        action = "local"
    else:
        action = "given" if enabled else "withdrawn"
    rec = Recorded(
        write, version, at, purposes=names if purposes is None else purposes,
        everything_off=outcome.get("off", False),
    )  # fmt: skip
    return _with_receipt(
        spec,
        locs,
        rec,
        action,
        method=method,
        expressed=expressed or via,
        changed=purposes,
        timeout=timeout,
    )


def _purpose_keys(
    spec: AppSpec,
    current: ConsentRecord,
    *,
    enabled: bool,
    purposes: tuple[str, ...] | None,
    local: bool,
) -> dict[str, object]:
    """The `[telemetry]` keys for a choice, given what the config records now (None removes a
    key). A choice for every purpose writes the single `enabled` key, as before purposes."""
    every = spec.purpose_names
    reset = {"enabled_purposes": None, "disabled_purposes": None}
    if purposes is None or set(purposes) >= set(every):
        if enabled:
            return {"enabled": True, **reset, "mode": MODE_LOCAL if local else None}
        return {"enabled": False, **reset, "mode": None}
    # What the config enables now: only consent for the current notice carries over.
    current_on: set[str] = set()
    if current.enabled is True and current.notice_version == spec.notice_version:
        covered_now = current.enabled_set
        current_on = set(every) if covered_now is None else set(covered_now) & set(every)
    disabled = set(current.disabled_set) & set(every)
    chosen = set(purposes)
    if enabled:
        on, disabled = current_on | chosen, disabled - chosen
        mode = None  # enable leaves local mode
    else:
        if current.enabled is False:
            return {"enabled": False}  # every purpose is off already
        on, disabled = current_on - chosen, disabled | chosen
        mode = current.mode
    if disabled >= set(every):
        return {"enabled": False, **reset, "mode": None}
    return {
        "enabled": True if on else None,
        "enabled_purposes": _names(every, on) if on and on != set(every) else None,
        "disabled_purposes": _names(every, disabled) or None,
        "mode": mode,
    }


def _names(order: tuple[str, ...], chosen: set[str]) -> str:
    return " ".join(n for n in order if n in chosen)


def record_notice_shown(
    spec: AppSpec, locs: Locations, *, timeout: float | None = None
) -> Recorded:
    at = utc_stamp()
    version = spec.notice_version
    write = update_telemetry(
        locs.config_file,
        {"notice_shown_version": version, "notice_shown_at": at, **covered(spec)},
        timeout=timeout,
    )
    return _with_receipt(
        spec,
        locs,
        Recorded(write, version, at),
        "notified",
        method="first-run notice",
        expressed="the first-run notice, shown on the terminal",
        timeout=timeout,
    )


def covered(spec: AppSpec) -> dict[str, str]:
    """What the current notice covers, stored with every choice so that a later notice can say
    what was added or removed since (names, space-separated)."""
    return {
        "notice_fields": " ".join(f.wire for f in spec.fields),
        "notice_events": " ".join(e.name for e in spec.events),
    }


def _with_receipt(
    spec: AppSpec,
    locs: Locations,
    rec: Recorded,
    action: str,
    *,
    method: str,
    expressed: str,
    changed: tuple[str, ...] | None = None,
    timeout: float | None = None,
) -> Recorded:
    from consent._store import receipts

    try:
        receipt = receipts.append(
            spec,
            locs.receipts_path,
            action=action,
            method=method,
            expressed=expressed,
            changed=changed,
            timeout=timeout,
        )
    except (OSError, ConsentError) as exc:
        problem = getattr(exc, "strerror", None) or str(exc)
        return rec.replace(receipt_problem=f"{locs.receipts_path}: {problem}")
    return rec.replace(receipt_id=receipt["receipt_id"])
