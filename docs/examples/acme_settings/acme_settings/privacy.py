"""The Privacy page of Acme Draw's settings dialog: a box per purpose and a button that turns
everything off.

Toolkit-neutral: a Qt, Tk or notebook-widget dialog draws `page()` and calls `tick` or
`withdraw` from its callbacks (__main__.py draws it as text). Each click is recorded as the
`telemetry enable` and `disable` commands of a command-line app record it: the same config
file, the same consent receipt (its method: "settings dialog"), the id deleted on withdrawal.
"""

from __future__ import annotations

from typing import NamedTuple

import consent

from acme_settings.telemetry import SPEC

VIA = "settings dialog"  # how the receipts say the person answered


class Box(NamedTuple):
    purpose: str
    label: str
    checked: bool  # the purpose's events may be sent
    note: str  # what decides instead of the person, e.g. an admin policy ("" when they do)


class Page(NamedTuple):
    boxes: tuple[Box, ...]
    message: str = ""  # why the last click could not be recorded


def page(decision: consent.Decision | None = None, message: str = "") -> Page:
    """The page for `decision`, or for what every source says now."""
    decision = consent.decide(SPEC) if decision is None else decision
    boxes = []
    for purpose in SPEC.purposes:
        part = decision.for_purpose(purpose.name)
        assert part is not None  # a decision has a part for every declared purpose
        source = part.decided_by.source
        note = "" if source in ("config", "default") else part.decided_by.detail
        boxes.append(Box(purpose.name, purpose.description, part.enabled, note))
    return Page(tuple(boxes), message)


def tick(purpose: str, checked: bool) -> Page:
    """The person ticked (or unticked) the box of `purpose`."""
    try:
        if checked:
            decision = consent.enable(SPEC, purpose, via=VIA)
        else:
            decision = consent.disable(SPEC, purpose, via=VIA)
    except consent.ConsentError as error:  # an admin policy lock, a config it cannot write
        return page(message=str(error))
    return page(decision)


def withdraw() -> Page:
    """The person pressed "Send nothing": every purpose off, the pseudonymous id deleted."""
    try:
        return page(consent.disable(SPEC, via=VIA))
    except consent.ConsentError as error:
        return page(message=str(error))
