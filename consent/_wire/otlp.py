"""The body of one OTLP/HTTP JSON hit: an `ExportLogsServiceRequest` with one log record.

Written here, not by an OpenTelemetry SDK: the SDK's import alone would cost a sending host more
than its whole run, and it adds attributes of its own (the SDK's name and version, the host's).
The body holds exactly this (the notice lists each key, consent/_core/otlp.py ENVELOPE):

    {"resourceLogs":[{"resource":{"attributes":[service.name, service.version]},
      "scopeLogs":[{"logRecords":[{"timeUnixNano":"…","eventName":"…","attributes":[…]}]}]}]}

in the proto3 JSON mapping the OTLP specification prescribes: lowerCamelCase keys, 64-bit
integers as decimal strings, each attribute value typed by its field's declaration.
tests/wire/test_otlp_wire.py parses every body the toolkit can build with the official protobuf
definitions (opentelemetry-proto), strictly.
"""

from __future__ import annotations

from consent._core.otlp import attribute_value, value_type
from consent._core.spec import AppSpec
from consent._wire.hits import Hit


def otlp_body(spec: AppSpec, hit: Hit, time_unix_nano: int) -> dict[str, object]:
    """The request body for `hit`, recorded at `time_unix_nano`."""
    event_name = ""
    attributes: list[dict[str, object]] = []
    for wire, text in hit.pairs:
        f = spec.field(wire)
        if f.kind == "hit_type":
            event_name = str(text)
        else:
            attributes.append(
                {
                    "key": wire,
                    "value": attribute_value(value_type(f.kind, f.allowed, f.value), text),
                }
            )
    resource = [
        {"key": "service.name", "value": {"stringValue": spec.name}},
        {"key": "service.version", "value": {"stringValue": spec.version}},
    ]
    record = {
        "timeUnixNano": str(time_unix_nano),
        "eventName": event_name,
        "attributes": attributes,
    }
    return {
        "resourceLogs": [
            {"resource": {"attributes": resource}, "scopeLogs": [{"logRecords": [record]}]}
        ]
    }
