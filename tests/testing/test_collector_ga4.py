"""Rules G1-G11 (consent/testing/collector/ga4.py) of the GA4 request validator."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent.testing.collector import ga4

NOW = 1_732_291_200_000_000  # microseconds
HOUR = 3600 * 1_000_000
QUERY = "measurement_id=G-TEST000000&api_secret=testsecret"
# Section B.9, composed example: Lumogon's `scan` screenview as a custom GA4 event.
B9_BODY = b"""{"client_id":"1839202761.1732291200",
 "consent":{"ad_user_data":"DENIED","ad_personalization":"DENIED"},
 "non_personalized_ads":true,
 "user_properties":{"app_version":{"value":"1.0.0"},"docker_api":{"value":"1.24"}},
 "events":[{"name":"command_run",
            "params":{"command":"scan","session_id":"1732291200","engagement_time_msec":1}},
           {"name":"report_upload",
            "params":{"category":"UX","session_id":"1732291200","engagement_time_msec":1}}]}"""
B9_INVALID_REPLY = {
    "validationMessages": [
        {
            "fieldPath": "events",
            "description": "Event at index: [0] has invalid name [1bad]. "
            "Names must start with an alphabetic character.",
            "validationCode": "NAME_INVALID",
        },
        {
            "fieldPath": "events[0].params",
            "description": "Event at index: [0] has [26] params; at most [25] are allowed.",
            "validationCode": "EXCEEDED_MAX_ENTITIES",
        },
    ]
}


def b9() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(B9_BODY)
    return document


def check(
    body: dict[str, Any] | bytes, query: str = QUERY, **options: Any
) -> list[tuple[str | None, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    verdict = ga4.validate(query, raw, now_micros=NOW, **options)
    return [(m.field_path, m.validation_code) for m in verdict.messages]


def descriptions(body: dict[str, Any] | bytes, query: str = QUERY) -> list[str]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return [m.description for m in ga4.validate(query, raw, now_micros=NOW).messages]


def event(name: str = "command_run", /, **params: Any) -> dict[str, Any]:
    return {"name": name, "params": params}


def with_events(*events: dict[str, Any]) -> dict[str, Any]:
    return {"client_id": "1.2", "events": list(events)}


def test_composed_b9_example_is_clean() -> None:
    verdict = ga4.validate(QUERY, B9_BODY, now_micros=NOW)
    assert verdict.valid
    assert verdict.messages == ()
    assert verdict.payload == b9()
    assert json.loads(ga4.debug_reply(verdict.messages)) == {"validationMessages": []}


def test_composed_b9_invalid_reply_matches_reference() -> None:
    body = b9()
    body["events"][0] = event("1bad", **{f"p{i}": i for i in range(26)})
    verdict = ga4.validate(QUERY, json.dumps(body).encode(), now_micros=NOW)
    assert json.loads(ga4.debug_reply(verdict.messages)) == B9_INVALID_REPLY


# G1
def test_g1_post_only() -> None:
    assert ga4.method_allowed("POST")
    assert not any(ga4.method_allowed(m) for m in ("GET", "PUT", "HEAD", "post"))


# G2
def test_g2_query_parameters() -> None:
    assert descriptions(b9(), "measurement_id=G-X") == [
        "Unable to find non-empty parameter [api_secret] value in request."
    ]
    assert descriptions(b9(), "api_secret=s&measurement_id=") == [
        "Unable to find non-empty parameter [measurement_id] value in request."
    ]
    assert check(b9(), "") == [
        ("api_secret", "VALUE_REQUIRED"),
        ("measurement_id", "VALUE_REQUIRED"),
    ]
    both = "api_secret=s&measurement_id=G-X&firebase_app_id=1:2:android:abc"
    assert check(b9(), both) == [("measurement_id", "VALUE_INVALID")]
    # Correctness of the values is not checked, only their presence.
    assert check(b9(), "api_secret=wrong&measurement_id=nonsense") == []


# G3
def test_g3_malformed_json() -> None:
    for body in (b"", b"{", b"\xff\xfe", b'{"a": NaN}', b"[" * 100_000):
        verdict = ga4.validate(QUERY, body, now_micros=NOW)
        assert [m.to_json() for m in verdict.messages] == [
            {
                "description": "Unable to parse Measurement Protocol JSON payload.",
                "validationCode": "VALUE_INVALID",
            }
        ]
        assert verdict.payload is None


def test_g3_body_must_be_an_object() -> None:
    assert check(b"[]") == [(None, "VALUE_INVALID")]


def test_g3_unknown_fields() -> None:
    body = b9()
    body["events"][0]["names"] = "x"
    body["colour"] = "red"
    assert descriptions(body) == [
        "Unable to parse Measurement Protocol JSON payload. (events[0]) names: Cannot find field.",
        "Unable to parse Measurement Protocol JSON payload. colour: Cannot find field.",
    ]
    assert check(body) == [(None, "VALUE_INVALID")] * 2


def test_g3_lower_camel_case_is_accepted() -> None:
    body = {
        "clientId": "1.2",
        "nonPersonalizedAds": True,
        "validationBehavior": "ENFORCE_RECOMMENDATIONS",
        "timestampMicros": NOW,
        "userProperties": {"app_version": {"value": "1", "timestampMicros": NOW}},
        "events": [{"name": "command_run", "timestampMicros": NOW}],
    }
    assert check(body) == []
    assert check({**body, "clientId": "abc"}) == [("client_id", "VALUE_INVALID")]


def test_g3_duplicate_keys() -> None:
    raw = b'{"client_id": "1.2", "client_id": "3.4", "events": [{"name": "a"}]}'
    assert check(raw) == [("client_id", "NAME_DUPLICATED")]
    raw = b'{"client_id": "1.2", "clientId": "3.4", "events": [{"name": "a"}]}'
    assert check(raw) == [("client_id", "NAME_DUPLICATED")]
    raw = b'{"client_id": "1.2", "events": [{"name": "a", "params": {"k": 1, "k": 2}}]}'
    assert check(raw) == [("events[0].params.k", "NAME_DUPLICATED")]


def test_g3_wrong_json_types() -> None:
    assert check({**b9(), "client_id": 12}) == [(None, "VALUE_INVALID")]
    assert check({**b9(), "non_personalized_ads": "yes"}) == [(None, "VALUE_INVALID")]
    assert check({**b9(), "consent": []}) == [(None, "VALUE_INVALID")]
    assert check({**b9(), "user_properties": {"p": "bare"}}) == [(None, "VALUE_INVALID")]
    assert check({**b9(), "events": {"name": "a"}}) == [(None, "VALUE_INVALID")]
    assert (
        check({**b9(), "events": [1, {"name": "a", "params": []}]}) == [(None, "VALUE_INVALID")] * 2
    )
    assert check({**b9(), "client_id": 0}) == [(None, "VALUE_INVALID")]


# G4
def sized(size: int) -> bytes:
    """A clean body of exactly `size` bytes, padded in a free-length string field."""
    head = json.dumps({"client_id": "1.2", "events": [{"name": "a"}], "user_agent": ""})
    body = head[:-2] + "x" * (size - len(head)) + head[-2:]
    assert len(body) == size
    return body.encode()


def test_g4_body_size() -> None:
    assert check(sized(129_999)) == []
    verdict = ga4.validate(QUERY, sized(130_000), now_micros=NOW)
    assert [m.to_json() for m in verdict.messages] == [
        {
            "description": "Post body must be smaller than 130kB",
            "validationCode": "VALUE_OUT_OF_BOUNDS",
        }
    ]


# G5
def test_g5_web_stream_needs_client_id() -> None:
    body = b9()
    del body["client_id"]
    assert descriptions(body) == ["Measurement requires a client_id."]
    assert check({**b9(), "client_id": ""}) == [("client_id", "VALUE_REQUIRED")]


def test_g5_app_stream_needs_app_instance_id() -> None:
    query = "api_secret=s&firebase_app_id=1:123:android:abc"
    body = {"app_instance_id": "0123456789abcdef0123456789ABCDEF", "events": [{"name": "a"}]}
    assert check(body, query) == []
    assert descriptions({**body, "app_instance_id": "abc123"}, query) == [
        "Measurement app_instance_id is expected to be a 32 digit hexadecimal number "
        "but was [6] digits."
    ]
    assert descriptions({"events": [{"name": "a"}]}, query) == [
        "Measurement requires an app_instance_id."
    ]


def test_g5_user_id_length() -> None:
    assert check({**b9(), "user_id": "u" * 256}) == []
    assert check({**b9(), "user_id": "u" * 257}) == [("user_id", "VALUE_OUT_OF_BOUNDS")]


def test_g5_client_id_format_only_when_enforcing() -> None:
    assert check({**b9(), "client_id": "18"}) == []
    enforce = {**b9(), "validation_behavior": "ENFORCE_RECOMMENDATIONS"}
    assert check(enforce) == []
    assert descriptions({**enforce, "client_id": "18"}) == [
        "client_id [18] has invalid format. It should be in <number>.<number> format."
    ]


# G6
def test_g6_events_array() -> None:
    assert check({"client_id": "1.2"}) == [("events", "VALUE_REQUIRED")]
    assert check(with_events()) == [("events", "VALUE_REQUIRED")]
    assert check(with_events(*[event()] * 25)) == []
    assert check(with_events(*[event()] * 26)) == [("events", "EXCEEDED_MAX_ENTITIES")]


# G7
@pytest.mark.parametrize(
    "name", ["a", "command_run", "A1_b2", "x" * 40, "screen_view", "ad_impression"]
)
def test_g7_valid_event_names(name: str) -> None:
    assert check(with_events(event(name))) == []


@pytest.mark.parametrize(
    ("name", "reason"),
    [
        ("1bad", "Names must start with an alphabetic character."),
        ("_badEventName", "Names must start with an alphabetic character."),
        ("", "Names must not be empty."),
        ("x" * 41, "Names must be at most [40] characters long."),
        ("bad-name", "Names must contain only alphanumeric characters and underscores."),
        ("café", "Names must contain only alphanumeric characters and underscores."),
        ("google_x", "Names must not start with [google_], [ga_] or [firebase_]."),
        ("ga_x", "Names must not start with [google_], [ga_] or [firebase_]."),
        ("firebase_x", "Names must not start with [google_], [ga_] or [firebase_]."),
    ],
)
def test_g7_invalid_event_names(name: str, reason: str) -> None:
    body = with_events(event(), event(name))
    assert check(body) == [("events", "NAME_INVALID")]
    assert descriptions(body) == [f"Event at index: [1] has invalid name [{name}]. {reason}"]


def test_g7_reserved_event_names() -> None:
    assert check(with_events(event("session_start"))) == [("events", "NAME_RESERVED")]
    old_list = ga4.RESERVED_EVENT_NAMES_2023
    body = with_events(event("screen_view"))
    assert check(body, reserved_event_names=old_list) == [("events", "NAME_RESERVED")]
    mine = frozenset({"command_run"})
    assert check(with_events(event()), reserved_event_names=mine) == [("events", "NAME_RESERVED")]
    assert check(with_events(event("session_start")), reserved_event_names=mine) == []


def test_g7_event_name_missing() -> None:
    assert check(with_events({"params": {}})) == [("events", "NAME_INVALID")]


# G8
def test_g8_param_count() -> None:
    assert check(with_events(event(**{f"p{i}": i for i in range(25)}))) == []
    assert check(with_events(event(**{f"p{i}": i for i in range(26)}))) == [
        ("events[0].params", "EXCEEDED_MAX_ENTITIES")
    ]


def test_g8_param_names() -> None:
    assert check(with_events(event(p_1=1, session_id="1", engagement_time_msec=1))) == []
    assert check(with_events(event(**{"1p": 1}))) == [("events[0].params", "NAME_INVALID")]
    assert check(with_events(event(ga_p=1))) == [("events[0].params", "NAME_INVALID")]
    assert check(with_events(event(**{"p" * 41: 1}))) == [("events[0].params", "NAME_INVALID")]
    assert check(with_events(event(firebase_conversion=1))) == [
        ("events[0].params", "NAME_RESERVED")
    ]


def test_g8_param_values() -> None:
    assert check(with_events(event(s="v" * 100, i=3, f=1.5))) == []
    for bad in (True, None, {"nested": 1}, [1, 2]):
        assert check(with_events(event(p=bad))) == [("events[0].params.p", "VALUE_INVALID")]
    assert check(with_events(event(p="v" * 101))) == [("events[0].params.p", "VALUE_OUT_OF_BOUNDS")]


def test_g8_ga360_allows_500_characters() -> None:
    assert check(with_events(event(p="v" * 500)), ga360=True) == []
    assert check(with_events(event(p="v" * 501)), ga360=True) == [
        ("events[0].params.p", "VALUE_OUT_OF_BOUNDS")
    ]


def test_g8_items() -> None:
    item = {"item_id": "sku", "price": 3.5, **{f"c{i}": "x" for i in range(10)}}
    assert check(with_events(event(items=[item]))) == []
    too_many = {**item, "c10": "x"}
    body = with_events(event(items=[item, too_many]))
    assert check(body) == [("events[0].params.items[1]", "EXCEEDED_MAX_ENTITIES")]
    assert descriptions(body)[0].endswith("can have at most [10] custom params.")
    assert check(with_events(event(items="sku"))) == [("events[0].params.items", "VALUE_INVALID")]
    assert check(with_events(event(items=[{"c": "v" * 101}]))) == [
        ("events[0].params.items[0].c", "VALUE_OUT_OF_BOUNDS")
    ]


# G9
def test_g9_user_properties() -> None:
    def props(entries: dict[str, Any]) -> list[tuple[str | None, str]]:
        return check({**b9(), "user_properties": entries})

    assert props({f"p{i}": {"value": i} for i in range(25)}) == []
    assert props({f"p{i}": {"value": i} for i in range(26)}) == [
        ("user_properties", "EXCEEDED_MAX_ENTITIES")
    ]
    assert props({"p" * 24: {"value": "v" * 36}}) == []
    assert props({"p" * 25: {"value": 1}}) == [("user_properties", "NAME_INVALID")]
    assert props({"google_p": {"value": 1}}) == [("user_properties", "NAME_INVALID")]
    assert props({"first_open_time": {"value": 1}}) == [("user_properties", "NAME_RESERVED")]
    assert props({"p": {}}) == [("user_properties.p.value", "VALUE_REQUIRED")]
    assert props({"p": {"value": "v" * 37}}) == [("user_properties.p.value", "VALUE_OUT_OF_BOUNDS")]


# G10
def test_g10_enums() -> None:
    assert check({**b9(), "validation_behavior": "RELAXED"}) == []
    assert check({**b9(), "validation_behavior": "STRICT"}) == [
        ("validation_behavior", "VALUE_INVALID")
    ]
    assert check({**b9(), "consent": {"ad_user_data": "GRANTED"}}) == []
    assert check({**b9(), "consent": {"ad_user_data": "granted"}}) == [
        ("consent.ad_user_data", "VALUE_INVALID")
    ]


def test_g10_timestamp_must_be_an_integer() -> None:
    assert check({**b9(), "timestamp_micros": str(NOW)}) == []
    for bad in (1.5, "soon", True):
        assert check({**b9(), "timestamp_micros": bad}) == [(None, "VALUE_INVALID")]


def test_g10_old_timestamps_relaxed_are_clamped_silently() -> None:
    body = b9()
    body["timestamp_micros"] = NOW - 73 * HOUR
    body["events"][1]["timestamp_micros"] = NOW - HOUR
    verdict = ga4.validate(QUERY, json.dumps(body).encode(), now_micros=NOW)
    assert verdict.messages == ()
    assert verdict.event_times_micros == (NOW - 72 * HOUR, NOW - HOUR)
    fresh = ga4.validate(QUERY, B9_BODY, now_micros=NOW)
    assert fresh.event_times_micros == (NOW, NOW)


def test_g10_old_timestamps_enforced_are_rejected() -> None:
    body = {**b9(), "validation_behavior": "ENFORCE_RECOMMENDATIONS"}
    assert check({**body, "timestamp_micros": NOW - 71 * HOUR}) == []
    old = {**body, "timestamp_micros": NOW - 73 * HOUR}
    assert descriptions(old) == [
        "Measurement timestamp_micros has timestamp too far in the past. Measurement protocol "
        "only supports timestamps [72h] into the past. The current time in UNIX microseconds "
        f"is [{NOW}]."
    ]
    assert check(old) == [("timestamp_micros", "VALUE_INVALID")]
    nested = copy.deepcopy(body)
    nested["events"][1]["timestamp_micros"] = NOW - 80 * HOUR
    assert check(nested) == [("events[1].timestamp_micros", "VALUE_INVALID")]


# G11
def test_g11_debug_reply_shape() -> None:
    assert json.loads(ga4.debug_reply([])) == {"validationMessages": []}
    verdict = ga4.validate("", b"{", now_micros=NOW)
    reply = json.loads(ga4.debug_reply(verdict.messages))
    assert [set(m) for m in reply["validationMessages"]] == [
        {"fieldPath", "description", "validationCode"},
        {"fieldPath", "description", "validationCode"},
        {"description", "validationCode"},  # parse errors carry no fieldPath
    ]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_random_bytes_never_crash_the_validator(body: bytes) -> None:
    verdict = ga4.validate(QUERY, body, now_micros=NOW)
    assert verdict.messages  # random bytes are never a clean request
    json.loads(ga4.debug_reply(verdict.messages))


SCALARS = (
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8)
)
# Keys the schema knows, so that generated documents reach the rules and not only the parser.
KEYS = st.sampled_from(
    [
        "client_id",
        "events",
        "name",
        "params",
        "items",
        "user_properties",
        "value",
        "consent",
        "timestamp_micros",
        "validationBehavior",
        "user_id",
        "device",
        "x",
    ]
)
SHAPED = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(KEYS, SHAPED, max_size=6))
def test_random_json_documents_never_crash_the_validator(document: dict[str, Any]) -> None:
    verdict = ga4.validate(QUERY, json.dumps(document).encode(), now_micros=NOW)
    json.loads(ga4.debug_reply(verdict.messages))
    assert verdict.valid == (verdict.messages == ())


@pytest.mark.parametrize(
    ("host", "valid"),
    [
        ("www.google-analytics.com", True),
        ("region1.google-analytics.com", True),
        ("REGION1.google-analytics.com:443", True),
        ("127.0.0.1:8080", True),  # a stand-in: not judged
        ("[::1]:8080", True),
        (None, True),
        ("region-1.google-analytics.com", False),
        ("eu.google-analytics.com", False),
        ("google-analytics.com", False),
    ],
)
def test_the_host_must_be_a_ga4_collection_host(host: str | None, valid: bool) -> None:
    assert (check(b9(), host=host) == []) is valid
    if not valid:
        assert check(b9(), host=host) == [("Host", "VALUE_INVALID")]


@pytest.mark.parametrize("value", ["denied", "NO", "", "GRANTED "])
def test_consent_values_are_granted_or_denied(value: str) -> None:
    body = {**b9(), "consent": {"ad_user_data": "DENIED", "ad_personalization": value}}
    assert check(body) == [("consent.ad_personalization", "VALUE_INVALID")]
