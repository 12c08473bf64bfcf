"""The notice version hashes exactly what docs/integrate.md says, and switching an app between
opt-out and opt-in (which keeps the version) never sends before the person's yes."""

from __future__ import annotations

import pytest

from consent._core.spec import Destination, Field, Purpose
from consent._core.words import ANSWER, SHOWN, Speech
from consent._store.choices import speak
from consent._store.sources import resolve
from lumogon import SPEC
from tests.helpers import Iso

FIELD = SPEC.fields[3]  # `an`, a constant: "Lumogon"
EVENT = SPEC.events[0]

# Each entry docs/integrate.md says the version hashes, changed.
HASHED = {
    "field wire": lambda s: s.replace(
        fields=(*s.fields, Field("zz", "New.", "1", "constant", "1"))
    ),
    "field description": lambda s: s.replace(
        fields=tuple(f.replace(description="Other.") if f == FIELD else f for f in s.fields)
    ),
    "field example": lambda s: s.replace(
        fields=tuple(f.replace(example="Other") if f == FIELD else f for f in s.fields)
    ),
    "field value": lambda s: s.replace(
        fields=tuple(
            f.replace(value="Other", example="Other") if f == FIELD else f for f in s.fields
        )
    ),
    "field obtained": lambda s: s.replace(
        fields=tuple(f.replace(obtained="From a file.") if f == FIELD else f for f in s.fields)
    ),
    "display_name (in how a value is obtained)": lambda s: s.replace(display_name="Lumogon 2"),
    "common": lambda s: s.replace(common=(*s.common, "cd")),
    "event description": lambda s: s.replace(
        events=tuple(e.replace(description="Other.") if e == EVENT else e for e in s.events)
    ),
    "event commands": lambda s: s.replace(
        events=tuple(e.replace(commands=("scan",)) if e == EVENT else e for e in s.events)
    ),
    "destination base URL": lambda s: s.replace(
        destination=Destination("legacy", "UA-54263865-7", base_url="https://other.example")
    ),
    "destination tracking id": lambda s: s.replace(
        destination=Destination("legacy", "UA-1-1"),
        fields=tuple(
            f.replace(value="UA-1-1", example="UA-1-1") if f.wire == "tid" else f for f in s.fields
        ),
    ),
    "purpose": lambda s: s.replace(purpose="Other reasons."),
    "access": lambda s: s.replace(access="Someone else."),
    "retention": lambda s: s.replace(retention="1 day"),
    "controller": lambda s: s.replace(controller="Someone else"),
    "contact": lambda s: s.replace(contact="other@example.com"),
    "legal_basis": lambda s: s.replace(legal_basis="Another basis."),
    "recipients": lambda s: s.replace(recipients="Someone else."),
    "notice_date": lambda s: s.replace(notice_date="2027-01-01"),
    "homepage": lambda s: s.replace(homepage="https://other.example"),
    "a purpose's description": lambda s: s.replace(
        purposes=(Purpose("usage", "Other."), *s.purposes[1:])
    ),
    "the purpose an event serves": lambda s: s.replace(
        events=(EVENT.replace(purpose="service-health"), *s.events[1:])
    ),
}
# And each entry it says the version does not hash.
NOT_HASHED = {
    "name": lambda s: s.replace(name="lumogon2"),
    "version": lambda s: s.replace(version="9.9.9"),
    "env_prefix": lambda s: s.replace(env_prefix="LUMO"),
    "mode": lambda s: s.replace(mode="opt-in"),
    "group": lambda s: s.replace(group="privacy"),
    "bundle_id": lambda s: s.replace(bundle_id="com.example.lumogon"),
    "system_root": lambda s: s.replace(system_root="/tmp/elsewhere"),
}


@pytest.mark.parametrize("change", sorted(HASHED))
def test_each_entry_the_guide_names_changes_the_version(change: str) -> None:
    assert HASHED[change](SPEC).notice_version != SPEC.notice_version


@pytest.mark.parametrize("change", sorted(NOT_HASHED))
def test_each_entry_the_guide_leaves_out_keeps_the_version(change: str) -> None:
    assert NOT_HASHED[change](SPEC).notice_version == SPEC.notice_version


def test_a_ga4_api_secret_is_not_hashed_but_its_region_is() -> None:
    from tests.apps.acme import SPEC as ACME

    def to(**kwargs: str) -> int:
        return hash(ACME.replace(destination=Destination("ga4", "G-1", **kwargs)).notice_version)

    assert to(api_secret="a") == to(api_secret="b")
    assert to(api_secret="a", region="eu") != to(api_secret="a")


OPT_IN = SPEC.replace(mode="opt-in")


def verdicts(spec: object) -> set[str]:
    decision = resolve(spec, environ={})  # type: ignore[arg-type]
    return {decision.verdict(p) for p in SPEC.purpose_names}


def test_a_notice_shown_under_opt_out_is_no_yes_under_opt_in(iso: Iso) -> None:
    speak(SPEC, iso.locs, Speech(SHOWN, method="first-run notice"))
    assert verdicts(SPEC) == {"send"}
    # The next release asks instead: nothing is sent before the answer.
    decision = resolve(OPT_IN, environ={})
    assert {decision.verdict(p) for p in SPEC.purpose_names} == {"drop"}
    assert decision.pending == "question"
    speak(OPT_IN, iso.locs, Speech(ANSWER, yes=True, method="prompt"))
    assert verdicts(OPT_IN) == {"send"}


def test_an_opt_in_app_turned_opt_out_sends_only_once_its_notice_was_shown(iso: Iso) -> None:
    decision = resolve(OPT_IN, environ={})
    assert decision.pending == "question" and verdicts(OPT_IN) == {"drop"}
    decision = resolve(SPEC, environ={})  # the next release is opt-out
    assert decision.pending == "notice" and verdicts(SPEC) == {"drop"}
    speak(SPEC, iso.locs, Speech(SHOWN, method="first-run notice"))
    assert verdicts(SPEC) == {"send"}


def test_a_no_given_under_one_mode_holds_under_the_other(iso: Iso) -> None:
    speak(OPT_IN, iso.locs, Speech(ANSWER, yes=False, method="prompt"))
    speak(SPEC, iso.locs, Speech(SHOWN, method="first-run notice"))
    assert verdicts(SPEC) == {"drop"} and verdicts(OPT_IN) == {"drop"}
