"""Validation of GA4 Measurement Protocol requests, as Google's `/debug/mp/collect` does it.

Pure functions only; the local collector (consent.testing.collector.server) does the I/O. The rules,
numbered G1-G11 here and in tests/, follow Google's GA4 Measurement Protocol reference; parsing (G3) lives in consent.testing.collector.ga4_schema,
names and values (G6-G9) in consent.testing.collector.ga4_events.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from urllib.parse import parse_qsl

from consent._core.value import Record
from consent.testing.collector import ga4_limits as lim
from consent.testing.collector.ga4_events import check_events, check_user_properties
from consent.testing.collector.ga4_limits import (
    DEFAULT_RESERVED_EVENT_NAMES,
    RESERVED_EVENT_NAMES_2023,
)
from consent.testing.collector.ga4_schema import ValidationMessage, parse

__all__ = [
    "DEFAULT_RESERVED_EVENT_NAMES",
    "GA4_HOSTS",
    "RESERVED_EVENT_NAMES_2023",
    "Ga4Verdict",
    "ValidationMessage",
    "check_host",
    "debug_reply",
    "method_allowed",
    "validate",
]

# Google's GA4 collection hosts: the global one, and the one for collection and processing in the
# EU (`region1`, no hyphen). A request whose Host names another google-analytics.com host would go
# nowhere; any other host is a stand-in (this collector, a self-hosted endpoint) and is not judged.
GA4_HOSTS = {"www.google-analytics.com": "global", "region1.google-analytics.com": "eu"}
_CLIENT_ID = re.compile(r"\d+\.\d+", re.ASCII)
_APP_INSTANCE_ID = re.compile(r"[0-9A-Fa-f]{32}")


class Ga4Verdict(Record):
    """Messages, the payload as parsed (None if it was not JSON), and when each event counts.

    `event_times_micros` applies the protocol's timestamp rule: the event's own timestamp, else the request's,
    else the time received; in RELAXED mode a time older than 72 h is clamped to now - 72 h.
    """

    messages: tuple[ValidationMessage, ...]
    payload: object | None
    event_times_micros: tuple[int, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.messages


def method_allowed(method: str) -> bool:
    """G1: the GA4 endpoints take POST only (anything else gets 405)."""
    return method == "POST"


def _msg(path: str | None, text: str, code: str) -> ValidationMessage:
    return ValidationMessage(path, text, code)


def _check_query(query: str) -> list[ValidationMessage]:
    """G2: presence only; Google does not check that the values are correct."""
    params = dict(parse_qsl(query, keep_blank_values=True))
    out = []
    if not params.get("api_secret"):
        text = "Unable to find non-empty parameter [api_secret] value in request."
        out.append(_msg("api_secret", text, "VALUE_REQUIRED"))
    ids = [k for k in ("measurement_id", "firebase_app_id") if params.get(k)]
    if not ids:
        text = "Unable to find non-empty parameter [measurement_id] value in request."
        out.append(_msg("measurement_id", text, "VALUE_REQUIRED"))
    elif len(ids) == 2:
        text = "Only one of [measurement_id] and [firebase_app_id] may be given in the request."
        out.append(_msg("measurement_id", text, "VALUE_INVALID"))
    return out


def _check_identity(query: str, body: Mapping[str, object]) -> list[ValidationMessage]:
    """G5, plus the client_id format that ENFORCE_RECOMMENDATIONS adds."""
    params = dict(parse_qsl(query, keep_blank_values=True))
    out = []
    client_id = body.get("client_id")
    if params.get("measurement_id") and client_id in (None, ""):
        out.append(_msg("client_id", "Measurement requires a client_id.", "VALUE_REQUIRED"))
    elif (
        isinstance(client_id, str)
        and body.get("validation_behavior") == "ENFORCE_RECOMMENDATIONS"
        and not _CLIENT_ID.fullmatch(client_id)
    ):
        text = (
            f"client_id [{client_id}] has invalid format. It should be in <number>.<number> format."
        )
        out.append(_msg("client_id", text, "VALUE_INVALID"))
    app_id = body.get("app_instance_id")
    if params.get("firebase_app_id") and not params.get("measurement_id"):
        if app_id in (None, ""):
            text = "Measurement requires an app_instance_id."
            out.append(_msg("app_instance_id", text, "VALUE_REQUIRED"))
        elif isinstance(app_id, str) and not _APP_INSTANCE_ID.fullmatch(app_id):
            text = (
                "Measurement app_instance_id is expected to be a 32 digit hexadecimal number "
                f"but was [{len(app_id)}] digits."
            )
            out.append(_msg("app_instance_id", text, "VALUE_INVALID"))
    user_id = body.get("user_id")
    if isinstance(user_id, str) and len(user_id) > lim.MAX_USER_ID:
        text = (
            f"user_id is [{len(user_id)}] characters long; at most [{lim.MAX_USER_ID}] are allowed."
        )
        out.append(_msg("user_id", text, "VALUE_OUT_OF_BOUNDS"))
    return out


def check_host(host: str | None) -> list[ValidationMessage]:
    """The Host header: a google-analytics.com host must be one of GA4_HOSTS."""
    name = (host or "").strip().lower()
    if name.startswith("["):  # an IPv6 literal: never Google's name
        return []
    name = name.partition(":")[0]
    if not (name == "google-analytics.com" or name.endswith(".google-analytics.com")):
        return []
    if name in GA4_HOSTS:
        return []
    known = " or ".join(GA4_HOSTS)
    text = f"Host [{name}] is not a GA4 collection endpoint; use {known} (EU)."
    return [_msg("Host", text, "VALUE_INVALID")]


def _check_enums(body: Mapping[str, object], out: list[ValidationMessage]) -> None:
    """G10: validation_behavior and consent values."""
    behaviour = body.get("validation_behavior")
    if behaviour is not None and behaviour not in lim.VALIDATION_BEHAVIOURS:
        text = (
            f"validation_behavior [{behaviour}] must be one of {list(lim.VALIDATION_BEHAVIOURS)}."
        )
        out.append(_msg("validation_behavior", text, "VALUE_INVALID"))
    consent = body.get("consent")  # G10: each signal GRANTED or DENIED (the parser knows the keys)
    for key, value in consent.items() if isinstance(consent, dict) else ():
        if value not in lim.CONSENT_VALUES:
            text = f"consent.{key} [{value}] must be one of {list(lim.CONSENT_VALUES)}."
            out.append(_msg(f"consent.{key}", text, "VALUE_INVALID"))


def _timestamps(
    body: Mapping[str, object], now: int, out: list[ValidationMessage]
) -> tuple[int, ...]:
    """G10: timestamps older than 72 h; returns the effective time of each event."""
    enforce = body.get("validation_behavior") == "ENFORCE_RECOMMENDATIONS"
    oldest = now - lim.MAX_AGE_MICROS

    def effective(path: str, own: object, default: int) -> int:
        stamp = own if isinstance(own, int) else default
        if stamp >= oldest:
            return stamp
        if enforce and isinstance(own, int):
            text = (
                "Measurement timestamp_micros has timestamp too far in the past. Measurement "
                "protocol only supports timestamps [72h] into the past. The current time in "
                f"UNIX microseconds is [{now}]."
            )
            out.append(_msg(path, text, "VALUE_INVALID"))
        return oldest

    request_time = effective("timestamp_micros", body.get("timestamp_micros"), now)
    props = body.get("user_properties")
    for name, entry in props.items() if isinstance(props, dict) else ():
        if isinstance(entry, dict) and "timestamp_micros" in entry:
            path = f"user_properties.{name}.timestamp_micros"
            effective(path, entry["timestamp_micros"], request_time)
    events = body.get("events")
    return tuple(
        effective(f"events[{i}].timestamp_micros", e.get("timestamp_micros"), request_time)
        for i, e in enumerate(events if isinstance(events, list) else [])
        if isinstance(e, dict)
    )


def validate(
    query: str,
    body: bytes,
    *,
    now_micros: int,
    ga360: bool = False,
    reserved_event_names: frozenset[str] | None = None,
    host: str | None = None,
    declared: Mapping[str, str] | None = None,
) -> Ga4Verdict:
    """Rules G2-G10 on one request to `/mp/collect` or `/debug/mp/collect` (POST assumed).

    `query` is the raw query string; `now_micros` is the time the request was received; `host` is the
    Host header (a google-analytics.com host must be the global or the EU one); `declared`, when
    the collector knows the app's registry (`Collector.expect`), each param's type.
    """
    reserved = (
        DEFAULT_RESERVED_EVENT_NAMES if reserved_event_names is None else reserved_event_names
    )
    out = _check_query(query) + check_host(host)
    if len(body) >= lim.MAX_BODY_BYTES:  # G4
        text = "Post body must be smaller than 130kB"
        out.append(_msg(None, text, "VALUE_OUT_OF_BOUNDS"))
    payload, normal, parse_messages = parse(body)
    out.extend(parse_messages)
    if normal is None:
        return Ga4Verdict(tuple(out), payload)
    out.extend(_check_identity(query, normal))
    check_events(
        normal.get("events"),
        reserved,
        lim.MAX_PARAM_VALUE_GA360 if ga360 else lim.MAX_PARAM_VALUE,
        out,
        declared,
    )
    check_user_properties(normal.get("user_properties"), out)
    _check_enums(normal, out)
    times = _timestamps(normal, now_micros, out)
    return Ga4Verdict(tuple(out), payload, times)


def debug_reply(messages: Sequence[ValidationMessage]) -> bytes:
    """The `/debug/mp/collect` body (G11): `{"validationMessages": []}` when clean."""
    return json.dumps({"validationMessages": [m.to_json() for m in messages]}).encode()
