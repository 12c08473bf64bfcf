"""Parsing a GA4 Measurement Protocol body the way Google's server does (rule G3).

The server reads the body like proto3 JSON: unknown fields are errors, each field may be spelled in
snake_case or lowerCamelCase, and a field given twice is refused. `parse` returns the payload as
parsed and a normalized copy (snake_case keys, JSON types checked) that the rules in
consent.testing.collector.ga4 can trust. Pure functions only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import TypeAlias

from consent._core.value import Record

PARSE_ERROR = "Unable to parse Measurement Protocol JSON payload."


class ValidationMessage(Record):
    """One entry of `validationMessages`; `field_path` is None where Google omits it."""

    field_path: str | None
    description: str
    validation_code: str

    def to_json(self) -> dict[str, str]:
        out = {"description": self.description, "validationCode": self.validation_code}
        if self.field_path is not None:
            out = {"fieldPath": self.field_path, **out}
        return out

    def human(self) -> str:
        where = f" [{self.field_path}]" if self.field_path else ""
        return f"{self.validation_code}{where}: {self.description}"


class Obj(Record):
    """A message with fixed fields."""

    fields: Mapping[str, Node]


class ListOf(Record):
    item: Node


class MapOf(Record):
    """Free-form names (event params, user properties) mapping to values of one shape."""

    value: Node


# Scalars: "string", "integer" (int64: a JSON integer or a decimal string), "boolean",
# "strings" (a string or an array of strings), "any" (checked later by the rules).
Node: TypeAlias = "str | Obj | ListOf | MapOf"

_ADDRESS = Obj(
    dict.fromkeys(
        (
            "sha256_first_name",
            "sha256_last_name",
            "sha256_street",
            "city",
            "region",
            "postal_code",
            "country",
        ),
        "string",
    )
)
_DEVICE_FIELDS = (
    "category",
    "language",
    "screen_resolution",
    "operating_system",
    "operating_system_version",
    "model",
    "brand",
    "browser",
    "browser_version",
)
_LOCATION_FIELDS = ("city", "region_id", "country_id", "subcontinent_id", "continent_id")
BODY = Obj(
    {
        "client_id": "string",
        "app_instance_id": "string",
        "user_id": "string",
        "timestamp_micros": "integer",
        "user_properties": MapOf(Obj({"value": "any", "timestamp_micros": "integer"})),
        "user_data": Obj(
            {
                "sha256_email_address": "strings",
                "sha256_phone_number": "strings",
                "address": ListOf(_ADDRESS),
            }
        ),
        "consent": Obj({"ad_user_data": "string", "ad_personalization": "string"}),
        "non_personalized_ads": "boolean",
        "user_location": Obj(dict.fromkeys(_LOCATION_FIELDS, "string")),
        "ip_override": "string",
        "device": Obj(dict.fromkeys(_DEVICE_FIELDS, "string")),
        "user_agent": "string",
        "validation_behavior": "string",
        "events": ListOf(
            Obj({"name": "string", "params": MapOf("any"), "timestamp_micros": "integer"})
        ),
    }
)

_INT64 = re.compile(r"-?\d+", re.ASCII)


class _JsonObject(dict[str, object]):
    """A parsed JSON object that remembers keys that occurred more than once."""

    duplicates: tuple[str, ...] = ()


def _pairs(pairs: list[tuple[str, object]]) -> _JsonObject:
    obj = _JsonObject(pairs)
    if len(obj) != len(pairs):
        seen: set[str] = set()
        duplicates: list[str] = []
        for key, _ in pairs:
            if key in seen:
                duplicates.append(key)
            seen.add(key)
        obj.duplicates = tuple(duplicates)
    return obj


def _no_constants(name: str) -> object:
    raise ValueError(f"{name} is not JSON")  # Python accepts NaN/Infinity; JSON does not.


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _parse_error(path: str, detail: str) -> ValidationMessage:
    where = f"({path}) " if path else ""
    return ValidationMessage(None, f"{PARSE_ERROR} {where}{detail}", "VALUE_INVALID")


def _duplicated(path: str, key: str) -> ValidationMessage:
    return ValidationMessage(
        _join(path, key), f"Field [{key}] is given more than once.", "NAME_DUPLICATED"
    )


def _scalar(value: object, kind: str) -> tuple[bool, object]:
    """Whether `value` fits the scalar `kind`, and its normalized form."""
    if kind == "any":
        return True, value
    if kind == "string":
        return isinstance(value, str), value
    if kind == "boolean":
        return isinstance(value, bool), value
    if kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return True, value
        if isinstance(value, str) and _INT64.fullmatch(value):
            return True, int(value)
        return False, value
    ok = isinstance(value, str) or (
        isinstance(value, list) and all(isinstance(v, str) for v in value)
    )
    return ok, value  # "strings"


def _walk(value: object, node: Node, path: str, out: list[ValidationMessage]) -> object:
    """Check `value` against `node`; return it normalized (snake_case keys, int64 as int)."""
    if isinstance(node, str):
        ok, normal = _scalar(value, node)
        if not ok:
            out.append(_parse_error(path, f"expected {node}."))
        return normal
    if isinstance(node, ListOf):
        if not isinstance(value, list):
            out.append(_parse_error(path, "expected an array."))
            return value  # left as sent: the rules skip what the parser already reported
        return [_walk(v, node.item, f"{path}[{i}]", out) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        out.append(_parse_error(path, "expected an object."))
        return value
    out.extend(_duplicated(path, key) for key in getattr(value, "duplicates", ()))
    if isinstance(node, MapOf):
        return {k: _walk(v, node.value, _join(path, k), out) for k, v in value.items()}
    spelled = {alias: name for name in node.fields for alias in (name, camel(name))}
    result: dict[str, object] = {}
    for key, item in value.items():
        name = spelled.get(key)
        if name is None:
            out.append(_parse_error(path, f"{key}: Cannot find field."))
        elif name in result:
            out.append(_duplicated(path, name))
        elif item is not None:  # proto3 JSON: null means "not set".
            result[name] = _walk(item, node.fields[name], _join(path, name), out)
    return result


def parse(body: bytes) -> tuple[object | None, dict[str, object] | None, list[ValidationMessage]]:
    """Parse `body`: (payload as sent, normalized payload, G3 messages).

    Both payloads are None when the body is not a JSON object at all.
    """
    try:
        payload = json.loads(
            body.decode("utf-8"), object_pairs_hook=_pairs, parse_constant=_no_constants
        )
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        return None, None, [ValidationMessage(None, PARSE_ERROR, "VALUE_INVALID")]
    if not isinstance(payload, dict):
        return payload, None, [_parse_error("", "The payload must be a JSON object.")]
    messages: list[ValidationMessage] = []
    normal = _walk(payload, BODY, "", messages)
    return payload, normal if isinstance(normal, dict) else {}, messages
