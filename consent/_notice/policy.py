"""`telemetry policy`: the organisation's policy in force on this machine, for people and scripts.

A plain function (`policy_report`) returns the text or JSON and an exit status, so that any
command-line adapter can register it in a few lines. The JSON is documented in docs/admin.md
("Verify a machine"); it reads every policy location the app reads, the OS's fixed ones first.
Exit status 1 means a policy file cannot be read exactly and locks (fail closed): a broken drop.
"""

from __future__ import annotations

from typing import Any

from consent._core.rules import Decision, PolicyReading
from consent._core.spec import AppSpec
from consent._core.value import Record
from consent._notice.status import MANAGED

POLICY_SCHEMA = 1


class Effective(Record):
    """What the policy files together say (the decision's policy part)."""

    locked_by: dict[str, str] | None  # the lock, if any: path, key, detail
    mode: str  # "off", "local", or "send" (consent as usual)
    mode_path: str
    disabled_purposes: dict[str, str]  # purpose -> the file that locks it
    endpoint: dict[str, str] | None  # url, path


def effective(decision: Decision, readings: tuple[PolicyReading, ...]) -> Effective:
    locked = next((v for v in decision.trace if v.source == "policy" and v.vote), None)
    by = decision.decided_by
    # Policies that name different endpoints lock without a file of their own (no path).
    conflict = by.source == "policy" and by.origin.get("key") == "telemetry.endpoint"
    conflict = conflict and "path" not in by.origin
    locked_by = None
    if locked is not None:
        locked_by = {"detail": locked.detail, **locked.origin}
    elif conflict:
        locked_by = {"detail": by.detail, **by.origin}
    local = next((r for r in readings if r.state == "ok" and r.local and not r.problem), None)
    mode, mode_path = "send", ""
    if locked_by is not None:
        mode, mode_path = "off", locked_by.get("path", "")
    elif local is not None:
        mode, mode_path = "local", local.path
    purposes: dict[str, str] = {}
    for r in readings:
        for name in r.locked_purposes if r.state == "ok" and not r.problem else ():
            purposes.setdefault(name, r.path)
    e = decision.endpoint
    endpoint = None
    if e is not None and e.source == "policy":
        endpoint = {"url": e.origin.get("url", ""), "path": e.origin.get("path", "")}
    return Effective(locked_by, mode, mode_path, purposes, endpoint)


def _project(decision: Decision) -> dict[str, Any] | None:
    vote = next((v for v in decision.trace if v.source == "project"), None)
    if vote is None or not vote.origin.get("path"):
        return None
    return {"path": vote.origin["path"], "disables": vote.vote == "disable", "detail": vote.detail}


def policy_json(
    spec: AppSpec,
    decision: Decision,
    readings: tuple[PolicyReading, ...],
    system: tuple[str, ...],
) -> dict[str, Any]:
    eff = effective(decision, readings)
    return {
        "schema": POLICY_SCHEMA,
        "app": spec.name,
        "managed": bool(decision.managed),
        "locked": eff.locked_by is not None,
        "locked_by": eff.locked_by,
        "mode": eff.mode,
        "mode_path": eff.mode_path or None,
        "disabled_purposes": eff.disabled_purposes,
        "endpoint": eff.endpoint,
        "files": [
            {
                "path": r.path,
                "system": r.path in system,
                "state": r.state,
                "locks": r.locks,
                "problem": r.problem or None,
                "settings": dict(r.settings),
                "target": r.target or None,
            }
            for r in readings
        ],
        "managed_settings": [
            {
                "key": m.key,
                "value": m.value,
                "path": m.path,
                "note": m.note or None,
                "target": m.target or None,
            }
            for m in decision.managed
        ],
        "project": _project(decision),
        "warnings": list(decision.warnings),
    }


def policy_lines(
    spec: AppSpec,
    decision: Decision,
    readings: tuple[PolicyReading, ...],
    system: tuple[str, ...],
) -> list[str]:
    eff = effective(decision, readings)
    lines = [
        f"Telemetry policy for {spec.display_name}: "
        + (f"{MANAGED}." if decision.managed else "not managed (no policy file sets anything)."),
        "",
        "in force:",
    ]
    if eff.locked_by is not None:
        lines.append(f"  telemetry          locked off: {eff.locked_by['detail']}")
    else:
        lines.append("  telemetry          not locked: each person's own choice applies")
    mode = {"off": "off", "local": "local: hits are kept in the local log, nothing is sent"}
    where = f" ({eff.mode_path})" if eff.mode_path else ""
    lines.append(f"  mode               {mode.get(eff.mode, 'consent as usual')}{where}")
    if eff.disabled_purposes:
        for name, path in eff.disabled_purposes.items():
            lines.append(f"  disabled purpose   {name} ({path})")
    else:
        lines.append("  disabled purposes  none")
    if eff.endpoint is not None:
        lines.append(f"  endpoint           {eff.endpoint['url']} ({eff.endpoint['path']})")
    else:
        lines.append(f"  endpoint           not managed: {spec.destination.origin}")
    lines += ["", "policy files, strongest first:"]
    for r in readings:
        kind = "system" if r.path in system else "added by XDG_CONFIG_DIRS or the OS"
        lines.append(f"  {r.path}  ({kind})")
        if r.target:
            lines.append(f"      a link to {r.target} (its way checked: only root can change it)")
        if r.state == "missing":
            lines.append("      no file")
        elif r.state == "error" or r.problem:
            lines.append(f"      ! {r.problem}: locks (fail closed)")
        elif not r.settings:
            lines.append("      sets nothing")
        for key, value in r.settings if r.state == "ok" and not r.problem else ():
            lines.append(f"      {key} = {value}")
    project = _project(decision)
    lines += ["", f"project file:        {project['detail'] if project else 'none found'}"]
    if decision.warnings:
        lines += ["", "warnings:"] + [f"  ! {w}" for w in decision.warnings]
    return lines


def policy_report(spec: AppSpec, *, as_json: bool = False, flag: bool = False) -> tuple[str, int]:
    """The `telemetry policy` command: (its output, its exit status). Exit 1 when a policy file
    cannot be read exactly (it locks, fail closed); 0 otherwise."""
    from consent._store.paths import fixed_policy_paths, locations
    from consent._store.sources import read_policies, resolve

    locs = locations(spec)
    readings = read_policies(locs, spec.purpose_names)
    decision = resolve(spec, flag=flag, locs=locs)
    system = fixed_policy_paths(spec)
    broken = any(r.state == "error" or r.problem for r in readings)
    if as_json:
        import json

        return json.dumps(policy_json(spec, decision, readings, system), indent=2), int(broken)
    return "\n".join(policy_lines(spec, decision, readings, system)), int(broken)
