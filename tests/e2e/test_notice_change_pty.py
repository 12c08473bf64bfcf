"""A new notice version in a real terminal: the re-shown notice (opt-out) and the re-asked
question (opt-in) list the fields and events added and removed since the version last seen."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from consent._store import receipts
from consent._store.sources import read_config
from tests.apps import acme
from tests.helpers import Iso, run_in_pty

ACME = [sys.executable, str(Path(__file__).resolve().parents[1] / "apps" / "acme.py")]
CHANGED = {"ACME_REGISTRY_EXTRA": "duration_bucket", "ACME_DROP_DEPLOYED": "1"}


def acme_receipts(iso: Iso) -> list[dict[str, object]]:
    return receipts.records(iso.home.locations(acme.SPEC).receipts_path)


@pytest.mark.slow
def test_opt_in_asks_again_with_what_changed(iso: Iso) -> None:
    first = run_in_pty([*ACME, "build"], iso.env, answer="y")
    assert "[y/N]" in first.terminal and "changed since" not in first.terminal
    stored = read_config(iso.home.locations(acme.SPEC)).record
    assert stored.notice_fields is not None and "outcome" in stored.notice_fields.split()
    assert stored.notice_events == "command deployed"

    again = run_in_pty([*ACME, "build"], {**iso.env, **CHANGED}, answer="n")
    screen = " ".join(again.terminal.split())  # as read: lines wrap at the terminal's width
    assert "notice changed since the version you last saw" in screen
    assert "fields added: duration_bucket; events removed: deployed." in screen
    assert "fields removed" not in screen and "events added" not in screen
    # the list comes before the question it explains
    assert screen.index("events removed") < screen.index("[y/N]")
    assert [r["action"] for r in acme_receipts(iso)] == ["given", "refused"]


@pytest.mark.slow
def test_opt_out_shows_the_notice_again_with_what_changed(iso: Iso) -> None:
    env = {**iso.env, "ACME_MODE": "opt-out"}
    first = run_in_pty([*ACME, "build"], env)
    assert "sends pseudonymous usage data" in first.terminal
    assert "changed since" not in first.terminal

    changed = {**env, "ACME_REGISTRY_EXTRA": "duration_bucket"}
    again = run_in_pty([*ACME, "build"], changed)
    screen = " ".join(again.terminal.split())  # as read: lines wrap at the terminal's width
    assert "notice changed since the version you last saw" in screen
    assert "fields added: duration_bucket." in screen
    assert "removed" not in screen
    assert "sends pseudonymous usage data" in screen

    # A date-only change says so, rather than listing nothing.
    dated = run_in_pty([*ACME, "build"], {**changed, "ACME_NOTICE_DATE": "2027-01-01"})
    assert "no field or event was added or removed" in " ".join(dated.terminal.split())
    assert [r["action"] for r in acme_receipts(iso)] == ["notified"] * 3
