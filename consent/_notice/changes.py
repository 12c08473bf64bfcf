"""What changed since the notice a person last saw or decided on: fields and events added, removed.

Pure: the spec and the consent record in, text out. The config keeps what that notice covered
(`notice_fields`, `notice_events`, written with every choice), so a re-shown notice (opt-out) or a
re-asked question (opt-in) can say what is new and what is gone.
"""

from __future__ import annotations

from consent._core.records import ConsentRecord
from consent._core.spec import AppSpec
from consent._core.value import Record
from consent._notice.prompts import WIDTH, wrap


class Changes(Record):
    """The difference between the notice last seen (`since`) and the current one."""

    since: str  # the notice version last seen or decided on
    covered_known: bool  # whether the config recorded what that version covered
    fields_added: tuple[str, ...] = ()
    fields_removed: tuple[str, ...] = ()
    events_added: tuple[str, ...] = ()
    events_removed: tuple[str, ...] = ()


def _names(text: str | None) -> tuple[str, ...]:
    return tuple(text.split()) if text else ()


def changes(spec: AppSpec, record: ConsentRecord) -> Changes | None:
    """What changed since the last notice seen or decided on; None for a first notice."""
    # The lists belong to whichever was recorded last: the notice shown, or the decision.
    seen = [
        (at or "", version)
        for at, version in (
            (record.notice_shown_at, record.notice_shown_version),
            (record.decided_at, record.notice_version),
        )
        if version is not None
    ]
    since = max(seen)[1] if seen else None
    if since is None or since == spec.notice_version:
        return None
    if record.notice_fields is None and record.notice_events is None:
        return Changes(since, covered_known=False)
    old_fields, old_events = _names(record.notice_fields), _names(record.notice_events)
    new_fields = tuple(f.wire for f in spec.fields)
    new_events = tuple(e.name for e in spec.events)
    return Changes(
        since,
        True,
        tuple(w for w in new_fields if w not in old_fields),
        tuple(w for w in old_fields if w not in new_fields),
        tuple(e for e in new_events if e not in old_events),
        tuple(e for e in old_events if e not in new_events),
    )


def changes_text(spec: AppSpec, record: ConsentRecord, width: int = WIDTH) -> str:
    """The lines shown before a re-shown notice or a re-asked question ("" for a first one):
    compact, like the notice they come before (consent/_notice/prompts.py)."""
    c = changes(spec, record)
    if c is None:
        return ""
    head = (
        f"The {spec.display_name} telemetry notice changed since the version you last saw "
        f"({c.since} -> {spec.notice_version})"
    )
    if not c.covered_known:
        text = f"{head}; what that version covered was not recorded."
    else:
        rows = [
            ("fields added", c.fields_added),
            ("fields removed", c.fields_removed),
            ("events added", c.events_added),
            ("events removed", c.events_removed),
        ]
        listed = "; ".join(f"{label}: {', '.join(names)}" for label, names in rows if names)
        text = (
            f"{head}: {listed}."
            if listed
            else f"{head}: no field or event was added or removed; its wording, destination, "
            "responsible party or date changed."
        )
    return "\n".join(wrap(text, width)) + "\n"
