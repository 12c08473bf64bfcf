"""Recording what a person chose: enable, disable, and "this notice was shown".

Each choice is stored with the notice version it covers, when, and how it was
made, so `status` can explain it later.
"""

from __future__ import annotations

from consent.core.rules import PolicyReading
from consent.core.spec import AppSpec
from consent.core.value import Record
from consent.errors import ConsentError, PolicyLockedError
from consent.store.clock import utc_stamp
from consent.store.configwrite import WriteResult, update_telemetry
from consent.store.paths import Locations
from consent.store.sources import read_policies


class Recorded(Record):
    write: WriteResult
    notice_version: str
    at: str
    receipt_id: str | None = None  # the consent receipt appended for this change
    receipt_problem: str = ""  # why no receipt could be written (the change itself stands)


def policy_lock(locs: Locations) -> PolicyReading | None:
    """The first admin policy file that locks telemetry off (unreadable ones included)."""
    for reading in read_policies(locs):
        if reading.locks or reading.state == "error":
            return reading
    return None


def record_choice(spec: AppSpec, locs: Locations, *, enabled: bool, via: str) -> Recorded:
    """Store an explicit enable or disable, and append its consent receipt. Enabling under an
    admin lock is refused. `via` says how it was expressed: "command: <app> telemetry enable",
    "prompt", …"""
    if enabled:
        lock = policy_lock(locs)
        if lock is not None:
            why = f" ({lock.problem}, so it counts as a lock)" if lock.problem else ""
            raise PolicyLockedError(
                f"telemetry is locked off by the administrator's policy file {lock.path}{why}",
                path=lock.path,
                hint="nothing was recorded. Ask whoever manages this machine if it should change.",
            )
    at = utc_stamp()
    version = spec.notice_version
    write = update_telemetry(
        locs.config_file,
        {
            "enabled": enabled,
            "notice_version": version,
            "decided_at": at,
            "decided_via": via,
            **covered(spec),
        },
    )
    method, _, expressed = via.partition(": ")
    if method == "prompt":
        action, expressed = ("given" if enabled else "refused"), "the first-run question"
    else:
        action = "given" if enabled else "withdrawn"
    return _with_receipt(
        spec, locs, Recorded(write, version, at), action, method=method, expressed=expressed or via
    )


def record_notice_shown(spec: AppSpec, locs: Locations) -> Recorded:
    at = utc_stamp()
    version = spec.notice_version
    write = update_telemetry(
        locs.config_file,
        {"notice_shown_version": version, "notice_shown_at": at, **covered(spec)},
    )
    return _with_receipt(
        spec,
        locs,
        Recorded(write, version, at),
        "notified",
        method="first-run notice",
        expressed="the first-run notice, shown on the terminal",
    )


def covered(spec: AppSpec) -> dict[str, str]:
    """What the current notice covers, stored with every choice so that a later notice can say
    what was added or removed since (names, space-separated)."""
    return {
        "notice_fields": " ".join(f.wire for f in spec.fields),
        "notice_events": " ".join(e.name for e in spec.events),
    }


def _with_receipt(
    spec: AppSpec, locs: Locations, rec: Recorded, action: str, *, method: str, expressed: str
) -> Recorded:
    from consent.store import receipts

    try:
        receipt = receipts.append(
            spec, locs.receipts_path, action=action, method=method, expressed=expressed
        )
    except (OSError, ConsentError) as exc:
        problem = getattr(exc, "strerror", None) or str(exc)
        return rec.replace(receipt_problem=f"{locs.receipts_path}: {problem}")
    return rec.replace(receipt_id=receipt["receipt_id"])
