"""What an OTLP spec must declare, checked when it is built (consent/_core/otlp.py), and a notice
version that follows what is sent, without moving for the Google destinations."""

from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent._core.endpoint import parse_endpoint
from consent._core.otlp import (
    attribute_value,
    endpoint_problems,
    header_problems,
    is_attribute_key,
    is_event_name,
    plainly_https,
    split_endpoint,
    value_type,
)
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


# --- each rule, at its edges (consent/_core/otlp.py) ----------------------------------------------

# The namespaces a declared field may not use: what the notice says is never sent.
RESERVED = (
    "service.", "telemetry.", "host.", "os.", "user.", "enduser.", "client.", "source.",
    "network.", "net.", "device.", "process.", "container.", "geo.",
)  # fmt: skip
# Headers a destination may not set: written by the sender, or changing how a body is carried.
RESERVED_HEADERS = (
    "Host", "User-Agent", "Content-Type", "Content-Length", "Connection", "Transfer-Encoding",
    "Content-Encoding", "TE", "Trailer", "Upgrade", "Expect", "Keep-Alive",
    "Proxy-Authorization", "Proxy-Connection",
)  # fmt: skip


def test_names_keys_and_event_names_at_their_edges() -> None:
    for prefix in RESERVED:
        for key in (prefix + "x", prefix.upper() + "x"):
            assert not is_attribute_key(key), key
        assert is_attribute_key("app." + prefix + "x")  # a reserved word further in is fine
        assert is_event_name(prefix + "x")  # an event's name is no attribute
    for good in ("a", "A", "a" * 128, "a1", "a_b", "a-b", "a.b", "Z9"):
        assert is_attribute_key(good) and is_event_name(good), good
    for bad in ("", "a" * 129, "1a", "_a", "-a", ".a", "a..b", "a.", "a b", "a/b", "é"):
        assert not is_attribute_key(bad) and not is_event_name(bad), bad


def test_values_are_typed_at_their_edges() -> None:
    top, bottom = 2**63 - 1, -(2**63)
    assert value_type("constant", None, top) == value_type("constant", None, bottom) == "int"
    assert value_type("constant", None, top + 1) == value_type("constant", None, bottom - 1)
    assert value_type("constant", None, top + 1) == "string"
    assert value_type("constant", None, str(top)) == value_type("constant", None, str(bottom))
    assert value_type("constant", None, str(bottom)) == "int"
    for text in (str(top + 1), str(bottom - 1), "1" * 20, "-", "", "-01", "00", "+1", "1.0"):
        assert value_type("constant", None, text) == "string", text
    for text in ("0", "-0", "1" * 19, "-" + "1" * 19, "10"):
        assert value_type("constant", None, text) == "int", text
    assert value_type("constant", None, True) == "string"  # a bool is no integer here
    assert value_type("constant", None, "true") == value_type("constant", None, "false")
    assert value_type("constant", None, "false") == "bool"
    assert value_type("constant", None, "True") == "string"
    assert value_type("runtime", ("true", "false"), None) == "bool"
    assert value_type("runtime", frozenset({"false", "true"}), None) == "bool"
    assert value_type("runtime", ("true",), None) == "string"
    assert value_type("runtime", ("true", "false", "x"), None) == "string"
    assert value_type("runtime", None, None) == "string"
    assert value_type("command", ("false", "true"), None) == "string"
    assert value_type("runtime", range(0, 2), None) == value_type("command", range(0, 1), None)
    assert value_type("command", range(0, 1), None) == "int"
    assert value_type("runtime", None, "7") == "string"  # only a constant's value says int
    assert attribute_value("int", 7) == {"intValue": "7"}
    assert attribute_value("int", "-7") == {"intValue": "-7"}
    assert attribute_value("bool", "true") == {"boolValue": True}
    assert attribute_value("bool", "false") == {"boolValue": False}
    assert attribute_value("string", 7) == {"stringValue": "7"}


def test_the_endpoint_and_the_headers_at_their_edges() -> None:
    assert split_endpoint(" https://h/otlp/v1/logs/ ") == ("https://h/otlp", "/v1/logs")
    assert split_endpoint("https://h/v1/logs") == ("https://h", "/v1/logs")
    assert split_endpoint("https://h/base") == ("https://h/base", "/v1/logs")
    assert endpoint_problems("https://h/v1/logs") == []
    assert endpoint_problems(" https://h/v1/logs/ ") == []
    assert endpoint_problems("http://127.0.0.1:4318/v1/logs") == []
    assert endpoint_problems(" ") == [
        'an OTLP destination needs its endpoint: endpoint="https://…/v1/logs"'
    ]
    assert endpoint_problems("https://h/logs") == [
        "the OTLP endpoint 'https://h/logs' must end with /v1/logs, the OTLP/HTTP path for logs"
    ]
    (problem,) = endpoint_problems("http://h.example/v1/logs")
    assert problem.startswith("the OTLP endpoint: ") and "http://h.example" in problem
    for plain in ("https://h", "https://h:1", "https://h:65535", "https://a-b.c9/x/y_z~.-"):
        assert plainly_https(plain), plain
    for other in ("https://", "https://h:0", "https://h:65536", "https://h:000443", "https://H",
                  "https://h:x", "http://h", "https://h/?q", "https://h/%41", "https://[::1]"):  # fmt: skip
        assert not plainly_https(other), other
    assert header_problems((("X-Key", "v"), ("X-Other", "a" * 1024), ("x-t", "~ !"))) == []
    for name in RESERVED_HEADERS:
        for spelled in (name, name.lower(), name.upper()):
            assert header_problems(((spelled, "v"),)) == [
                f"header {spelled!r} is written by the sender itself, or not allowed"
            ]
    value_rule = (
        "its value must be printable ASCII, 1 to 1024 characters, without leading or trailing "
        "spaces"
    )
    assert header_problems((("X-A", "1"), ("x-a", "2"))) == ["header 'x-a' is given twice"]
    for bad in ("", "a" * 1025, " v", "v ", "a\tb", "a\x7fb", "é"):
        assert header_problems((("X-K", bad),)) == [f"header 'X-K': {value_rule}"], bad
    for name in ("", "X K", "X:K", "é"):
        assert header_problems(((name, "v"),)) == [
            f"header name {name!r} must be letters, digits or '-'"
        ]
    for pair in (("X-K",), ("X-K", "v", "w"), ("X-K", 1), ["X-K", "v"]):
        assert header_problems((pair,)) == [  # type: ignore[arg-type]
            f"header {pair!r} must be a (name, value) pair of strings"
        ]
    assert header_problems((("X!#$%&'*+-.^_`|~", "v"), ("X9", "v"))) == []


def test_a_name_may_hold_every_allowed_character_at_once() -> None:
    """The allowed characters are a set a name may use whole, not only part of."""
    letters = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
    key = "a" + letters + "0123456789" + "_-.z"
    assert is_attribute_key(key) and is_event_name(key)
    assert value_type("constant", None, "1234567890") == "int"
    host = "abcdefghijklmnopqrstuvwxyz0123456789.x-y"
    path = "/" + letters + "0123456789-._~/"
    assert plainly_https(f"https://{host}{path}") is True
    assert header_problems((("X" + letters + "0123456789!#$%&'*+-.^_`|~", "v"),)) == []
    # And nothing beyond: an upper-case host is lower-cased by parse_endpoint (not plain), a
    # port or a number with a letter is no number.
    for other in ("http://h", "https://X", "https://h:X", "https://h:1X"):
        assert plainly_https(other) is False, other
    assert value_type("constant", None, "X") == value_type("constant", None, "1X") == "string"
    assert split_endpoint("https://X/baseX") == ("https://X/baseX", "/v1/logs")
    assert endpoint_problems("https://h/v1/logsX") == [
        "the OTLP endpoint 'https://h/v1/logsX' must end with /v1/logs, the OTLP/HTTP path for logs"
    ]


def test_a_plainly_valid_endpoint_is_checked_without_the_endpoint_rules(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An app checks its own endpoint on every run it uses its spec: a plain https URL needs
    neither the endpoint parser nor its errors (consent/_core/otlp.py, plainly_https)."""
    monkeypatch.setitem(sys.modules, "consent._core.endpoint", None)  # importing it fails
    assert endpoint_problems("https://otel.example.com/v1/logs") == []
    with pytest.raises(ImportError):
        endpoint_problems("https://otel.example.com:99999/v1/logs")


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
