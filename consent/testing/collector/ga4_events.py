"""GA4 rules on names and values: events, params, items, user properties (G6-G9).

Pure functions over the normalized payload of consent.testing.collector.ga4_schema; messages are appended to
`out` in request order.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from consent.testing.collector import ga4_limits as lim
from consent.testing.collector.ga4_schema import ValidationMessage

_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*")


def _msg(path: str | None, text: str, code: str) -> ValidationMessage:
    return ValidationMessage(path, text, code)


def name_problem(name: str, limit: int) -> str | None:
    """Why `name` is not a valid event/param/user-property name, or None (G7-G9)."""
    if not name:
        return "Names must not be empty."
    if len(name) > limit:
        return f"Names must be at most [{limit}] characters long."
    if not _NAME.match(name[0]):
        return "Names must start with an alphabetic character."
    if not _NAME.fullmatch(name):
        return "Names must contain only alphanumeric characters and underscores."
    if name.startswith(lim.RESERVED_PREFIXES):
        return "Names must not start with [google_], [ga_] or [firebase_]."
    return None


def _check_value(
    value: object, limit: int, path: str, who: str, out: list[ValidationMessage]
) -> None:
    """A param or item value: a string of at most `limit` characters, or a number (G8)."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        out.append(_msg(path, f"{who} must be a string or a number.", "VALUE_INVALID"))
    elif isinstance(value, str) and len(value) > limit:
        text = f"{who} is [{len(value)}] characters long; at most [{limit}] are allowed."
        out.append(_msg(path, text, "VALUE_OUT_OF_BOUNDS"))


def _check_name(
    name: str, limit: int, reserved: frozenset[str], path: str, who: str
) -> ValidationMessage | None:
    if name in reserved:
        return _msg(path, f"{who} has reserved name [{name}].", "NAME_RESERVED")
    problem = name_problem(name, limit)
    if problem is not None:
        return _msg(path, f"{who} has invalid name [{name}]. {problem}", "NAME_INVALID")
    return None


def _check_items(i: int, items: object, limit: int, out: list[ValidationMessage]) -> None:
    path = f"events[{i}].params.items"
    if not isinstance(items, list):
        text = f"Event at index: [{i}] param [items] must be an array of objects."
        out.append(_msg(path, text, "VALUE_INVALID"))
        return
    for j, item in enumerate(items):
        who = f"Item at index: [{j}] of event at index: [{i}]"
        if not isinstance(item, dict):
            out.append(_msg(f"{path}[{j}]", f"{who} must be an object.", "VALUE_INVALID"))
            continue
        custom = [k for k in item if k not in lim.STANDARD_ITEM_PARAMS]
        if len(custom) > lim.MAX_ITEM_CUSTOM_PARAMS:
            text = f"{who} can have at most [{lim.MAX_ITEM_CUSTOM_PARAMS}] custom params."
            out.append(_msg(f"{path}[{j}]", text, "EXCEEDED_MAX_ENTITIES"))
        for key, value in item.items():
            bad = _check_name(
                key, lim.MAX_PARAM_NAME, lim.RESERVED_PARAM_NAMES, f"{path}[{j}]", who
            )
            out.extend([bad] if bad else [])
            _check_value(value, limit, f"{path}[{j}].{key}", f"{who} param [{key}]", out)


def _check_declared(
    value: object, declared: Mapping[str, str], key: str, path: str, who: str
) -> ValidationMessage | None:
    """The app's registry, when the collector knows it: every param declared, an integer field's
    value a JSON integer (not its text), any other field's a string."""
    kind = declared.get(key)
    if kind is None:
        return _msg(path, f"{who} is not declared by the app's registry.", "NAME_INVALID")
    if kind == "integer" and type(value) is not int:
        text = f"{who} must be a number: the app's registry declares an integer."
        return _msg(path, text, "VALUE_INVALID")
    if kind == "string" and not isinstance(value, str):
        return _msg(
            path, f"{who} must be a string, as the app's registry declares.", "VALUE_INVALID"
        )
    return None


def check_events(
    events: object,
    reserved: frozenset[str],
    limit: int,
    out: list[ValidationMessage],
    declared: Mapping[str, str] | None = None,
) -> None:
    """G6-G8 on the normalized `events` array; with `declared` (wire name -> "integer" or
    "string"), each param against the app's registry too."""
    if events is None or events == []:
        out.append(_msg("events", "Request must contain at least one event.", "VALUE_REQUIRED"))
        return
    if not isinstance(events, list):
        return  # reported by the parser
    if len(events) > lim.MAX_EVENTS:
        text = f"Request has [{len(events)}] events; at most [{lim.MAX_EVENTS}] are allowed."
        out.append(_msg("events", text, "EXCEEDED_MAX_ENTITIES"))
    for i, event in enumerate(events):
        if not isinstance(event, dict):
            continue  # already reported by the parser
        who = f"Event at index: [{i}]"
        bad = _check_name(str(event.get("name", "")), lim.MAX_EVENT_NAME, reserved, "events", who)
        out.extend([bad] if bad else [])
        params = event.get("params", {})
        if not isinstance(params, dict):
            continue
        path = f"events[{i}].params"
        if len(params) > lim.MAX_PARAMS:
            text = f"{who} has [{len(params)}] params; at most [{lim.MAX_PARAMS}] are allowed."
            out.append(_msg(path, text, "EXCEEDED_MAX_ENTITIES"))
        for key, value in params.items():
            bad = _check_name(
                key, lim.MAX_PARAM_NAME, lim.RESERVED_PARAM_NAMES, path, f"{who} param"
            )
            out.extend([bad] if bad else [])
            if key == "items":
                _check_items(i, value, limit, out)
            else:
                _check_value(value, limit, f"{path}.{key}", f"{who} param [{key}]", out)
            if declared is not None:
                typed = _check_declared(
                    value, declared, key, f"{path}.{key}", f"{who} param [{key}]"
                )
                out.extend([typed] if typed else [])


def check_user_properties(props: object, out: list[ValidationMessage]) -> None:
    """G9 on the normalized `user_properties` object."""
    if not isinstance(props, dict):
        return
    if len(props) > lim.MAX_USER_PROPERTIES:
        limit = lim.MAX_USER_PROPERTIES
        text = f"Request has [{len(props)}] user properties; at most [{limit}] are allowed."
        out.append(_msg("user_properties", text, "EXCEEDED_MAX_ENTITIES"))
    for name, entry in props.items():
        who = f"User property [{name}]"
        bad = _check_name(
            name, lim.MAX_USER_PROPERTY_NAME, lim.RESERVED_USER_PROPERTIES, "user_properties", who
        )
        out.extend([bad] if bad else [])
        path = f"user_properties.{name}.value"
        if not isinstance(entry, dict):
            continue  # reported by the parser
        if "value" not in entry:
            out.append(_msg(path, f"{who} requires a value.", "VALUE_REQUIRED"))
        else:
            _check_value(entry["value"], lim.MAX_USER_PROPERTY_VALUE, path, f"{who} value", out)
