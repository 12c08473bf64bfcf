"""The AppSpec: validation of the registry, and a notice version that follows it."""

from __future__ import annotations

import pytest

from consent._core.spec import Destination, Event, Field, command_event
from consent._errors import SpecError
from lumogon import SPEC
from tests.helpers import opt_in_spec


def test_lumogon_declares_the_original_fields() -> None:
    assert SPEC.common == ("v", "tid", "cid", "an", "av", "t")
    assert SPEC.event_fields(SPEC.event("screenview")) == ("v", "tid", "cid", "an", "av", "t", "cd")
    assert SPEC.event_fields(SPEC.event("upload")) == (
        "v",
        "tid",
        "cid",
        "an",
        "av",
        "t",
        "ec",
        "ea",
        "el",
        "ev",
    )
    # Only `lumogon report` records the upload, with declared values only.
    assert SPEC.event("upload").commands == ("report",)
    assert SPEC.field("el").allowed == ("ok", "failed")
    assert SPEC.field("ev").allowed == range(0, 10_001)
    assert SPEC.field("tid").value == "UA-54263865-7"
    assert SPEC.field("an").value == "Lumogon"
    assert SPEC.mode == "opt-out"
    assert SPEC.disable_env == "LUMOGON_DISABLE_ANALYTICS"
    assert command_event(SPEC) == SPEC.event("screenview")


def test_notice_version_is_short_and_stable() -> None:
    assert len(SPEC.notice_version) == 10
    assert SPEC.notice_version == SPEC.replace().notice_version


@pytest.mark.parametrize(
    "change",
    [
        lambda s: {"fields": (*s.fields[:-1], s.fields[-1].replace(description="Changed."))},
        lambda s: {"fields": (*s.fields[:-1], s.fields[-1].replace(example="9"))},
        lambda s: {"events": (*s.events, Event("extra", "Another event.", "extra_event"))},
        lambda s: {
            "destination": s.destination.replace(base_url="https://region1.google-analytics.com")
        },
        lambda s: {"purpose": "Something else."},
    ],
    ids=["description", "example", "event", "destination", "purpose"],
)
def test_changing_the_registry_changes_the_version(change: object) -> None:
    spec = opt_in_spec()
    changed = opt_in_spec(**change(spec))  # type: ignore[operator]
    assert changed.notice_version != spec.notice_version


def test_app_version_does_not_reopen_consent() -> None:
    assert opt_in_spec(version="9.9.9").notice_version == opt_in_spec().notice_version


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: {"fields": (*s.fields, Field("extra", "", "x", "runtime"))}, "no description"),
        (
            lambda s: {"fields": (*s.fields, Field("extra", "An extra.", " ", "runtime"))},
            "no example",
        ),
        (lambda s: {"fields": (*s.fields, s.fields[0])}, "declared twice"),
        (lambda s: {"events": (Event("x", "X.", "x_run", ("nope",)),)}, "undeclared field"),
        (lambda s: {"common": (*s.common, "nope")}, "common field"),
        (lambda s: {"env_prefix": "acme"}, "env_prefix"),
        (lambda s: {"name": "Acme App"}, "name"),
        (lambda s: {"mode": "maybe"}, "mode"),
        (
            lambda s: {"fields": (*s.fields, Field("ga_x", "Reserved prefix.", "1", "runtime"))},
            "valid ga4",
        ),
        (lambda s: {"events": (Event("x", "X.", "1bad"),)}, "valid GA4 name"),
        (lambda s: {"destination": Destination("ga4", "G-1")}, "api_secret"),
        (lambda s: {"events": ()}, "no events"),
    ],
)
def test_invalid_registry_is_refused(change: object, message: str) -> None:
    spec = opt_in_spec()
    with pytest.raises(SpecError, match=message):
        opt_in_spec(**change(spec)).check()  # type: ignore[operator]


@pytest.mark.parametrize(
    "entry", ["controller", "contact", "legal_basis", "retention", "recipients", "notice_date"]
)
def test_a_missing_notice_entry_is_a_spec_error(entry: str) -> None:
    with pytest.raises(SpecError, match=f"{entry} is required"):
        opt_in_spec(**{entry: ""}).check()
    with pytest.raises(SpecError, match=f"{entry} is required"):
        opt_in_spec(**{entry: "   "}).check()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"contact": "ask around"}, "email address or a URL"),
        ({"retention": "as long as needed"}, "concrete period"),
        ({"retention": "forever and a day"}, "concrete period"),
        ({"notice_date": "1 December 2026"}, "YYYY-MM-DD"),
        ({"notice_date": "2026-13-01"}, "YYYY-MM-DD"),
        ({"destination": Destination("ga4", "G-1", api_secret="s", region="us")}, "region"),
        ({"destination": Destination("legacy", "UA-1-1", region="eu")}, "GA4 destinations only"),
        (
            {
                "destination": Destination(
                    "ga4", "G-1", base_url="https://x.example", api_secret="s", region="eu"
                )
            },
            "do not also set base_url",
        ),
    ],
)
def test_notice_entries_must_say_something_concrete(
    changes: dict[str, object], message: str
) -> None:
    with pytest.raises(SpecError, match=message):
        opt_in_spec(**changes).check()


@pytest.mark.parametrize(
    "change",
    [
        {"notice_date": "2027-01-15"},
        {"controller": "Someone else"},
        {"contact": "other@acme.example"},
        {"legal_basis": "Legitimate interests (Art. 6(1)(f))."},
        {"recipients": "Another processor"},
        {"retention": "2 months"},
        {"homepage": "https://acme.example"},
        {"destination": Destination("ga4", "G-TEST000000", api_secret="testsecret", region="eu")},
    ],
)
def test_the_notice_version_covers_date_and_responsible_party(change: dict[str, object]) -> None:
    assert opt_in_spec(**change).notice_version != opt_in_spec().notice_version


def test_lumogon_says_where_the_original_is_silent() -> None:
    assert SPEC.controller == "The Lumogon team at Puppet, Inc."
    for entry in (SPEC.contact, SPEC.legal_basis, SPEC.retention):
        assert entry.startswith("Not stated by the original analytics page")
    assert "HTTPS" in SPEC.recipients and "Google" in SPEC.recipients
