"""Recording what a person chose: enable, disable, and "this notice was shown".

Each choice is stored with the notice version it covers, when, and how it was
made, so `status` can explain it later.
"""

from __future__ import annotations

from consent.core.rules import PolicyReading
from consent.core.spec import AppSpec
from consent.core.value import Record
from consent.errors import PolicyLockedError
from consent.store.clock import utc_stamp
from consent.store.configwrite import WriteResult, update_telemetry
from consent.store.paths import Locations
from consent.store.sources import read_policies


class Recorded(Record):
    write: WriteResult
    notice_version: str
    at: str


def policy_lock(locs: Locations) -> PolicyReading | None:
    """The first admin policy file that locks telemetry off (unreadable ones included)."""
    for reading in read_policies(locs):
        if reading.locks or reading.state == "error":
            return reading
    return None


def record_choice(
    spec: AppSpec, locs: Locations, *, enabled: bool, via: str, timeout: float | None = None
) -> Recorded:
    """Store an explicit enable or disable. Enabling under an admin lock is refused.

    `timeout` bounds the wait for the config's lock (a host command's run passes milliseconds).
    """
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
        {"enabled": enabled, "notice_version": version, "decided_at": at, "decided_via": via},
        timeout=timeout,
    )
    return Recorded(write, version, at)


def record_notice_shown(
    spec: AppSpec, locs: Locations, *, timeout: float | None = None
) -> Recorded:
    at = utc_stamp()
    version = spec.notice_version
    write = update_telemetry(
        locs.config_file,
        {"notice_shown_version": version, "notice_shown_at": at},
        timeout=timeout,
    )
    return Recorded(write, version, at)
