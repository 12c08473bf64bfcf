"""Every OTLP body the toolkit can build is a valid ExportLogsServiceRequest, by the official
protobuf definitions (opentelemetry-proto, a test dependency only), parsed strictly.

The specs and values are generated: field names, kinds, declared values (ranges anywhere in
int64, true/false fields, strings in any script), constants, events, time. The oracle is
`google.protobuf.json_format.Parse(..., ignore_unknown_fields=False)`; beside it, what the proto
parser cannot see: the OTLP JSON rules (lowerCamelCase keys only, int64 as decimal strings) and
the body's contents (service.name, eventName, exactly the declared fields, typed).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING

from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest
from opentelemetry.proto.logs.v1 import logs_pb2

from consent._core.otlp import INT64, is_attribute_key, is_event_name, value_type
from consent._core.spec import AppSpec, Destination, Event, Field
from consent._wire.hits import build_hit
from consent._wire.http import encode, endpoint_for
from consent.testing.collector import otlp as collector_otlp

if TYPE_CHECKING:
    from consent._wire.hits import Value

NOTICE = {
    "purpose": "Learn.",
    "access": "The team.",
    "controller": "Example Ltd",
    "contact": "privacy@example.com",
    "legal_basis": "Consent.",
    "retention": "30 days",
    "recipients": "Example Ltd's own collector",
    "notice_date": "2026-12-01",
}


def test_the_proto_has_event_name() -> None:
    """LogRecord.event_name came with opentelemetry-proto 1.5.0 (the Python package 1.35)."""
    assert "event_name" in logs_pb2.LogRecord.DESCRIPTOR.fields_by_name


# --- generated specs ---------------------------------------------------------------------------

_words = st.from_regex(r"[a-z][a-z0-9_]{0,7}", fullmatch=True)
keys = st.lists(_words, min_size=1, max_size=3).map(".".join).filter(is_attribute_key)
event_names = st.lists(_words, min_size=1, max_size=3).map(".".join).filter(is_event_name)
texts = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=24).filter(
    str.strip
)
int64 = st.integers(INT64.start, INT64.stop - 1)


@st.composite
def ranges(draw: st.DrawFn) -> range:
    start = draw(int64)
    stop = draw(st.integers(start + 1, min(start + 10**6, INT64.stop)))
    return range(start, stop)


@st.composite
def runtime_fields(draw: st.DrawFn, wire: str) -> Field:
    shape = draw(st.sampled_from(["range", "bool", "strings"]))
    if shape == "range":
        allowed: tuple[str, ...] | range = draw(ranges())
        example = str(allowed[0])  # type: ignore[index]
    elif shape == "bool":
        allowed = tuple(draw(st.permutations(("true", "false"))))
        example = "true"
    else:
        allowed = tuple(draw(st.lists(texts, min_size=1, max_size=4, unique=True)))
        example = allowed[0]
    return Field(wire, "A runtime value.", example, "runtime", allowed=allowed)


@st.composite
def otlp_specs(draw: st.DrawFn) -> AppSpec:
    wires = draw(st.lists(keys, min_size=3, max_size=9, unique=True))
    client, hit_type, *rest = wires
    fields = [
        Field(client, "Pseudonymous id.", "6f1c…", "client_id"),
        Field(hit_type, "Which event.", "x", "hit_type"),
    ]
    command = None
    if rest and draw(st.booleans()):
        command = rest.pop()
        fields.append(Field(command, "The command.", "app cmd", "command"))
    constants = []
    for wire in rest[: draw(st.integers(0, len(rest)))]:
        value = draw(st.one_of(int64.map(str), st.sampled_from(["true", "false"]), texts))
        fields.append(Field(wire, "A constant.", value, "constant", value))
        constants.append(wire)
    runtime = [w for w in rest if w not in constants]
    for wire in runtime:
        fields.append(draw(runtime_fields(wire)))
    names = draw(st.lists(event_names, min_size=1, max_size=3, unique=True))
    events = []
    for i, name in enumerate(names):
        carried = tuple(draw(st.lists(st.sampled_from(runtime), unique=True))) if runtime else ()
        if command is not None and i == 0:
            carried = (command, *carried)
        events.append(Event(f"event{i}", "An event.", name, carried))
    common = (client, hit_type, *constants)
    return AppSpec(
        name=draw(st.from_regex(r"[a-z][a-z0-9-]{0,15}", fullmatch=True)),
        display_name="App",
        version=draw(texts),
        env_prefix="APP",
        mode="opt-in",
        destination=Destination("otlp", endpoint="https://otel.example.com/v1/logs"),
        fields=tuple(fields),
        common=common,
        events=tuple(events),
        **NOTICE,
    )


@st.composite
def hits(draw: st.DrawFn) -> tuple[AppSpec, Event, dict[str, Value], int]:
    spec = draw(otlp_specs())
    event = draw(st.sampled_from(spec.events))
    values: dict[str, Value] = {}
    for wire in spec.event_fields(event):
        f = spec.field(wire)
        if f.kind != "runtime":
            continue
        if isinstance(f.allowed, range):
            values[wire] = draw(st.sampled_from(f.allowed))
        elif sorted(f.allowed or ()) == ["false", "true"]:
            values[wire] = draw(st.booleans())
        else:
            values[wire] = draw(st.sampled_from(f.allowed or ()))
    return spec, event, values, draw(st.integers(1, 2**63 - 1))


def keys_of(value: object) -> Iterator[str]:
    """Every object key in a JSON value, except attribute keys' values."""
    if isinstance(value, dict):
        for k, v in value.items():
            yield k
            yield from keys_of(v)
    elif isinstance(value, list):
        for v in value:
            yield from keys_of(v)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hits())
def test_every_body_is_a_valid_export_logs_service_request(
    case: tuple[AppSpec, Event, dict[str, Value], int],
) -> None:
    spec, event, values, when = case
    hit = build_hit(spec, event.name, client_id="id-1", command="app cmd", values=values)
    request = encode(spec, hit, endpoint_for(spec, {}), time_unix_nano=when)
    assert request.target == "/v1/logs"
    assert dict(request.headers)["Content-Type"] == "application/json"

    parsed = ExportLogsServiceRequest()
    json_format.Parse(request.body.decode("utf-8"), parsed, ignore_unknown_fields=False)

    (resource_logs,) = parsed.resource_logs
    resource = {a.key: a.value.string_value for a in resource_logs.resource.attributes}
    assert resource == {"service.name": spec.name, "service.version": spec.version}
    (scope_logs,) = resource_logs.scope_logs
    (record,) = scope_logs.log_records
    assert record.time_unix_nano == when and record.event_name == event.hit_type
    assert not record.HasField("body") and record.severity_number == 0
    assert not (record.trace_id or record.span_id or record.observed_time_unix_nano)

    # Exactly the declared fields but the event's name, in order, each typed by its declaration.
    declared = [w for w in spec.event_fields(event) if spec.field(w).kind != "hit_type"]
    assert [a.key for a in record.attributes] == declared
    sent = dict(hit.pairs)
    for attribute in record.attributes:
        f = spec.field(attribute.key)
        kind = value_type(f.kind, f.allowed, f.value)
        which = attribute.value.WhichOneof("value")
        if kind == "int":
            assert which == "int_value" and attribute.value.int_value == int(sent[f.wire])
        elif kind == "bool":
            assert which == "bool_value" and attribute.value.bool_value == (sent[f.wire] == "true")
        else:
            assert which == "string_value" and attribute.value.string_value == sent[f.wire]

    # What the proto parser accepts either way, the OTLP JSON encoding does not.
    body = json.loads(request.body)
    assert all(k[:1].islower() and "_" not in k for k in keys_of(body)), body
    text = request.body.decode("utf-8")
    assert f'"timeUnixNano":"{when}"' in text
    assert all(
        isinstance(a["value"]["intValue"], str)
        for a in body["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]["attributes"]
        if "intValue" in a["value"]
    )

    # The test kit's collector agrees, and decodes the same record.
    verdict = collector_otlp.validate(request.body, "application/json")
    assert verdict.valid, verdict.messages
    (entry,) = collector_otlp.decode(verdict.payload)
    assert (entry.service_name, entry.event_name, entry.time_unix_nano) == (
        spec.name,
        event.hit_type,
        when,
    )
    assert list(entry.attributes) == declared


def test_an_event_that_does_not_carry_its_name_is_a_record_without_one() -> None:
    """OTLP requires no field of a hit (consent/_core/spec.py): an event whose fields leave out
    the hit type's field is a log record with an empty eventName (the proto3 default), still a
    valid request, and its other fields are its attributes."""
    spec = AppSpec(
        name="app",
        display_name="App",
        version="1.0",
        env_prefix="APP",
        mode="opt-in",
        destination=Destination("otlp", endpoint="https://otel.example.com/v1/logs"),
        fields=(
            Field("app.id", "Pseudonymous id.", "6f1c…", "client_id"),
            Field("app.event", "Which event.", "x", "hit_type"),
            Field("app.count", "How many.", "3", "runtime", allowed=range(0, 10)),
        ),
        common=("app.id",),
        events=(Event("ran", "It ran.", "app.ran", ("app.count",)),),
        **NOTICE,
    )
    spec.check()
    hit = build_hit(spec, "ran", client_id="id-1", values={"app.count": 3})
    body = encode(spec, hit, endpoint_for(spec, {}), time_unix_nano=7).body
    parsed = ExportLogsServiceRequest()
    json_format.Parse(body.decode("utf-8"), parsed, ignore_unknown_fields=False)
    (record,) = parsed.resource_logs[0].scope_logs[0].log_records
    assert record.event_name == "" and [a.key for a in record.attributes] == ["app.id", "app.count"]
    assert json.loads(body)["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0] == {
        "timeUnixNano": "7",
        "eventName": "",
        "attributes": [
            {"key": "app.id", "value": {"stringValue": "id-1"}},
            {"key": "app.count", "value": {"intValue": "3"}},
        ],
    }
