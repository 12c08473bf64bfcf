"""Rendering a decision for people (`status`) and for scripts (`status --json`).

Pure: values in, text or plain dicts out. The JSON schema is documented in
docs/configuration.md and is part of the public interface.
"""

from __future__ import annotations

from typing import Any

from consent._core.rules import DROP, KEEP, SEND, DecidedBy, Decision, Verdict
from consent._core.spec import AppSpec
from consent._core.value import Record
from consent._start import FLAG
from consent._store.paths import Locations

# 2: latest_receipt; 3: purposes, local; 4: managed, endpoint, project; 5: the packager's
# defaults (packager_path, packager_defaults, app_mode; `mode` is the default in force); 6: ci;
# 7: each purpose's verdict
SCHEMA_VERSION = 7


class Extras(Record):
    """Facts beyond the decision that `status` shows."""

    app: str
    mode: str
    client_id: str  # "file" (the id file holds one) or "not-in-file"; the keyring is not read
    client_id_detail: str
    latest_receipt: str | None = None  # the id of the newest consent receipt
    receipts_problem: str = ""  # why the receipts cannot be read ("<path> is a directory")
    ci: str | None = None  # the CI variable that is set (CI, GITHUB_ACTIONS, …), if any


def ci_line(ci: str | None) -> str:
    """Why a run here never prompts: a CI variable is set (design.md §3, "Interactive")."""
    if ci is None:
        return "no CI variable is set"
    return (
        f"{ci} is set: runs here count as CI, never ask nor show the notice, and an opt-out "
        "app sends nothing until a person enables it"
    )


def status_json(decision: Decision, locs: Locations, extras: Extras) -> dict[str, Any]:
    d = decision.decided_by
    return {
        "schema": SCHEMA_VERSION,
        "app": extras.app,
        "enabled": decision.enabled,
        "decided_by": {"source": d.source, "detail": d.detail, **d.origin},
        "sources": [
            {"source": v.source, "vote": v.vote, "detail": v.detail, **v.origin}
            for v in decision.trace
        ],
        "mode": decision.mode or extras.mode,
        "app_mode": extras.mode,
        "notice_version": decision.notice_version,
        "pending": decision.pending,
        "config_path": str(locs.config_file),
        "policy_paths": [str(p) for p in locs.policy_files],
        "client_id": {
            "stored": extras.client_id,
            "keyring_checked": False,
            "detail": extras.client_id_detail,
        },
        "warnings": [*decision.warnings, *receipts_warning(extras)],
        "latest_receipt": extras.latest_receipt,
        "purposes": {
            p.purpose: {
                "verdict": p.verdict,
                "enabled": p.verdict == SEND,
                "local": p.verdict == KEEP,
                "decided_by": _by(p.decided_by),
                "pending": p.pending,
            }
            for p in decision.purposes
        },
        "local": {
            "active": decision.local_by is not None,
            "decided_by": None if decision.local_by is None else _by(decision.local_by),
        },
        "managed": [
            {
                "key": m.key,
                "value": m.value,
                "path": m.path,
                "note": m.note or None,
                "target": m.target or None,
            }
            for m in decision.managed
        ],
        "endpoint": None if decision.endpoint is None else _by(decision.endpoint),
        "project_path": project_path(decision),
        "packager_path": locs.defaults_path or None,
        "packager_defaults": [
            {"key": m.key or None, "value": m.value or None, "path": m.path, "note": m.note or None}
            for m in decision.defaults
        ],
        "ci": None if extras.ci is None else {"name": extras.ci, "detail": ci_line(extras.ci)},
    }


def project_path(decision: Decision) -> str | None:
    """The per-project file that counted in this decision, if one was found."""
    for v in decision.trace:
        if v.source == "project" and v.origin.get("path"):
            return v.origin["path"]
    return None


MANAGED = "managed by your organization"


def managed_lines(decision: Decision) -> list[str]:
    """Each setting an organisation's policy manages, with the file it came from."""
    if not decision.managed:
        return []
    lines = [f"{MANAGED}:"]
    for m in decision.managed:
        note = f" ({m.note})" if m.note else f" (a link to {m.target})" if m.target else ""
        lines.append(f"  {m.key} = {m.value}  from {m.path}{note}")
    return lines


PACKAGED = "set by the packager of this installation (defaults: your own choice overrides them)"


def packager_lines(decision: Decision) -> list[str]:
    """Each default the installation's packager set, with the file it came from."""
    if not decision.defaults:
        return []
    lines = [f"{PACKAGED}:"]
    for m in decision.defaults:
        what = f"{m.key} = {m.value}  from {m.path}" if m.key else m.path
        lines.append(f"  {what}" + (f" ({m.note})" if m.note else ""))
    return lines


def mode_text(decision: Decision, extras: Extras, locs: Locations) -> str:
    """The default in force, and who set it when it is not the app's own."""
    mode = decision.mode or extras.mode
    if mode == extras.mode:
        return mode
    return f"{mode} (packager default {locs.defaults_path}; {extras.app}'s own is {extras.mode})"


def _by(d: DecidedBy) -> dict[str, str]:
    return {"source": d.source, "detail": d.detail, **d.origin}


LOCAL_LINE = "local: nothing leaves this machine"


STATES: dict[str, str] = {SEND: "enabled", KEEP: "local", DROP: "disabled"}


def purpose_state(verdict: Verdict) -> str:
    """A verdict in the words `status` uses."""
    return STATES[verdict]


def overall(decision: Decision) -> Verdict:
    """The app's state in one word: sent if some purpose is sent, else local if some purpose is
    kept, else dropped."""
    verdicts = {decision.verdict(p.purpose) for p in decision.purposes}
    return SEND if SEND in verdicts else KEEP if KEEP in verdicts else DROP


def status_lines(decision: Decision, locs: Locations, extras: Extras) -> list[str]:
    state = purpose_state(overall(decision))
    d = decision.decided_by
    lines = [
        f"Telemetry for {extras.app} is {state}.",
        f"decided by: {d.source}: {d.detail}",
    ]
    if decision.local_by is not None:
        lines.append(f"{LOCAL_LINE} ({decision.local_by.source}: {decision.local_by.detail})")
    if decision.managed:
        lines += ["", *managed_lines(decision)]
    if decision.defaults:
        lines += ["", *packager_lines(decision)]
    if len(decision.purposes) > 1 or decision.local_by is not None:
        lines += ["", "purposes:"]
        pw = max(len(pd.purpose) for pd in decision.purposes)
        for pd in decision.purposes:
            by = pd.decided_by
            lines.append(
                f"  {pd.purpose:<{pw}}  {purpose_state(pd.verdict):<8}  {by.source}: {by.detail}"
            )
    lines += ["", "sources, strongest first:"]
    width = max(len(v.source) for v in decision.trace)
    for v in decision.trace:
        vote = v.vote or "-"
        lines.append(f"  {v.source:<{width}}  {vote:<7}  {v.detail}")
    lines += [
        "",
        f"mode:            {mode_text(decision, extras, locs)}",
        f"notice version:  {decision.notice_version}",
        f"config file:     {locs.config_file}",
    ]
    for i, p in enumerate(locs.policy_files):
        lines.append(f"{'policy file:' if i == 0 else '':<17}{p}")
    project = project_path(decision)
    if project is not None:
        lines.append(f"project file:    {project}")
    if locs.defaults_path:
        lines.append(f"packager file:   {locs.defaults_path}")
    e = decision.endpoint
    if e is not None:
        whose = {
            "policy": f"{MANAGED}, {e.origin.get('path', '')}",
            "packager": f"packager default, {e.origin.get('path', '')}",
        }.get(e.source, e.source)
        lines.append(f"endpoint:        {e.origin.get('url', '')} ({whose})")
    if extras.ci is not None:
        lines.append(f"ci:              {ci_line(extras.ci)}")
    lines.append(f"pseudonymous id: {extras.client_id_detail}")
    latest = "unknown: the file cannot be read" if extras.receipts_problem else "none"
    lines.append(f"latest receipt:  {extras.latest_receipt or latest}")
    warnings = [*decision.warnings, *receipts_warning(extras)]
    if warnings:
        lines += ["", "warnings:"] + [f"  ! {w}" for w in warnings]
    return lines


def receipts_warning(extras: Extras) -> list[str]:
    """What is wrong at the consent receipts' path, if anything: said, never fatal."""
    if not extras.receipts_problem:
        return []
    return [
        f"the consent receipts cannot be read: {extras.receipts_problem}; move it aside "
        "(the next change of consent starts a new chain)"
    ]


def sends(spec: AppSpec, decision: Decision, event: str) -> bool:
    """Would a hit of `event` be sent now? Decided by the purpose the event serves."""
    return decision.verdict(spec.event_purpose(spec.event(event))) == SEND


def why_off(spec: AppSpec, decision: Decision, purpose: str | None = None) -> str:
    """Why telemetry (or one purpose of it) is off, and what would change it, in one line."""
    d = decision.decided_by
    chosen = decision.for_purpose(purpose) if purpose is not None else None
    if chosen is not None:
        d = chosen.decided_by
    hint = {
        "policy": "managed by your organization: enable cannot override it",
        "packager": "a file of this installation that cannot be read: reinstall it, or tell "
        "whoever packaged it"
        if "fail closed" in d.detail
        else f"a default of this installation: `{spec.commands} enable` overrides it",
        "project": "this project opts out; outside it your own choice applies",
        "flag": f"{FLAG} applies to this run only",
        "env": f"unset {d.origin.get('name', 'that variable')} (or set it to 0) to let it run",
        "error": f"run `{spec.commands} status` for details",
    }.get(d.source, "")
    return f"{d.source}: {d.detail}" + (f" — {hint}" if hint else "")
