"""Validation of legacy Universal Analytics (Measurement Protocol v1) hits.

Pure functions only; the local collector (consent.testing.collector.server) does the I/O. The
rules, numbered U1-U10 here and in tests/, follow Google's Measurement Protocol v1 reference and
its hit validation server; the reply has the validation server's shape.
"""

from __future__ import annotations

import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from typing import Literal
from urllib.parse import unquote_to_bytes

from consent._core.spec import LEGACY_HIT_TYPES
from consent._core.value import Record

HIT_TYPES = frozenset(LEGACY_HIT_TYPES)  # the ones a spec is held to (consent/_core/spec.py)
MAX_POST_BODY = 8192
MAX_GET_URL = 8000
MAX_BATCH_HITS = 20
MAX_BATCH_BYTES = 16384
MAX_HIT_BYTES = 8192
MAX_QUEUE_TIME_MS = 14_400_000  # 4 h: Google documents that older hits may not be processed.

# U6: byte limits after URL-decoding; cd<n> is handled by pattern below.
MAX_BYTES = {
    "an": 100,
    "av": 100,
    "cd": 2048,
    "ec": 150,
    "ea": 500,
    "el": 500,
    "dl": 2048,
    "dp": 2048,
    "dt": 1500,
    "dh": 100,
    "ul": 20,
}
MAX_CUSTOM_DIMENSION_BYTES = 150
_CUSTOM = re.compile(r"(cd|cm)(\d+)", re.ASCII)
_TID = re.compile(r"UA-\d+-\d+", re.ASCII)
_INTEGER = re.compile(r"-?\d+", re.ASCII)
_DOCS = "Please see http://goo.gl/a8d4RP#{p} for details."

MessageType = Literal["INFO", "WARN", "ERROR"]


class ParserMessage(Record):
    """One entry of a `parserMessage` array."""

    message_type: MessageType
    description: str
    message_code: str | None = None
    parameter: str | None = None

    def to_json(self) -> dict[str, str]:
        out = {"messageType": self.message_type, "description": self.description}
        if self.message_code is not None:
            out["messageCode"] = self.message_code
        if self.parameter is not None:
            out["parameter"] = self.parameter
        return out

    def human(self) -> str:
        where = f" [{self.parameter}]" if self.parameter else ""
        code = f" {self.message_code}" if self.message_code else ""
        return f"{self.message_type}{code}{where}: {self.description}"


class HitResult(Record):
    """The verdict on one hit: its decoded parameters, the echo string and the messages."""

    params: Mapping[str, str]
    hit: str
    messages: tuple[ParserMessage, ...]

    @property
    def valid(self) -> bool:
        return not any(m.message_type == "ERROR" for m in self.messages)


def _error(code: str, param: str | None, description: str) -> ParserMessage:
    return ParserMessage("ERROR", description, code, param)


def invalid(param: str) -> ParserMessage:
    text = f"The value provided for parameter '{param}' is invalid. {_DOCS.format(p=param)}"
    return _error("VALUE_INVALID", param, text)


def required(param: str) -> ParserMessage:
    text = f"A value is required for parameter '{param}'. {_DOCS.format(p=param)}"
    return _error("VALUE_REQUIRED", param, text)


def out_of_bounds(param: str) -> ParserMessage:
    text = f"The value provided for parameter '{param}' is out of bounds. {_DOCS.format(p=param)}"
    return _error("VALUE_OUT_OF_BOUNDS", param, text)


def parse_payload(raw: bytes) -> dict[str, bytes]:
    """Decode one `k=v&k=v` payload to raw value bytes; the last occurrence of a key wins.

    Values stay bytes so that U6 can count UTF-8 bytes exactly even for undecodable input.
    """
    out: dict[str, bytes] = {}
    for part in raw.split(b"&"):
        if not part:
            continue
        key, _, value = part.partition(b"=")
        name = unquote_to_bytes(key.replace(b"+", b" ")).decode("utf-8", "replace")
        out[name] = unquote_to_bytes(value.replace(b"+", b" "))
    return out


def merge(query: bytes, body: bytes) -> dict[str, bytes]:
    """Merge query-string and form-body parameters; the body wins on conflict (as Google's collection server does)."""
    return {**parse_payload(query), **parse_payload(body)}


def split_batch(body: bytes) -> list[bytes]:
    """Split a `/batch` body into payloads: one per line, empty lines dropped."""
    return [line.rstrip(b"\r") for line in body.split(b"\n") if line.strip(b"\r")]


def _integer(value: str) -> int | None:
    return int(value) if _INTEGER.fullmatch(value) else None


def validate_params(raw: Mapping[str, bytes]) -> list[ParserMessage]:
    """Rules U1-U7 and U9 on one decoded hit."""
    p = {k: v.decode("utf-8", "replace") for k, v in raw.items()}
    msgs: list[ParserMessage] = []
    if p.get("v") != "1":  # U1
        msgs.append(invalid("v"))
    tid = p.get("tid", "")  # U2
    if not tid:
        text = f"Tracking Id is a required field for this hit. {_DOCS.format(p='tid')}"
        msgs.append(_error("VALUE_REQUIRED", "tid", text))
    elif not _TID.fullmatch(tid):
        msgs.append(invalid("tid"))
    if not p.get("cid") and not p.get("uid"):  # U3
        msgs.append(required("cid"))
    hit_type = p.get("t", "")
    if hit_type not in HIT_TYPES:  # U4
        msgs.append(invalid("t"))
    needed: list[str] = []  # U5
    if hit_type == "event":
        needed += ["ec", "ea"]
    if hit_type == "screenview":
        needed.append("cd")
    if any(p.get(k) for k in ("av", "aid", "aiid")):
        needed.append("an")
    msgs.extend(required(k) for k in needed if not p.get(k))
    for key, value in raw.items():  # U6, U7 (custom indexes)
        custom = _CUSTOM.fullmatch(key)
        if custom and not 1 <= int(custom.group(2)) <= 200:
            msgs.append(invalid(key))
            continue
        limit = MAX_CUSTOM_DIMENSION_BYTES if custom and custom[1] == "cd" else MAX_BYTES.get(key)
        if limit is not None and len(value) > limit:
            msgs.append(out_of_bounds(key))
    for key, upper in (("ev", None), ("qt", MAX_QUEUE_TIME_MS)):  # U7
        if key not in p:
            continue
        number = _integer(p[key])
        if number is None:
            msgs.append(invalid(key))
        elif number < 0 or (upper is not None and number > upper):
            msgs.append(out_of_bounds(key))
    if "uip" in p and _ip(p["uip"]) is None:  # U9
        msgs.append(invalid("uip"))
    return msgs


def _ip(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def anonymized_ip(text: str) -> str | None:
    """The address as Google stores it after `aip`: last IPv4 octet / last 80 IPv6 bits zeroed."""
    ip = _ip(text)
    if ip is None:
        return None
    bits = 8 if ip.version == 4 else 80
    return str(ipaddress.ip_network(f"{ip}/{ip.max_prefixlen - bits}", strict=False)[0])


def echo(method: str, target: str, version: str, body: bytes) -> str:
    """The `hit` echo of A.7: the request line for GET, `path?payload` for POST."""
    if method == "GET":
        return f"{method} {target} {version}"
    path, _, query = target.partition("?")
    payload = b"&".join(part for part in (_raw(query), body) if part)
    return f"{path}?{payload.decode('utf-8', 'replace')}" if payload else path


def check_hit(params: Mapping[str, bytes], hit: str) -> HitResult:
    """Validate one hit and add the `_anon_uip` suffix that Google appends to the echo."""
    msgs = validate_params(params)
    anon = anonymized_ip(params["uip"].decode("utf-8", "replace")) if "uip" in params else None
    if anon is not None:
        hit = f"{hit}?_anon_uip={anon}"
    decoded = {k: v.decode("utf-8", "replace") for k, v in params.items()}
    return HitResult(decoded, hit, tuple(msgs))


def _too_big(what: str, size: int, limit: int) -> ParserMessage:
    text = f"The {what} is {size} bytes; at most {limit} bytes are allowed."
    return _error("VALUE_OUT_OF_BOUNDS", None, text)


def _raw(text: str) -> bytes:
    # http.server decodes the request line as latin-1, so this recovers the bytes on the wire.
    return text.encode("latin-1", "replace")


def validate_single(method: str, target: str, version: str, body: bytes) -> HitResult:
    """U8 (single-hit sizes) plus the hit rules, for `/collect` and `/debug/collect`."""
    query = _raw(target.partition("?")[2])
    result = check_hit(merge(query, body), echo(method, target, version, body))
    extra: list[ParserMessage] = []
    if method == "GET" and len(_raw(target)) > MAX_GET_URL:
        extra.append(_too_big("request URL", len(_raw(target)), MAX_GET_URL))
    if len(body) > MAX_POST_BODY:
        extra.append(_too_big("POST body", len(body), MAX_POST_BODY))
    return HitResult(result.params, result.hit, (*extra, *result.messages))


def validate_batch(method: str, target: str, version: str, body: bytes) -> list[HitResult]:
    """U8 (batch sizes) plus the hit rules on every line of `/batch` or `/debug/batch`.

    A batch-wide violation is reported on every hit, since the whole request would be dropped.
    With no body lines the query string alone, if any, is the one hit.
    """
    query = _raw(target.partition("?")[2])
    lines = split_batch(body) or ([b""] if query else [])
    shared: list[ParserMessage] = []
    if len(lines) > MAX_BATCH_HITS:
        text = f"The batch holds {len(lines)} hits; at most {MAX_BATCH_HITS} are allowed."
        shared.append(_error("EXCEEDED_MAX_ENTITIES", None, text))
    if len(body) > MAX_BATCH_BYTES:
        shared.append(_too_big("batch body", len(body), MAX_BATCH_BYTES))
    results = []
    for line in lines:
        result = check_hit(merge(query, line), echo(method, target, version, line))
        own = [_too_big("hit", len(line), MAX_HIT_BYTES)] if len(line) > MAX_HIT_BYTES else []
        results.append(HitResult(result.params, result.hit, (*shared, *own, *result.messages)))
    return results


def debug_reply(results: Sequence[HitResult]) -> bytes:
    """The `/debug/collect` JSON body (U10); `&` is escaped as `\\u0026` like Google's server."""
    count = len(results)
    found = f"Found {count} hit{'' if count == 1 else 's'} in the request."
    document = {
        "hitParsingResult": [
            {
                "valid": r.valid,
                "parserMessage": [m.to_json() for m in r.messages],
                "hit": r.hit,
            }
            for r in results
        ],
        "parserMessage": [ParserMessage("INFO", found).to_json()],
    }
    # `&` occurs only inside JSON strings, so a textual replacement keeps the document valid.
    return json.dumps(document, indent=2).replace("&", "\\u0026").encode()
