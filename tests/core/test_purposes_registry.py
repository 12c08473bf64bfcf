"""Purposes in the registry: declared, named by every event, part of the notice version; a spec
that declares none has one implicit purpose and keeps its notice version."""

from __future__ import annotations

import pytest

from consent._core.spec import IMPLICIT_PURPOSE, Event, Purpose, canonical_registry
from consent._errors import SpecError
from consent._notice.document import facts, markdown
from consent._notice.prompts import first_run_text, question_text
from lumogon import SPEC
from tests.helpers import opt_in_spec


def test_lumogon_declares_usage_and_service_health() -> None:
    assert SPEC.purpose_names == ("usage", "service-health")
    assert SPEC.event_purpose(SPEC.event("screenview")) == "usage"
    assert SPEC.event_purpose(SPEC.event("upload")) == "service-health"
    assert "cd" in SPEC.purpose_fields("usage") and "cd" not in SPEC.purpose_fields(
        "service-health"
    )


def test_an_event_naming_an_undeclared_purpose_is_a_spec_error() -> None:
    events = (SPEC.events[0], SPEC.events[1].replace(purpose="marketing"))
    with pytest.raises(SpecError, match="undeclared purpose 'marketing'"):
        SPEC.replace(events=events).check()


def test_with_purposes_declared_every_event_names_one() -> None:
    events = (SPEC.events[0], SPEC.events[1].replace(purpose=""))
    with pytest.raises(SpecError, match="event 'upload' names no purpose"):
        SPEC.replace(events=events).check()


def test_without_purposes_an_event_may_not_name_one() -> None:
    spec = opt_in_spec()
    events = tuple(e.replace(purpose="usage") for e in spec.events)
    with pytest.raises(SpecError, match="the spec declares no purposes"):
        spec.replace(events=events).check()


@pytest.mark.parametrize(
    ("purposes", "problem"),
    [
        ((Purpose("usage", "a"), Purpose("usage", "b")), "declared twice"),
        ((Purpose("Usage!", "a"),), "lower-case"),
        ((Purpose("usage", " "),), "has no description"),
    ],
)
def test_bad_purposes_are_spec_errors(purposes: tuple[Purpose, ...], problem: str) -> None:
    spec = opt_in_spec()
    events = tuple(e.replace(purpose=purposes[0].name) for e in spec.events)
    with pytest.raises(SpecError, match=problem):
        spec.replace(purposes=purposes, events=events).check()


def test_a_spec_without_purposes_has_one_implicit_purpose_and_keeps_its_version() -> None:
    spec = opt_in_spec()
    assert spec.purposes == () and spec.purpose_names == (IMPLICIT_PURPOSE,)
    assert spec.all_purposes == (Purpose(IMPLICIT_PURPOSE, spec.purpose),)
    assert all(spec.event_purpose(e) == IMPLICIT_PURPOSE for e in spec.events)
    # The canonical registry of a spec written before purposes is what it was then.
    keys = [entry[0] for entry in canonical_registry(spec)]  # type: ignore[index]
    assert "purposes" not in keys and "event_purposes" not in keys


def test_purposes_are_part_of_the_notice_version() -> None:
    described = SPEC.replace(
        purposes=(SPEC.purposes[0].replace(description="Something else."), SPEC.purposes[1])
    )
    assert described.notice_version != SPEC.notice_version
    moved = SPEC.replace(
        events=(SPEC.events[0], SPEC.events[1].replace(purpose="usage")),
    )
    assert moved.notice_version != SPEC.notice_version


def test_the_notice_groups_fields_and_events_by_purpose_and_lists_local_mode() -> None:
    data = facts(SPEC)
    assert [p["name"] for p in data["purposes"]] == ["usage", "service-health"]
    assert data["purposes"][1]["events"] == ["upload"]
    assert "cd" in data["purposes"][0]["fields"]
    assert {e["name"]: e["purpose"] for e in data["events"]} == {
        "screenview": "usage",
        "upload": "service-health",
    }
    choices = {c["choice"]: c["command"] for c in data["choices"]}
    assert choices["local"] == "lumogon telemetry local"
    assert "per purpose" in choices
    text = markdown(SPEC)
    assert "Purpose **usage**" in text and "Purpose **service-health**" in text
    assert text.index("Purpose **usage**") < text.index("- **screenview**")
    assert text.index("Purpose **service-health**") < text.index("- **upload**")
    assert "`lumogon telemetry local`" in text and 'mode = "local"' in text
    assert "disabled_purposes" in text


def test_the_question_offers_every_purpose_at_once_and_names_finer_choices() -> None:
    spec = opt_in_spec()
    purposes = (Purpose("usage", "Which commands run."), Purpose("crashes", "What fails."))
    events = tuple(
        Event(e.name, e.description, e.hit_type, e.fields, purpose="usage") for e in spec.events
    )
    spec = spec.replace(purposes=purposes, events=events)
    text = question_text(spec)
    assert "usage, crashes" in text and "[y/N]" in text
    assert "acme telemetry enable PURPOSE" in text and "disable PURPOSE" in text
    notice = first_run_text(SPEC)  # the first layer names the purposes; the full notice, how
    assert "Why: usage, service-health." in notice  # to choose each and to keep hits local
    full = markdown(SPEC)
    assert "lumogon telemetry disable PURPOSE" in full and "lumogon telemetry local" in full
