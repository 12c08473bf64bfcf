"""The encoders produce the exact request; the endpoint override is https, or http on loopback."""

from __future__ import annotations

import json
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consent._core.endpoint import parse_endpoint
from consent._core.spec import AppSpec, Destination, Event, Field
from consent._errors import EndpointError, HitError
from consent._notice.document import facts
from consent._wire.hits import Hit, build_hit
from consent._wire.http import GA4_ENVELOPE, encode, endpoint_for
from lumogon import SPEC
from tests.helpers import CID, opt_in_spec


def test_legacy_screenview_exact_bytes() -> None:
    hit = build_hit(SPEC, "screenview", client_id=CID, command="lumogon version")
    request = encode(SPEC, hit, endpoint_for(SPEC, {}))
    body = (
        f"v=1&tid=UA-54263865-7&cid={CID}&an=Lumogon&av=0.1.0&t=screenview&cd=lumogon%20version"
    ).encode()
    assert request.url == "https://www.google-analytics.com/collect"
    assert request.raw() == (
        b"POST /collect HTTP/1.1\r\n"
        b"Host: www.google-analytics.com\r\n"
        b"User-Agent: lumogon/0.1.0\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {len(body)}\r\n".encode()
        + b"Connection: close\r\n\r\n"
        + body
    )


def test_ga4_body_and_url() -> None:
    spec = opt_in_spec()
    hit = build_hit(spec, "command", client_id=CID, command="acme build")
    request = encode(spec, hit, endpoint_for(spec, {}))
    assert request.url == (
        "https://www.google-analytics.com/mp/collect?measurement_id=G-TEST000000&api_secret=testsecret"
    )
    assert json.loads(request.body) == {
        "client_id": CID,
        "non_personalized_ads": True,
        "consent": {"ad_user_data": "DENIED", "ad_personalization": "DENIED"},
        "events": [
            {
                "name": "command_run",
                "params": {
                    "app_version": "2.0.0",
                    "engagement_time_msec": "1",
                    "command": "acme build",
                },
            }
        ],
    }
    assert dict(request.headers)["Content-Type"] == "application/json"
    assert dict(request.headers)["Content-Length"] == str(len(request.body))


@pytest.mark.parametrize(
    "url",
    [
        "https://collector.example.com",
        "https://collector.example.com:8443/base",
        "http://127.0.0.1:8080",
        "http://127.5.5.5",
        "http://[::1]:9000",
        "http://localhost:1234/x/",
    ],
)
def test_allowed_endpoints(url: str) -> None:
    endpoint = parse_endpoint(url)
    assert endpoint.scheme in ("http", "https")


@pytest.mark.parametrize(
    "url",
    [
        "http://collector.example.com",
        "http://10.0.0.1",
        "http://192.168.1.2:80",
        "ftp://127.0.0.1",
        "file:///etc/passwd",
        "127.0.0.1:80",
        "https://",
        "https://user:pw@host.example",
        "http://127.0.0.1:99999",
        "https://host.example/?q=1",
        "http://0.0.0.0",
        "http://127.0.0.1.nip.io",
        # Malformed or not printable ASCII: every byte would land on the request line or in Host.
        "https://[::1",
        "https://127.0.0.1/\u20ac",
        "https://\u4f8b\u3048.jp",
        "https://127.0.0.1/a b",
        "http://127.0.0.1:9/\r\nX-Injected: 1",
    ],
)
def test_refused_endpoints(url: str) -> None:
    with pytest.raises(EndpointError) as caught:
        parse_endpoint(url)
    assert caught.value.url == url and not isinstance(caught.value, HitError)


def test_override_keeps_path_prefix() -> None:
    env = {"LUMOGON_TELEMETRY_ENDPOINT": "http://127.0.0.1:8080/ga/"}
    hit = build_hit(SPEC, "upload", client_id=CID, values={"el": "ok", "ev": 0})
    request = encode(SPEC, hit, endpoint_for(SPEC, env))
    assert request.url == "http://127.0.0.1:8080/ga/collect"
    assert dict(request.headers)["Host"] == "127.0.0.1:8080"


@given(st.lists(st.tuples(st.text(max_size=12), st.text(max_size=30)), max_size=6))
def test_form_encoding_matches_urllib(pairs: list[tuple[str, str]]) -> None:
    from urllib.parse import quote, urlencode

    from consent._wire.http import form_encode

    try:
        expected = urlencode(pairs, quote_via=quote)
    except UnicodeEncodeError:  # lone surrogates: neither side can encode them
        with pytest.raises(UnicodeEncodeError):
            form_encode(pairs)
        return
    assert form_encode(pairs) == expected


SCHEMES = ["https", "http", "HTTPS", "ftp"]
# Loopback in the spellings the resolver reads as such, an IPv4-mapped one included (issue 24).
LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "[::1]", "127.1.2.3", "[::ffff:127.0.0.1]", "127.1"]
# Not loopback for plain http: "any address", private ones, and names that only look like a
# loopback address (`127.0.0.08` is no number to the resolver: it would ask DNS).
OTHER_HOSTS = ["example.com", "EXAMPLE.com", "10.0.0.1", "0.0.0.0", "127.0.0.08", "[::ffff:a00:1]"]
BAD_HOSTS = ["", "[::1", "a:b"]  # none, an unclosed bracket, a colon outside brackets
GOOD_PORTS = ["", ":8080", ":1", ":65535", ":"]  # ":" is an empty port: the scheme's default
BAD_PORTS = [":65536", ":0", ":x"]
PATHS = ["", "/", "/base", "/base/", "/a/b"]


def allowed(scheme: str, host: str, port: str) -> bool:
    """Design §7: https anywhere, plain http only on loopback; and a URL that is one."""
    if host in BAD_HOSTS or port in BAD_PORTS or scheme.lower() not in ("https", "http"):
        return False
    return scheme.lower() == "https" or host in LOOPBACK_HOSTS


@given(
    st.sampled_from(SCHEMES),
    st.sampled_from(LOOPBACK_HOSTS + OTHER_HOSTS + BAD_HOSTS),
    st.sampled_from(GOOD_PORTS + BAD_PORTS),
    st.sampled_from(PATHS),
)
def test_endpoint_parser_agrees_with_urlsplit(scheme: str, host: str, port: str, path: str) -> None:
    """The parser refuses exactly what is not allowed; where it accepts a URL, urllib reads the
    same scheme, host, port and path."""
    from urllib.parse import urlsplit

    url = f"{scheme}://{host}{port}{path}"
    if not allowed(scheme, host, port):
        with pytest.raises(EndpointError):
            parse_endpoint(url)
        return
    endpoint = parse_endpoint(url)
    parts = urlsplit(url)
    assert endpoint.scheme == parts.scheme.lower()
    assert endpoint.host == parts.hostname
    assert endpoint.port == (parts.port or (443 if endpoint.scheme == "https" else 80))
    assert endpoint.prefix == parts.path.rstrip("/")


def test_eu_region_sends_to_region1() -> None:
    spec = opt_in_spec(
        destination=Destination("ga4", "G-TEST000000", api_secret="testsecret", region="eu")
    )
    hit = build_hit(spec, "command", client_id=CID, command="acme build")
    request = encode(spec, hit, endpoint_for(spec, {}))
    assert request.url.startswith("https://region1.google-analytics.com/mp/collect?")
    assert ("Host", "region1.google-analytics.com") in request.headers
    assert json.loads(request.body)["consent"] == {
        "ad_user_data": "DENIED",
        "ad_personalization": "DENIED",
    }


# --- what the notice says of the body, and the size limits -----------------------------------------

OTLP_ENDPOINT = "https://otel.example.com/v1/logs"


def otlp_spec(**destination: object) -> AppSpec:
    return opt_in_spec(
        destination=Destination("otlp", endpoint=OTLP_ENDPOINT, **destination),  # type: ignore[arg-type]
        fields=(
            Field("app.id", "Pseudonymous id.", "6f1c…", "client_id"),
            Field("app.event", "Which event.", "app.ran", "hit_type"),
            Field("app.command", "The command that ran.", "acme build", "command"),
        ),
        common=("app.id", "app.event"),
        events=(Event("command", "A command ran.", "app.ran", ("app.command",)),),
    )


def test_the_notice_names_every_key_the_body_adds_and_says_what_it_holds() -> None:
    """The keys a body holds besides the declared fields are exactly those the notice lists
    (its `envelope`), each with what it says of them, word for word."""
    ga4 = opt_in_spec()
    hit = build_hit(ga4, "command", client_id=CID, command="acme build")
    body = json.loads(encode(ga4, hit, endpoint_for(ga4, {})).body)
    (event,) = body["events"]
    added = (set(body) | set(event)) - {"client_id"}  # client_id is a declared field
    listed = {e["wire"]: e["description"] for e in facts(ga4)["envelope"]}
    assert set(listed) == added == set(GA4_ENVELOPE)
    assert listed == {
        "events": "the list holding the one event of this request",
        "name": "the event's name (its hit type)",
        "params": "the event's declared fields",
        "non_personalized_ads": "always true: the data may not be used to personalise ads",
        "consent": "always ad_user_data and ad_personalization DENIED: no use for advertising",
    }
    assert body["non_personalized_ads"] is True
    assert body["consent"] == {"ad_user_data": "DENIED", "ad_personalization": "DENIED"}
    otlp = otlp_spec()
    listed = {e["wire"]: e["description"] for e in facts(otlp)["envelope"]}
    assert listed == {
        "resourceLogs": "the list holding the one resource of this request",
        "resource.attributes": "service.name (the app's name) and service.version (its "
        "version); nothing else about this machine",
        "scopeLogs": "the list holding the log records of this request",
        "logRecords": "one log record per event",
        "timeUnixNano": "when the event was recorded, in nanoseconds since 1970 (UTC)",
        "eventName": "the event's name (its hit type)",
        "attributes": "the event's declared fields, each typed: integers as intValue, "
        "true/false as boolValue, everything else as stringValue",
    }
    assert facts(SPEC)["envelope"] == []  # the legacy protocol adds no key: a form


def test_an_otlp_request_carries_its_time_and_its_static_headers() -> None:
    spec = otlp_spec(headers={"X-Api-Key": "k1"})
    hit = build_hit(spec, "command", client_id=CID, command="acme build")
    before = time.time_ns()
    request = encode(spec, hit, endpoint_for(spec, {}))
    after = time.time_ns()
    record = json.loads(request.body)["resourceLogs"][0]["scopeLogs"][0]["logRecords"][0]
    assert before <= int(record["timeUnixNano"]) <= after
    assert request.headers == (
        ("Host", "otel.example.com"),
        ("User-Agent", "acme/2.0.0"),
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(request.body))),
        ("Connection", "close"),
        ("X-Api-Key", "k1"),
    )
    assert b"\r\nConnection: close\r\nX-Api-Key: k1\r\n\r\n{" in request.raw()


def test_each_protocol_refuses_a_body_over_its_limit_and_takes_one_at_it() -> None:
    """Legacy: 8192 bytes at most; GA4: under 130,000 (the Measurement Protocol's limit);
    OTLP: 65,536 at most (consent/_core/otlp.py). Hits made by hand: the declared values are
    far too short to reach a limit, so the encoder's own check is what is held here."""
    ga4 = opt_in_spec()
    otlp = otlp_spec()

    def body_of(spec: AppSpec, pairs: tuple[tuple[str, str], ...], filler: str) -> bytes:
        hit = Hit("command", (*pairs, (filler, "")))
        return encode(spec, hit, endpoint_for(spec, {}), time_unix_nano=1).body

    cases = [
        (SPEC, (("t", "screenview"),), "cd", 8192),
        (ga4, (("client_id", CID), ("name", "command_run")), "command", 129_999),
        (otlp, (("app.id", CID), ("app.event", "app.ran")), "app.command", 65_536),
    ]
    for spec, pairs, filler, limit in cases:
        overhead = len(body_of(spec, pairs, filler))
        at = Hit("command", (*pairs, (filler, "x" * (limit - overhead))))
        request = encode(spec, at, endpoint_for(spec, {}), time_unix_nano=1)
        assert len(request.body) == limit
        over = Hit("command", (*pairs, (filler, "x" * (limit - overhead + 1))))
        with pytest.raises(HitError) as caught:
            encode(spec, over, endpoint_for(spec, {}), time_unix_nano=1)
        assert caught.value.message == (
            f"the encoded hit is {limit + 1} bytes; the protocol allows {limit}"
        )


def test_where_hits_go_policy_then_variable_then_packager_then_the_app() -> None:
    """An admin policy's endpoint is kept whatever the variable says; the variable comes
    before a packager's default, which comes before the app's destination; a variable that is
    not an allowed endpoint is refused naming the variable."""
    variable = SPEC.endpoint_env
    managed, override, default = (
        "https://policy.example/p",
        "http://127.0.0.1:9/o",
        "https://pk.example",
    )
    assert endpoint_for(SPEC, {variable: override}, managed, default) == parse_endpoint(managed)
    assert endpoint_for(SPEC, {variable: override}, "", default) == parse_endpoint(override)
    assert endpoint_for(SPEC, {variable: "  "}, "", default) == parse_endpoint(default)
    assert endpoint_for(SPEC, {}, "", "") == parse_endpoint(SPEC.destination.origin)
    with pytest.raises(EndpointError) as caught:
        endpoint_for(SPEC, {variable: " http://example.com "}, "", default)
    assert caught.value.url == "http://example.com" and caught.value.variable == variable
    assert caught.value.message.startswith(f"{variable}: ")
    with pytest.raises(EndpointError) as plain:
        parse_endpoint("http://example.com")
    assert caught.value.message == f"{variable}: {plain.value.message}"
