"""Rules U1-U10 (consent/testing/collector/ua.py) of the legacy hit validator."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent.testing.collector import ua

# Section A.7, composed example: a valid Lumogon-style screenview sent in the query string.
LUMOGON_TARGET = (
    "/debug/collect?an=lumogon&av=0.3.0&cd=scan&cd1=1.24&cid=7TRN%3AIPZB&t=screenview"
    "&tid=UA-12345678-9&v=1"
)
LUMOGON_REPLY = {
    "hitParsingResult": [
        {
            "valid": True,
            "parserMessage": [],
            "hit": "/debug/collect?an=lumogon&av=0.3.0&cd=scan&cd1=1.24&cid=7TRN%3AIPZB"
            "&t=screenview&tid=UA-12345678-9&v=1",
        }
    ],
    "parserMessage": [{"messageType": "INFO", "description": "Found 1 hit in the request."}],
}
# Section A.7, composed example: an event with a bad tid and an empty ea.
INVALID_EVENT_BODY = b"v=1&tid=UA-XXXX-Y&cid=555&t=event&ec=UX&ea="
INVALID_EVENT_REPLY = {
    "hitParsingResult": [
        {
            "valid": False,
            "parserMessage": [
                {
                    "messageType": "ERROR",
                    "description": "The value provided for parameter 'tid' is invalid. "
                    "Please see http://goo.gl/a8d4RP#tid for details.",
                    "messageCode": "VALUE_INVALID",
                    "parameter": "tid",
                },
                {
                    "messageType": "ERROR",
                    "description": "A value is required for parameter 'ea'. "
                    "Please see http://goo.gl/a8d4RP#ea for details.",
                    "messageCode": "VALUE_REQUIRED",
                    "parameter": "ea",
                },
            ],
            "hit": "/debug/collect?v=1&tid=UA-XXXX-Y&cid=555&t=event&ec=UX&ea=",
        }
    ],
    "parserMessage": [{"messageType": "INFO", "description": "Found 1 hit in the request."}],
}

BASE = {"v": "1", "tid": "UA-12345678-9", "cid": "555", "t": "screenview", "cd": "scan"}


def payload(*, drop: tuple[str, ...] = (), **params: str) -> bytes:
    merged = {k: v for k, v in {**BASE, **params}.items() if k not in drop}
    return urlencode(merged).encode()


def problems(body: bytes, method: str = "POST", target: str = "/collect") -> list[tuple[str, str]]:
    result = ua.validate_single(method, target, "HTTP/1.1", body)
    return [(m.message_code or "", m.parameter or "") for m in result.messages]


def test_composed_lumogon_hit_is_valid_and_reply_matches_reference() -> None:
    result = ua.validate_single("POST", LUMOGON_TARGET, "HTTP/1.1", b"")
    assert result.valid
    assert result.params["cid"] == "7TRN:IPZB"
    reply = ua.debug_reply([result])
    assert json.loads(reply) == LUMOGON_REPLY
    assert b"\\u0026" in reply
    assert b"&" not in reply  # Google escapes every ampersand in the echo


def test_composed_invalid_event_reply_matches_reference() -> None:
    result = ua.validate_single("POST", "/debug/collect", "HTTP/1.1", INVALID_EVENT_BODY)
    assert not result.valid
    assert json.loads(ua.debug_reply([result])) == INVALID_EVENT_REPLY


def test_get_echo_is_the_request_line() -> None:
    result = ua.validate_single("GET", "/debug/collect?tid=fake&v=1", "HTTP/1.1", b"")
    assert result.hit == "GET /debug/collect?tid=fake&v=1 HTTP/1.1"


# U1
def test_u1_version() -> None:
    assert problems(payload()) == []
    assert problems(payload(v="2")) == [("VALUE_INVALID", "v")]
    assert problems(payload(drop=("v",))) == [("VALUE_INVALID", "v")]


# U2
def test_u2_tracking_id() -> None:
    assert problems(payload(tid="UA-1-2")) == []
    bad = ua.validate_single("POST", "/collect", "HTTP/1.1", payload(tid="G-12345"))
    assert [m.description for m in bad.messages] == [
        "The value provided for parameter 'tid' is invalid. "
        "Please see http://goo.gl/a8d4RP#tid for details."
    ]
    assert problems(payload(tid="UA-1-2\n")) == [("VALUE_INVALID", "tid")]
    missing = ua.validate_single("POST", "/collect", "HTTP/1.1", payload(drop=("tid",)))
    assert [m.description for m in missing.messages] == [
        "Tracking Id is a required field for this hit. "
        "Please see http://goo.gl/a8d4RP#tid for details."
    ]


# U3
def test_u3_identity() -> None:
    assert problems(payload(drop=("cid",), uid="user-7")) == []
    assert problems(payload(cid="", uid="user-7")) == []
    assert problems(payload(drop=("cid",))) == [("VALUE_REQUIRED", "cid")]
    assert problems(payload(cid="", uid="")) == [("VALUE_REQUIRED", "cid")]


# U4
@pytest.mark.parametrize("hit_type", sorted(ua.HIT_TYPES))
def test_u4_every_hit_type_is_accepted(hit_type: str) -> None:
    assert problems(payload(t=hit_type, ec="UX", ea="upload")) == []


def test_u4_unknown_hit_type() -> None:
    assert problems(payload(t="click")) == [("VALUE_INVALID", "t")]
    assert problems(payload(drop=("t",))) == [("VALUE_INVALID", "t")]


# U5
def test_u5_per_hit_type_requirements() -> None:
    assert problems(payload(t="event", ec="UX", ea="upload")) == []
    assert problems(payload(t="event", ec="UX")) == [("VALUE_REQUIRED", "ea")]
    assert problems(payload(t="event", ec="", ea="")) == [
        ("VALUE_REQUIRED", "ec"),
        ("VALUE_REQUIRED", "ea"),
    ]
    assert problems(payload(drop=("cd",))) == [("VALUE_REQUIRED", "cd")]
    assert problems(payload(av="1.0", an="lumogon")) == []
    assert problems(payload(av="1.0")) == [("VALUE_REQUIRED", "an")]
    assert problems(payload(aid="com.example")) == [("VALUE_REQUIRED", "an")]


# U6
@pytest.mark.parametrize(
    ("param", "limit"),
    [*ua.MAX_BYTES.items(), ("cd1", 150), ("cd200", 150)],
)
def test_u6_byte_limits(param: str, limit: int) -> None:
    extra = {"an": "lumogon"} if param == "av" else {}
    at_limit = urlencode({**BASE, **extra, param: "a" * limit}).encode()
    assert problems(at_limit) == []
    over = urlencode({**BASE, **extra, param: "a" * (limit + 1)}).encode()
    assert problems(over) == [("VALUE_OUT_OF_BOUNDS", param)]


def test_u6_counts_utf8_bytes_after_url_decoding() -> None:
    assert problems(payload(an="é" * 50)) == []  # 100 bytes
    assert problems(payload(an="é" * 51)) == [("VALUE_OUT_OF_BOUNDS", "an")]  # 102 bytes
    encoded = b"v=1&tid=UA-1-1&cid=5&t=screenview&cd=x&an=" + b"%41" * 100
    assert problems(encoded) == []


# U7
def test_u7_event_value() -> None:
    assert problems(payload(ev="0")) == []
    assert problems(payload(ev="-1")) == [("VALUE_OUT_OF_BOUNDS", "ev")]
    assert problems(payload(ev="1.5")) == [("VALUE_INVALID", "ev")]


def test_u7_queue_time() -> None:
    assert problems(payload(qt="14400000")) == []
    result = ua.validate_single("POST", "/collect", "HTTP/1.1", payload(qt="14400001"))
    assert [(m.message_code, m.description) for m in result.messages] == [
        (
            "VALUE_OUT_OF_BOUNDS",
            "The value provided for parameter 'qt' is out of bounds. "
            "Please see http://goo.gl/a8d4RP#qt for details.",
        )
    ]
    assert problems(payload(qt="-5")) == [("VALUE_OUT_OF_BOUNDS", "qt")]
    assert problems(payload(qt="soon")) == [("VALUE_INVALID", "qt")]


def test_u7_custom_indexes() -> None:
    assert problems(payload(cd1="a", cd200="b", cm1="3", cm200="4")) == []
    assert problems(payload(cd0="a")) == [("VALUE_INVALID", "cd0")]
    assert problems(payload(cd201="a")) == [("VALUE_INVALID", "cd201")]
    assert problems(payload(cm201="1")) == [("VALUE_INVALID", "cm201")]


# U8
def padded(size: int) -> bytes:
    """A valid payload of exactly `size` bytes (padding in a parameter Google ignores)."""
    head = payload() + b"&zz="
    return head + b"a" * (size - len(head))


def test_u8_post_body_size() -> None:
    assert problems(padded(8192)) == []
    assert problems(padded(8193)) == [("VALUE_OUT_OF_BOUNDS", "")]


def test_u8_get_url_size() -> None:
    target = "/collect?" + padded(8000 - len("/collect?")).decode()
    assert len(target) == 8000
    assert problems(b"", "GET", target) == []
    assert problems(b"", "GET", target + "a") == [("VALUE_OUT_OF_BOUNDS", "")]


def batch_codes(body: bytes) -> list[list[str]]:
    results = ua.validate_batch("POST", "/batch", "HTTP/1.1", body)
    return [[m.message_code or "" for m in r.messages] for r in results]


def test_u8_batch_hit_count() -> None:
    assert batch_codes(b"\n".join([payload()] * 20)) == [[]] * 20
    assert batch_codes(b"\n".join([payload()] * 21)) == [["EXCEEDED_MAX_ENTITIES"]] * 21


def test_u8_batch_total_size() -> None:
    line = padded(8192)
    assert batch_codes(line + b"\n" + line[:-1]) == [[], []]  # 16384 bytes with the newline
    assert batch_codes(line + b"\n" + line) == [["VALUE_OUT_OF_BOUNDS"]] * 2


def test_u8_batch_hit_size() -> None:
    assert batch_codes(padded(8193) + b"\n" + payload()) == [["VALUE_OUT_OF_BOUNDS"], []]


# U9
def test_u9_ip_override() -> None:
    ok = ua.validate_single("POST", "/debug/collect", "HTTP/1.1", payload(uip="123.123.123.123"))
    assert ok.valid
    assert ok.hit.endswith("?_anon_uip=123.123.123.0")
    six = ua.validate_single("POST", "/debug/collect", "HTTP/1.1", payload(uip="2001:db8::1:2:3"))
    assert six.valid
    assert six.hit.endswith("?_anon_uip=2001:db8::")
    assert problems(payload(uip="999.1.1.1")) == [("VALUE_INVALID", "uip")]


# U10
def test_u10_one_result_per_hit_in_order() -> None:
    body = b"\n".join([payload(cd="a"), payload(v="9"), b"", payload(cd="c")]) + b"\n"
    results = ua.validate_batch("POST", "/debug/batch", "HTTP/1.1", body)
    reply = json.loads(ua.debug_reply(results))
    assert [r["valid"] for r in reply["hitParsingResult"]] == [True, False, True]
    assert [r["hit"] for r in reply["hitParsingResult"]][::2] == [
        "/debug/batch?" + payload(cd=c).decode() for c in "ac"
    ]
    assert reply["parserMessage"] == [
        {"messageType": "INFO", "description": "Found 3 hits in the request."}
    ]


def test_u10_valid_iff_no_error_message() -> None:
    info = ua.ParserMessage("INFO", "note")
    warn = ua.ParserMessage("WARN", "careful")
    assert ua.HitResult({}, "/collect", (info, warn)).valid
    assert not ua.HitResult({}, "/collect", (info, ua.required("cid"))).valid


def test_query_and_body_merge_body_wins() -> None:
    merged = ua.merge(b"cd=query&an=app", b"cd=body")
    assert merged == {"cd": b"body", "an": b"app"}


def test_split_batch_drops_empty_lines() -> None:
    assert ua.split_batch(b"a=1\r\n\n\nb=2\n") == [b"a=1", b"b=2"]


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=3000), st.text(max_size=200))
def test_random_input_never_crashes(body: bytes, query: str) -> None:
    target = "/debug/collect?" + query
    single = ua.validate_single("POST", target, "HTTP/1.1", body)
    batch = ua.validate_batch("POST", target, "HTTP/1.1", body)
    for results in ([single], batch):
        reply = json.loads(ua.debug_reply(results))
        assert len(reply["hitParsingResult"]) == len(results)
