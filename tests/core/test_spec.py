"""The AppSpec: validation of the registry, and a notice version that follows it."""

from __future__ import annotations

import pytest

from consent.core.spec import Destination, Event, Field, command_event
from consent.errors import SpecError
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
    )
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
        opt_in_spec(**change(spec))  # type: ignore[operator]
