"""What an OTLP spec must declare, checked when it is built (consent/_core/otlp.py), and a notice
version that follows what is sent, without moving for the Google destinations."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent._core.endpoint import parse_endpoint
from consent._core.otlp import is_attribute_key, plainly_https, value_type
from consent._core.spec import AppSpec, Destination, Event, Field
from consent._errors import SpecError
from lumogon import SPEC as LUMOGON

ENDPOINT = "https://otel.example.com/v1/logs"
FIELDS = (
    Field("app.id", "Pseudonymous id.", "6f1c…", "client_id"),
    Field("event.name", "Which event.", "app.ran", "hit_type"),
    Field("app.count", "How many.", "3", "runtime", allowed=range(0, 10)),
)


def otlp_spec(**changes: Any) -> AppSpec:
    values: dict[str, Any] = {
        "name": "app",
        "display_name": "App",
        "version": "1.0.0",
        "env_prefix": "APP",
        "mode": "opt-in",
        "destination": Destination("otlp", endpoint=ENDPOINT),
        "fields": FIELDS,
        "common": ("app.id", "event.name"),
        "events": (Event("ran", "It ran.", "app.ran", ("app.count",)),),
        "purpose": "Learn.",
        "access": "The team.",
        "controller": "Example Ltd",
        "contact": "privacy@example.com",
        "legal_basis": "Consent.",
        "retention": "30 days",
        "recipients": "Example Ltd's own collector",
        "notice_date": "2026-12-01",
    }
    values.update(changes)
    return AppSpec(**values)


def test_a_valid_otlp_spec_builds() -> None:
    spec = otlp_spec()
    assert (spec.destination.origin, spec.destination.path) == (
        "https://otel.example.com",
        "/v1/logs",
    )
    behind = otlp_spec(
        destination=Destination("otlp", endpoint="https://gw.example.com/otlp/v1/logs/")
    )
    assert behind.destination.origin == "https://gw.example.com/otlp"
    loopback = otlp_spec(destination=Destination("otlp", endpoint="http://127.0.0.1:4318/v1/logs"))
    assert loopback.destination.origin == "http://127.0.0.1:4318"


@pytest.mark.parametrize(
    ("destination", "message"),
    [
        (Destination("otlp"), "needs its endpoint"),
        (Destination("otlp", endpoint="https://otel.example.com/logs"), "must end with /v1/logs"),
        (Destination("otlp", endpoint="http://otel.example.com/v1/logs"), "only https://"),
        (Destination("otlp", endpoint="https://otel.example.com/v1/logs?k=1"), "must end with"),
        (Destination("otlp", "G-X", endpoint=ENDPOINT), "endpoint= and headers= only"),
        (Destination("otlp", endpoint=ENDPOINT, region="eu"), "region applies to GA4"),
        (
            Destination("otlp", endpoint=ENDPOINT, headers={"Content-Type": "x"}),
            "written by the sender",
        ),
        (Destination("otlp", endpoint=ENDPOINT, headers={"X-Key": "a\r\nb"}), "printable ASCII"),
        (Destination("otlp", endpoint=ENDPOINT, headers={"X Key": "v"}), "letters, digits"),
        (Destination("otlp", endpoint=ENDPOINT, headers={"X-K": "a", "x-k": "b"}), "given twice"),
        (Destination("ga4", "G-X", api_secret="s", headers={"X-K": "v"}), "OTLP destinations only"),
    ],
)
def test_what_the_destination_must_say(destination: Destination, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        otlp_spec(destination=destination).check()


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ((*FIELDS, Field("host.name", "Host.", "h", "constant", "h")), "not a valid otlp name"),
        ((*FIELDS, Field("service.name", "S.", "s", "constant", "s")), "not a valid otlp name"),
        ((*FIELDS, Field("user.id", "U.", "u", "constant", "u")), "not a valid otlp name"),
        ((*FIELDS, Field("1app", "N.", "n", "constant", "n")), "not a valid otlp name"),
        (
            (*FIELDS, Field("app.big", "B.", "0", "runtime", allowed=range(0, 2**64))),
            "64-bit",
        ),
    ],
)
def test_what_the_fields_must_be(fields: tuple[Field, ...], message: str) -> None:
    with pytest.raises(SpecError, match=message):
        otlp_spec(fields=fields).check()


def test_an_event_name_is_an_otlp_event_name() -> None:
    with pytest.raises(SpecError, match="not a valid OTLP event name"):
        otlp_spec(events=(Event("ran", "It ran.", "app ran", ("app.count",)),)).check()


def test_attribute_keys() -> None:
    assert is_attribute_key("acme.deploy.outcome") and is_attribute_key("a_b-c")
    for bad in ("", ".a", "a.", "a..b", "telemetry.sdk.name", "client.address", "a b", "é"):
        assert not is_attribute_key(bad), bad


def kind_of(f: Field) -> str:
    return value_type(f.kind, f.allowed, f.value)


def test_values_are_typed_by_their_declaration() -> None:
    assert kind_of(Field("a", "d", "1", "runtime", allowed=range(0, 5))) == "int"
    assert kind_of(Field("a", "d", "true", "runtime", allowed=("false", "true"))) == "bool"
    assert kind_of(Field("a", "d", "ok", "runtime", allowed=("ok", "true"))) == "string"
    assert kind_of(Field("a", "d", "7", "constant", "7")) == "int"
    assert kind_of(Field("a", "d", "07", "constant", "07")) == "string"
    assert kind_of(Field("a", "d", "1" * 20, "constant", "1" * 20)) == "string"
    assert kind_of(Field("a", "d", "false", "constant", "false")) == "bool"
    assert kind_of(Field("a", "d", "x", "command")) == "string"


def test_headers_are_taken_as_a_dict_and_their_names_enter_the_notice_version() -> None:
    plain = otlp_spec()
    keyed = otlp_spec(destination=Destination("otlp", endpoint=ENDPOINT, headers={"X-Key": "a"}))
    rekeyed = otlp_spec(destination=Destination("otlp", endpoint=ENDPOINT, headers={"X-Key": "b"}))
    assert keyed.destination.headers == (("X-Key", "a"),)
    assert plain.notice_version != keyed.notice_version  # another header is sent
    assert keyed.notice_version == rekeyed.notice_version  # a new key changes nothing collected


def test_the_google_destinations_keep_their_notice_version() -> None:
    """Pinned: an OTLP destination adds to the canonical form only for itself."""
    assert LUMOGON.notice_version == "c5a3dd09cc"
    assert len(LUMOGON.destination.astuple()) == 7


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.from_regex(
            r"https://[a-z0-9.\-]{1,20}(:[0-9]{1,6})?(/[A-Za-z0-9\-._~/]{0,20})?", fullmatch=True
        ),
        st.text(max_size=40).map(lambda t: "https://" + t),
    )
)
def test_the_quick_endpoint_check_accepts_only_what_parse_endpoint_accepts(url: str) -> None:
    """An app's own endpoint is checked on every run without loading the endpoint rules when it
    is plainly valid; plainly valid must mean valid."""
    if plainly_https(url):
        parsed = parse_endpoint(url)
        assert (
            parsed.scheme == "https" and parsed.host == url[8:].partition("/")[0].partition(":")[0]
        )
