"""The local collector's OTLP route (`POST /v1/logs`): its strict check agrees with the official
protobuf definitions, it answers as an OTLP/HTTP server does, and it decodes what arrived.

The oracle: `json_format.Parse(..., ignore_unknown_fields=False)` into the ExportLogsServiceRequest
of opentelemetry-proto, plus the one rule of the OTLP JSON encoding the proto parser does not
hold (lowerCamelCase keys only: it reads snake_case too). Bodies are the toolkit's own, then
mutated: unknown keys, snake_case keys, values of the wrong type or range, two values in a oneof,
keys removed.
"""

from __future__ import annotations

import copy
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from consent._wire.hits import build_hit
from consent._wire.http import encode, endpoint_for
from consent.testing.collector import Collector
from consent.testing.collector import otlp as collector_otlp
from tests.wire.test_otlp_wire import hits

WAIT = 60.0


def proto_accepts(payload: object) -> bool:
    try:
        json_format.Parse(
            json.dumps(payload), ExportLogsServiceRequest(), ignore_unknown_fields=False
        )
    except json_format.ParseError:
        return False
    return True


SNAKE = {collector_otlp.snake_case(k) for m in collector_otlp.MESSAGES.values() for k in m}


def camel_only(payload: object) -> bool:
    """No key is a field's original snake_case name (the OTLP JSON encoding forbids them)."""
    if isinstance(payload, dict):
        return all(("_" not in k or k not in SNAKE) and camel_only(v) for k, v in payload.items())
    if isinstance(payload, list):
        return all(camel_only(v) for v in payload)
    return True


def paths(value: Any, at: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Every position in a JSON value (object keys and array indexes)."""
    out = [at]
    if isinstance(value, dict):
        for k, v in value.items():
            out += paths(v, (*at, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out += paths(v, (*at, i))
    return out


def at(value: Any, where: tuple[object, ...]) -> Any:
    for step in where:
        value = value[step]
    return value


ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**65), 2**65),
    st.sampled_from([1.0, 1.5, -3.0, 1e30]),
    st.sampled_from(["", "x", "12", "-7", "1.0", "1e3", "1.5", "18446744073709551616", "NaN"]),
    st.just([]),
    st.just({}),
    st.just([None]),
    st.just({"stringValue": "a"}),
)


def odd_value(draw: st.DrawFn) -> object:
    return copy.deepcopy(draw(ODD_VALUES))  # a fresh copy: the body is mutated in place


@st.composite
def mutated(draw: st.DrawFn) -> object:
    spec, event, values, when = draw(hits())
    hit = build_hit(spec, event.name, client_id="id-1", command="app cmd", values=values)
    body = json.loads(encode(spec, hit, endpoint_for(spec, {}), time_unix_nano=when).body)
    for _ in range(draw(st.integers(1, 3))):
        where = draw(st.sampled_from(paths(body)))
        target = at(body, where)
        action = draw(st.sampled_from(["add", "snake", "value", "oneof", "remove"]))
        if action == "add" and isinstance(target, dict):
            name = draw(st.sampled_from(["foo", "eventname", "EventName", "severity", "x_y"]))
            target[name] = odd_value(draw)
        elif action == "snake" and isinstance(target, dict) and target:
            key = draw(st.sampled_from(sorted(target)))
            target[collector_otlp.snake_case(key)] = target.pop(key)
        elif action == "value" and where:
            # protobuf's Python parser reads an empty array or string where a message belongs
            # as an empty message (it iterates over the value); the proto3 JSON mapping says a
            # message is an object, so that one disagreement is not generated.
            odd = (
                ODD_VALUES.filter(lambda v: v not in ([], ""))
                if isinstance(target, dict)
                else ODD_VALUES
            )
            at(body, where[:-1])[where[-1]] = copy.deepcopy(draw(odd))
        elif action == "oneof" and isinstance(target, dict) and "stringValue" in target:
            target[draw(st.sampled_from(["boolValue", "intValue"]))] = odd_value(draw)
        elif action == "remove" and isinstance(target, dict) and target:
            del target[draw(st.sampled_from(sorted(target)))]
    return body


def _agrees(payload: object) -> None:
    ours = collector_otlp.schema_problems(payload)
    expected = proto_accepts(payload) and camel_only(payload)
    assert (not ours) == expected, (ours, json.dumps(payload)[:2000])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_the_schema_check_agrees_with_the_official_definitions(payload: object) -> None:
    _agrees(payload)


@pytest.mark.slow
@settings(max_examples=600, deadline=None, suppress_health_check=list(HealthCheck))
@given(mutated())
def test_the_schema_check_agrees_with_the_official_definitions_at_length(payload: object) -> None:
    _agrees(payload)


def post(url: str, body: bytes, content_type: str | None = "application/json") -> tuple[int, bytes]:
    headers = {} if content_type is None else {"Content-Type": content_type}
    request = urllib.request.Request(url + "/v1/logs", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WAIT) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


VALID = (
    b'{"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":'
    b'{"stringValue":"app"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"1700000000000000000",'
    b'"eventName":"app.ran","attributes":[{"key":"n","value":{"intValue":"3"}},'
    b'{"key":"ok","value":{"boolValue":true}}]}]}]}]}'
)


def test_it_answers_as_an_otlp_http_server() -> None:
    with Collector() as collector:
        assert post(collector.url, VALID) == (200, b"{}")
        status, reply = post(collector.url, VALID.replace(b"eventName", b"event_name"))
        assert status == 400 and json.loads(reply)["code"] == 3
        assert b"lowerCamelCase" in reply
        assert post(collector.url, VALID, "application/x-protobuf")[0] == 415
        assert post(collector.url, b"{", "application/json")[0] == 400
        received = collector.wait_for(4, timeout=WAIT)
    assert [r.valid for r in received] == [True, False, False, False]
    assert {r.protocol for r in received} == {"otlp"}
    (entry,) = received[0].logs()
    assert (entry.service_name, entry.event_name, entry.time_unix_nano) == (
        "app",
        "app.ran",
        1_700_000_000_000_000_000,
    )
    assert entry.attributes == {"n": 3, "ok": True}
    assert received[1].logs() == [] or not received[1].valid


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda b: b.replace(b'"service.name"', b'"service.namespace"'), "no service.name"),
        (lambda b: b.replace(b'"eventName":"app.ran",', b""), "no eventName"),
        (lambda b: b.replace(b'"timeUnixNano":"1700000000000000000",', b""), "no timeUnixNano"),
        (lambda b: b.replace(b'"key":"ok"', b'"key":"n"'), "given twice"),
        (lambda b: b.replace(b'"3"', b'"3.5"'), "not a decimal integer"),
        (lambda b: b.replace(b'"logRecords":[{', b'"logRecords":[{"traceId":"AAEC",'), "hex"),
        (lambda b: b.replace(b"{}", b"{}").replace(b'"n",', b'"n","n":1,'), "no field 'n'"),
    ],
)
def test_what_every_hit_must_carry(change: Any, message: str) -> None:
    verdict = collector_otlp.validate(change(VALID), "application/json")
    assert not verdict.valid and any(message in m for m in verdict.messages), verdict.messages


def test_a_body_given_twice_a_key_is_refused() -> None:
    body = VALID.replace(b'{"resourceLogs"', b'{"resourceLogs":[],"resourceLogs"')
    verdict = collector_otlp.validate(body, "application/json")
    assert not verdict.valid and "twice" in verdict.messages[0]
    assert (
        collector_otlp.validate(copy.copy(VALID), "text/plain")
        .messages[0]
        .startswith("Content-Type must be application/json")
    )


def test_an_integer_in_exponent_or_decimal_notation_is_read_as_protobuf_reads_it() -> None:
    """The proto3 JSON mapping takes an integer field as a string in exponent notation too, and
    protobuf's parser takes `"1.0"`: the check and the decoded entry agree with it; `"1.5"` and
    `"1_0"` are refused (protobuf's Python `int` would read the last; JSON has no such number)."""
    body = json.loads(
        VALID.replace(b'"1700000000000000000"', b'"1.7e18"').replace(b'"3"', b'"3.0"')
    )
    assert collector_otlp.schema_problems(body) == [] and proto_accepts(body)
    (entry,) = collector_otlp.decode(body)
    assert (entry.time_unix_nano, entry.attributes["n"]) == (1_700_000_000_000_000_000, 3)
    for bad in ("1.5", "1_0", " 3"):
        body = json.loads(VALID.replace(b'"3"', json.dumps(bad).encode()))
        assert collector_otlp.schema_problems(body), bad
