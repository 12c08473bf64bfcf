"""Validation of OTLP/HTTP JSON logs (`POST /v1/logs`), stricter than an OpenTelemetry Collector.

Pure functions; stdlib only (the local collector needs no protobuf). A body is checked against
the `ExportLogsServiceRequest` message of the OpenTelemetry protocol (opentelemetry-proto: its
collector/logs/v1, logs/v1, common/v1 and resource/v1 messages, the stable fields) in the JSON
encoding the OTLP specification prescribes:

- keys are the fields' lowerCamelCase JSON names; the original snake_case names are not valid;
- 64-bit integers are decimal strings (numbers are accepted too, as proto3 JSON reads them);
  enums are integers; `traceId` and `spanId` are hex;
- an unknown key is an error here (a real receiver must ignore it; a test kit must not, or a
  typo would pass), so is a key given twice and a oneof given two values.

On top of the schema, what every hit of consent carries: a `service.name` resource attribute,
and on each log record a `timeUnixNano` and an `eventName`. tests/testing/test_collector_otlp.py
holds the schema check to the official protobuf definitions' strict parse.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from typing import Any

from consent._core.value import Record

__all__ = [
    "LOGS_PATH",
    "LogEntry",
    "OtlpVerdict",
    "decode",
    "error_reply",
    "success_reply",
    "validate",
]

LOGS_PATH = "/v1/logs"

# message -> {json name: (type, repeated)}; a type is another message or a scalar below.
MESSAGES: dict[str, dict[str, tuple[str, bool]]] = {
    "ExportLogsServiceRequest": {"resourceLogs": ("ResourceLogs", True)},
    "ResourceLogs": {
        "resource": ("Resource", False),
        "scopeLogs": ("ScopeLogs", True),
        "schemaUrl": ("string", False),
    },
    "Resource": {
        "attributes": ("KeyValue", True),
        "droppedAttributesCount": ("uint32", False),
    },
    "ScopeLogs": {
        "scope": ("InstrumentationScope", False),
        "logRecords": ("LogRecord", True),
        "schemaUrl": ("string", False),
    },
    "InstrumentationScope": {
        "name": ("string", False),
        "version": ("string", False),
        "attributes": ("KeyValue", True),
        "droppedAttributesCount": ("uint32", False),
    },
    "LogRecord": {
        "timeUnixNano": ("fixed64", False),
        "observedTimeUnixNano": ("fixed64", False),
        "severityNumber": ("enum", False),
        "severityText": ("string", False),
        "body": ("AnyValue", False),
        "attributes": ("KeyValue", True),
        "droppedAttributesCount": ("uint32", False),
        "flags": ("fixed32", False),
        "traceId": ("hex16", False),
        "spanId": ("hex8", False),
        "eventName": ("string", False),
    },
    "KeyValue": {"key": ("string", False), "value": ("AnyValue", False)},
    "AnyValue": {
        "stringValue": ("string", False),
        "boolValue": ("bool", False),
        "intValue": ("int64", False),
        "doubleValue": ("double", False),
        "arrayValue": ("ArrayValue", False),
        "kvlistValue": ("KeyValueList", False),
        "bytesValue": ("bytes", False),
    },
    "ArrayValue": {"values": ("AnyValue", True)},
    "KeyValueList": {"values": ("KeyValue", True)},
}
ONEOF = frozenset({"AnyValue"})  # every field of AnyValue belongs to its one oneof `value`
_RANGES = {
    "int64": (-(2**63), 2**63 - 1),
    "fixed64": (0, 2**64 - 1),
    "uint32": (0, 2**32 - 1),
    "fixed32": (0, 2**32 - 1),
    "enum": (-(2**31), 2**31 - 1),
}
_HEX = frozenset("0123456789abcdefABCDEF")
MAX_DEPTH = 32  # AnyValue nests; a body deeper than this is refused, not recursed into


def snake_case(name: str) -> str:
    """The original proto field name of a lowerCamelCase JSON name."""
    return "".join("_" + c.lower() if c.isupper() else c for c in name)


_SNAKE = {snake_case(k): k for fields in MESSAGES.values() for k in fields if snake_case(k) != k}


class OtlpVerdict(Record):
    """The messages (empty when valid) and the body as parsed (None if it was not JSON)."""

    messages: tuple[str, ...]
    payload: object | None
    schema_valid: bool = False  # the schema alone held, whatever the consent-specific checks said

    @property
    def valid(self) -> bool:
        return not self.messages


class LogEntry(Record):
    """One log record as it arrived, decoded: what a test asserts on."""

    service_name: str
    service_version: str
    event_name: str
    time_unix_nano: int
    attributes: dict[str, object]  # key -> value: str, bool, int, float, bytes, list or dict
    resource: dict[str, object]  # every resource attribute, decoded the same way


class _Duplicate(ValueError):
    pass


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise _Duplicate(f"the key {key!r} is given twice in one object")
        out[key] = value
    return out


def validate(body: bytes, content_type: str | None) -> OtlpVerdict:
    """Check one `POST /v1/logs` request body and its Content-Type."""
    messages: list[str] = []
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media != "application/json":
        messages.append(
            f"Content-Type must be application/json for OTLP/HTTP JSON, not {content_type!r}"
        )
    try:
        payload = json.loads(body.decode("utf-8"), object_pairs_hook=_object)
    except _Duplicate as exc:
        return OtlpVerdict((*messages, f"the body is not a valid message: {exc}"), None)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return OtlpVerdict((*messages, f"the body is not JSON: {exc}"), None)
    schema: list[str] = []
    _check(payload, "ExportLogsServiceRequest", "$", schema, 0)
    messages += schema
    if not schema:
        messages += _profile(payload)
    return OtlpVerdict(tuple(messages), payload, not schema)


def schema_problems(payload: object) -> list[str]:
    """The schema check alone, on a parsed body."""
    out: list[str] = []
    _check(payload, "ExportLogsServiceRequest", "$", out, 0)
    return out


def _check(value: object, message: str, path: str, out: list[str], depth: int) -> None:
    if depth > MAX_DEPTH:
        out.append(f"{path}: nested deeper than {MAX_DEPTH} levels")
        return
    if not isinstance(value, dict):
        out.append(f"{path}: a {message} must be a JSON object, not {_kind(value)}")
        return
    fields = MESSAGES[message]
    set_in_oneof = []
    for key, item in value.items():
        where = f"{path}.{key}"
        if key not in fields:
            if key in _SNAKE and _SNAKE[key] in fields:
                out.append(f"{where}: OTLP JSON keys are lowerCamelCase: {_SNAKE[key]!r}")
            else:
                out.append(f"{where}: {message} has no field {key!r}")
            continue
        if item is None:
            continue  # proto3 JSON: null is the field's default
        kind, repeated = fields[key]
        if message in ONEOF:
            set_in_oneof.append(key)
        if repeated:
            if not isinstance(item, list):
                out.append(f"{where}: must be a JSON array, not {_kind(item)}")
                continue
            for i, element in enumerate(item):
                if element is None:
                    out.append(f"{where}[{i}]: null is not a {kind}")
                else:
                    _check_one(element, kind, f"{where}[{i}]", out, depth)
        else:
            _check_one(item, kind, where, out, depth)
    if len(set_in_oneof) > 1:
        out.append(f"{path}: {message} holds one value, not {', '.join(set_in_oneof)}")


def _check_one(value: object, kind: str, path: str, out: list[str], depth: int) -> None:
    if kind in MESSAGES:
        _check(value, kind, path, out, depth + 1)
    elif kind == "string":
        if not isinstance(value, str):
            out.append(f"{path}: must be a string, not {_kind(value)}")
    elif kind == "bool":
        if not isinstance(value, bool):
            out.append(f"{path}: must be true or false, not {_kind(value)}")
    elif kind in _RANGES:
        _check_integer(value, kind, path, out)
    elif kind == "double":
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            out.append(f"{path}: must be a number, not {_kind(value)}")
        elif isinstance(value, str) and value not in ("NaN", "Infinity", "-Infinity"):
            try:
                float(value)
            except ValueError:
                out.append(f"{path}: {value!r} is not a number")
    elif kind == "bytes":
        if not isinstance(value, str):
            out.append(f"{path}: must be a base64 string, not {_kind(value)}")
        else:
            try:
                base64.b64decode(value + "=" * (-len(value) % 4), validate=True)
            except (binascii.Error, ValueError):
                out.append(f"{path}: {value[:40]!r} is not base64")
    elif kind in ("hex16", "hex8"):
        width = 32 if kind == "hex16" else 16
        if not isinstance(value, str) or not (
            value == "" or (len(value) == width and set(value) <= _HEX)
        ):
            out.append(f"{path}: must be {width} hex digits (OTLP JSON ids are hex, not base64)")


def _check_integer(value: object, kind: str, path: str, out: list[str]) -> None:
    low, high = _RANGES[kind]
    if isinstance(value, bool):
        out.append(f"{path}: must be an integer, not a boolean")
        return
    if isinstance(value, str):
        if kind == "enum":
            out.append(f"{path}: OTLP JSON encodes an enum as an integer, not {value!r}")
            return
        parsed = _integer_text(value)
        if parsed is None:
            out.append(f"{path}: {value[:40]!r} is not a decimal integer")
            return
        number = parsed
    elif isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer():
        number = int(value)
    else:
        out.append(f"{path}: must be an integer, not {_kind(value)}")
        return
    if not low <= number <= high:
        out.append(f"{path}: {number} is out of range for {kind}")


def _integer_text(value: str) -> int | None:
    """An integer field written as a JSON string, read as the proto3 JSON mapping reads it: a
    decimal integer, or a number in exponent or decimal notation whose value is an integer
    (`"1e3"`, `"1.0"`), as protobuf's own parser accepts them. ASCII only, no spaces or
    underscores (Python's `int` would take `"1_0"` and other scripts' digits; JSON does not)."""
    if not value.isascii() or any(c.isspace() or c == "_" for c in value):
        return None
    try:
        return int(value)
    except ValueError:
        pass
    try:
        number = float(value)
    except ValueError:
        return None
    return int(number) if number.is_integer() else None  # inf and nan are not integers


def _number(value: object) -> int:
    """A (valid) integer field's value, however the body spelled it; 0 when it is absent."""
    if isinstance(value, str):
        return _integer_text(value) or 0
    return int(value) if isinstance(value, int | float) else 0


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
    }.get(type(value), type(value).__name__)


def _profile(payload: Mapping[str, Any]) -> list[str]:
    """What every hit of consent carries, beyond the schema."""
    out: list[str] = []
    resources = payload.get("resourceLogs") or []
    if not resources:
        out.append("$.resourceLogs: a request carries at least one resource")
    for r, resource_logs in enumerate(resources):
        where = f"$.resourceLogs[{r}]"
        attributes = _attributes((resource_logs.get("resource") or {}).get("attributes"))
        if not isinstance(attributes.get("service.name"), str) or not attributes["service.name"]:
            out.append(f"{where}.resource: no service.name attribute (a string)")
        out += _duplicates((resource_logs.get("resource") or {}).get("attributes"), where)
        records = [
            (s, i, record)
            for s, scope in enumerate(resource_logs.get("scopeLogs") or [])
            for i, record in enumerate(scope.get("logRecords") or [])
        ]
        if not records:
            out.append(f"{where}: no log record")
        for s, i, record in records:
            at = f"{where}.scopeLogs[{s}].logRecords[{i}]"
            if not _number(record.get("timeUnixNano")):
                out.append(f"{at}: no timeUnixNano")
            if not record.get("eventName"):
                out.append(f"{at}: no eventName")
            out += _duplicates(record.get("attributes"), at)
    return out


def _duplicates(attributes: object, where: str) -> list[str]:
    keys = [a.get("key", "") for a in attributes or [] if isinstance(a, dict)]  # type: ignore[attr-defined]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    return [f"{where}: the attribute {k!r} is given twice" for k in twice]


def _attributes(attributes: object) -> dict[str, object]:
    out: dict[str, object] = {}
    for item in attributes or []:  # type: ignore[attr-defined]
        if isinstance(item, dict):
            out[str(item.get("key") or "")] = any_value(item.get("value"))
    return out


def any_value(value: object) -> object:
    """The Python value of a (valid) AnyValue: int for intValue, bytes for bytesValue, ..."""
    if not isinstance(value, dict):
        return None
    for key, item in value.items():
        if item is None:
            continue
        if key == "intValue":
            return _number(item)
        if key == "doubleValue":
            return float(item)
        if key == "bytesValue":
            return base64.b64decode(item + "=" * (-len(item) % 4))
        if key == "arrayValue":
            return [any_value(v) for v in item.get("values") or []]
        if key == "kvlistValue":
            return _attributes(item.get("values"))
        return item
    return None


def decode(payload: object) -> list[LogEntry]:
    """Every log record of a valid body, with its resource's service name and version."""
    out: list[LogEntry] = []
    if not isinstance(payload, dict):
        return out
    for resource_logs in payload.get("resourceLogs") or []:
        resource = _attributes((resource_logs.get("resource") or {}).get("attributes"))
        for scope in resource_logs.get("scopeLogs") or []:
            for record in scope.get("logRecords") or []:
                out.append(
                    LogEntry(
                        str(resource.get("service.name", "")),
                        str(resource.get("service.version", "")),
                        str(record.get("eventName") or ""),
                        _number(record.get("timeUnixNano")),
                        _attributes(record.get("attributes")),
                        resource,
                    )
                )
    return out


def success_reply() -> bytes:
    """An ExportLogsServiceResponse with partialSuccess unset: full success."""
    return b"{}"


def error_reply(messages: tuple[str, ...]) -> bytes:
    """A google.rpc.Status, as an OTLP/HTTP server answers 400: code 3 (INVALID_ARGUMENT)."""
    return json.dumps({"code": 3, "message": "; ".join(messages)[:2000]}).encode("utf-8")
