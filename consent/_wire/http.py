"""Encoding a hit into the exact HTTP request that leaves the machine.

Every byte that is sent is built here — request line, every header, body — so
`show-payload` can print precisely what the sender writes to the socket. No HTTP
library adds headers of its own.
"""

from __future__ import annotations

# Endpoint parsing lives in consent/_core/endpoint.py (the store checks a policy's with it).
from consent._core.endpoint import Endpoint, parse_endpoint

# json.dumps(body, separators=(",", ":"), ensure_ascii=False), without importing json.
from consent._core.jsonline import compact
from consent._core.spec import AppSpec
from consent._core.value import Record
from consent._errors import EndpointError, HitError
from consent._wire.hits import Hit

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

# Percent-encoding and URL parsing are written out here rather than taken from
# urllib.parse (with re) and ipaddress: those imports cost a sending host ~6 ms,
# more than the rest of the send path. tests/wire/test_http.py holds them to urllib's.
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


def quote(text: str) -> str:
    """Percent-encode like urllib.parse.quote(text, safe="")."""
    return "".join(chr(b) if b in _UNRESERVED else f"%{b:02X}" for b in text.encode("utf-8"))


def form_encode(pairs: Sequence[tuple[str, str]]) -> str:
    """Like urllib.parse.urlencode(pairs, quote_via=quote)."""
    return "&".join(f"{quote(k)}={quote(v)}" for k, v in pairs)


# Every header that leaves, in this order; nothing else adds one (the notice lists them).
HEADERS = ("Host", "User-Agent", "Content-Type", "Content-Length", "Connection")
LEGACY_MAX_BODY = 8192
GA4_MAX_BODY = 130_000
# Keys the GA4 encoder adds around the declared fields; the notice lists them.
GA4_ENVELOPE = {
    "events": "the list holding the one event of this request",
    "name": "the event's name (its hit type)",
    "params": "the event's declared fields",
    "non_personalized_ads": "always true: the data may not be used to personalise ads",
    "consent": "always ad_user_data and ad_personalization DENIED: no use for advertising",
}
# The Measurement Protocol's consent object on every GA4 hit. It does not gate collection (the
# gate does); it tells Google that the data may not be used for ads.
GA4_CONSENT = {"ad_user_data": "DENIED", "ad_personalization": "DENIED"}


class Request(Record):
    method: str
    endpoint: Endpoint
    target: str  # path and query, as on the request line
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def url(self) -> str:
        return f"{self.endpoint.scheme}://{self.endpoint.netloc}{self.target}"

    def raw(self) -> bytes:
        """The request exactly as written to the socket."""
        head = f"{self.method} {self.target} HTTP/1.1\r\n"
        head += "".join(f"{k}: {v}\r\n" for k, v in self.headers)
        return head.encode("latin-1") + b"\r\n" + self.body


def endpoint_for(
    spec: AppSpec, environ: Mapping[str, str], managed: str = "", default: str = ""
) -> Endpoint:
    """Where hits go: an admin policy's `managed` endpoint (`Decision.endpoint_url`), which the
    override variable cannot change; else the override in `<PREFIX>_TELEMETRY_ENDPOINT`
    (validated); else a packager's `default` (`Decision.default_url`); else the app's
    destination."""
    if managed:
        return parse_endpoint(managed)
    override = environ.get(spec.endpoint_env, "").strip()
    if not override:
        return parse_endpoint(default or spec.destination.origin)
    try:
        return parse_endpoint(override)
    except EndpointError as exc:  # name the variable, so the person knows what to change
        raise EndpointError(
            f"{spec.endpoint_env}: {exc}", url=override, variable=spec.endpoint_env
        ) from None


def user_agent(spec: AppSpec) -> str:
    return f"{spec.name}/{spec.version}"


def encode(
    spec: AppSpec, hit: Hit, endpoint: Endpoint, *, time_unix_nano: int | None = None
) -> Request:
    """The request for one hit under the app's protocol. An OTLP hit carries the time it was
    recorded: `time_unix_nano`, or now."""
    protocol = spec.destination.protocol
    extra: tuple[tuple[str, str], ...] = ()
    if protocol == "legacy":
        body = form_encode([(k, str(v)) for k, v in hit.pairs]).encode("ascii")
        target = f"{endpoint.prefix}/collect"
        content_type = "application/x-www-form-urlencoded"
        limit = LEGACY_MAX_BODY
    elif protocol == "otlp":
        import time

        from consent._core.otlp import LOGS_PATH, MAX_BODY
        from consent._wire.otlp import otlp_body

        when = time.time_ns() if time_unix_nano is None else time_unix_nano
        body = compact(otlp_body(spec, hit, when)).encode("utf-8")
        target = f"{endpoint.prefix}{LOGS_PATH}"
        content_type = "application/json"
        limit = MAX_BODY
        extra = spec.destination.headers  # static headers, after the ones built here
    else:
        body = compact(ga4_body(spec, hit)).encode("utf-8")
        query = form_encode(
            [
                ("measurement_id", spec.destination.tracking_id),
                ("api_secret", spec.destination.api_secret),
            ]
        )
        target = f"{endpoint.prefix}/mp/collect?{query}"
        content_type = "application/json"
        limit = GA4_MAX_BODY - 1
    if len(body) > limit:
        raise HitError(f"the encoded hit is {len(body)} bytes; the protocol allows {limit}")
    values = (endpoint.netloc, user_agent(spec), content_type, str(len(body)), "close")
    headers = tuple(zip(HEADERS, values, strict=True)) + extra
    return Request("POST", endpoint, target, headers, body)


def ga4_body(spec: AppSpec, hit: Hit) -> dict[str, object]:
    """The JSON body; an integer field's value is a JSON number (GA4 sums numbers, not text)."""
    client_id = ""
    name = ""
    params: dict[str, object] = {}
    for wire, value in hit.pairs:
        kind = spec.field(wire).kind
        if kind == "client_id":
            client_id = str(value)
        elif kind == "hit_type":
            name = str(value)
        else:
            params[wire] = value
    return {
        "client_id": client_id,
        "non_personalized_ads": True,
        "consent": dict(GA4_CONSENT),
        "events": [{"name": name, "params": params}],
    }
