"""`expect_refusal`: a test that checks a value is refused says so, and fails if it is not.

Strict mode (the `consent_strict` fixture, consent/testing/plugin.py) fails a test on any refused
event. A test whose point is a refusal wraps the code that should cause it::

    with expect_refusal(event="deployed", field="outcome"):
        record_event(SPEC, "deployed", {"outcome": "maybe", "dry_run": False})

The block passes when the registry refused that event (and field) inside it, in this process
(`record_event` raises HitError there, which the block takes) or in a subprocess started with
the strict variable (`refused.env(...)` gives it). The refusals it expected are taken out of
strict mode's record, so they do not fail the test at its end; any other refusal still does.
Without strict mode in force, the block turns it on for its own duration.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from consent._errors import HitError
from consent._start import STRICT_ENV

__all__ = ["Refused", "expect_refusal"]


class Refused:
    """What an `expect_refusal` block saw: `matched`, the refusals it expected (dicts with `app`,
    `event`, `field` and `reason`), filled in when the block ends."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self.matched: list[dict[str, str]] = []

    def env(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """`base` (default: os.environ) plus the variable that makes a subprocess record its
        refusals where this block reads them."""
        return {**(os.environ if base is None else base), STRICT_ENV: str(self.log)}


def _lines(log: Path) -> list[str]:
    try:
        return log.read_text("utf-8").splitlines()
    except FileNotFoundError:
        return []


@contextmanager
def expect_refusal(
    *,
    event: str,
    field: str | None = None,
    reason: str | None = None,
    app: str | None = None,
) -> Iterator[Refused]:
    """Fail unless the registry refuses `event` inside the block (and, when given, names `field`,
    has a reason matching the regular expression `reason`, comes from `app`)."""
    own = not os.environ.get(STRICT_ENV)
    if own:
        fd, name = tempfile.mkstemp(prefix="consent-refusals-", suffix=".jsonl")
        os.close(fd)
        os.environ[STRICT_ENV] = name
    log = Path(os.environ[STRICT_ENV])
    before = len(_lines(log))
    refused = Refused(log)

    def wanted(r: Mapping[str, object]) -> bool:
        return (
            r.get("event") == event
            and (field is None or r.get("field") == field)
            and (app is None or r.get("app") == app)
            and (reason is None or re.search(reason, str(r.get("reason", ""))) is not None)
        )

    caught: list[dict[str, str]] = []
    try:
        try:
            yield refused
        except HitError as exc:
            # In this process strict mode raises at the refusing call (and records it, judged
            # below). Any other refusal goes on up.
            raised = {"event": exc.event or "", "field": exc.field or "", "reason": str(exc)}
            if not wanted(raised):
                raise
            caught.append(raised)
        lines = _lines(log)
        new = [json.loads(line) for line in lines[before:] if line]
        refused.matched = [r for r in new if wanted(r)] or caught
        if not refused.matched:
            expected = f"event {event!r}" + (f", field {field!r}" if field else "")
            seen = "; ".join(
                f"{r.get('event')!r}/{r.get('field')!r}: {r.get('reason')}" for r in new
            )
            raise AssertionError(
                f"expected the registry to refuse {expected}, but "
                + (f"it refused only: {seen}" if seen else "nothing was refused")
            )
        if not own:  # strict mode's own record: what was expected must not fail the test
            kept = lines[:before] + [
                line for line in lines[before:] if line and not wanted(json.loads(line))
            ]
            log.write_text("".join(line + "\n" for line in kept), "utf-8")
    finally:
        if own:
            os.environ.pop(STRICT_ENV, None)
            log.unlink(missing_ok=True)
