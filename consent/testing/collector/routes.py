"""What the local collector answers to one request, and how it records it.

Pure: given a parsed request, `route` returns the record (`Received`, with its verdict) and the
reply a healthy collector sends. consent.testing.collector.http does the socket work and the misbehaviours.
"""

from __future__ import annotations

import base64
from typing import Literal
from urllib.parse import urlsplit

from consent._core.value import Record
from consent.testing.collector import ga4 as collector_ga4
from consent.testing.collector import otlp as collector_otlp
from consent.testing.collector import ua as collector_ua

# The 1x1 transparent GIF that Google's /collect answers with.
GIF = (
    b"GIF89a\x01\x00\x01\x00\x80\x00\x00\xff\xff\xff\x00\x00\x00!\xf9\x04\x01\x00\x00\x00\x00"
    b",\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;"
)
JSON_TYPE = "application/json; charset=utf-8"
INSPECTION_PATH = "/__hits"

Protocol = Literal["legacy", "ga4", "otlp", "unknown"]

# path -> (protocol, is a batch, allowed methods)
ROUTES: dict[str, tuple[Protocol, bool, tuple[str, ...]]] = {
    "/collect": ("legacy", False, ("GET", "POST")),
    "/debug/collect": ("legacy", False, ("GET", "POST")),
    "/batch": ("legacy", True, ("POST",)),
    "/debug/batch": ("legacy", True, ("GET", "POST")),
    "/mp/collect": ("ga4", False, ("POST",)),
    "/debug/mp/collect": ("ga4", False, ("POST",)),
    # OpenTelemetry: OTLP/HTTP JSON logs, validated strictly (consent.testing.collector.otlp).
    collector_otlp.LOGS_PATH: ("otlp", False, ("POST",)),
}


class Received(Record):
    """One request as the collector read it, with the verdict of the validation rules."""

    method: str
    path: str
    query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    protocol: Protocol
    debug: bool
    valid: bool
    messages: tuple[str, ...]  # human-readable validation messages; empty when valid
    params: dict[str, str] | None  # legacy single hit: merged query + form params (body wins)
    payload: object | None  # ga4, otlp: the parsed JSON body
    raw_request: bytes  # request line, header lines and body exactly as read from the socket
    received_at: float
    dump_file: str = ""  # where the collector wrote raw_request, when it dumps (`--dump DIR`)

    def logs(self) -> list[collector_otlp.LogEntry]:
        """otlp: every log record the body carries, decoded (its resource's service name and
        version, eventName, time, attributes as Python values); empty for other protocols."""
        return collector_otlp.decode(self.payload) if self.protocol == "otlp" else []

    def to_json(self) -> dict[str, object]:
        """The `/__hits` form; bytes are given as text (UTF-8, replaced) and as base64."""
        return {
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": [list(h) for h in self.headers],
            "body": self.body.decode("utf-8", "replace"),
            "body_base64": base64.b64encode(self.body).decode(),
            "protocol": self.protocol,
            "debug": self.debug,
            "valid": self.valid,
            "messages": list(self.messages),
            "params": self.params,
            "payload": self.payload,
            "raw_request_base64": base64.b64encode(self.raw_request).decode(),
            "received_at": self.received_at,
            "dump_file": self.dump_file or None,
        }


class Reply(Record):
    status: int
    content_type: str | None = None
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


class Request(Record):
    method: str
    target: str  # as in the request line (latin-1 decoded by http.server)
    version: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    raw: bytes
    received_at: float


class Settings(Record):
    ga360: bool = False
    reserved_event_names: frozenset[str] | None = None
    # The app's registry, when given (`Collector.expect`): each GA4 param's wire name and type.
    declared: tuple[tuple[str, str], ...] | None = None


def split_target(target: str) -> tuple[str, str]:
    """(path, query) of an origin-form or absolute-form request target."""
    if target.startswith("/"):
        path, _, query = target.partition("?")
        return path, query
    parts = urlsplit(target)
    return parts.path or target, parts.query


def route(request: Request, settings: Settings) -> tuple[Received, Reply]:
    """The record and the normal reply for any request except the inspection route."""
    path, query = split_target(request.target)
    protocol, batch, methods = ROUTES.get(path, ("unknown", False, ()))
    debug = path.startswith("/debug/")

    def record(
        valid: bool,
        messages: list[str],
        params: dict[str, str] | None = None,
        payload: object = None,
    ) -> Received:
        return Received(
            request.method,
            path,
            query,
            request.headers,
            request.body,
            protocol,
            debug,
            valid,
            tuple(messages),
            params,
            payload,
            request.raw,
            request.received_at,
        )

    if protocol == "unknown":
        text = f"no such endpoint: {path}"
        return record(False, [text]), Reply(404, "text/plain; charset=utf-8", text.encode())
    if request.method not in methods:
        allowed = ", ".join(methods)
        text = f"method {request.method} not allowed on {path}; use {allowed}"
        reply = Reply(405, "text/plain; charset=utf-8", text.encode(), (("Allow", allowed),))
        return record(False, [text]), reply
    if protocol == "otlp":
        content_type = next((v for k, v in request.headers if k.lower() == "content-type"), None)
        otlp = collector_otlp.validate(request.body, content_type)
        received = record(otlp.valid, list(otlp.messages), payload=otlp.payload)
        if otlp.valid:
            return received, Reply(200, "application/json", collector_otlp.success_reply())
        # As an OTLP/HTTP server answers: 415 for another media type, 400 for a bad body.
        status = 415 if content_type is None or "json" not in content_type.lower() else 400
        return received, Reply(
            status, "application/json", collector_otlp.error_reply(otlp.messages)
        )
    if protocol == "ga4":
        verdict = collector_ga4.validate(
            query,
            request.body,
            now_micros=int(request.received_at * 1_000_000),
            ga360=settings.ga360,
            reserved_event_names=settings.reserved_event_names,
            host=next((v for k, v in request.headers if k.lower() == "host"), None),
            declared=None if settings.declared is None else dict(settings.declared),
        )
        received = record(
            verdict.valid, [m.human() for m in verdict.messages], payload=verdict.payload
        )
        if debug:
            return received, Reply(200, JSON_TYPE, collector_ga4.debug_reply(verdict.messages))
        return received, Reply(204)
    target = f"{path}?{query}" if query else path  # the echo never shows an absolute-form host
    if batch:
        results = collector_ua.validate_batch(request.method, target, request.version, request.body)
        messages = [f"hit {i}: {m.human()}" for i, r in enumerate(results) for m in r.messages]
        if not results:
            messages.append("the batch holds no hits")
        received = record(bool(results) and all(r.valid for r in results), messages)
    else:
        result = collector_ua.validate_single(request.method, target, request.version, request.body)
        results = [result]
        messages = [m.human() for m in result.messages]
        received = record(result.valid, messages, dict(result.params))
    if debug:
        return received, Reply(200, JSON_TYPE, collector_ua.debug_reply(results))
    return received, Reply(200, "image/gif", GIF)
