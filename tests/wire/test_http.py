"""The encoders produce the exact request; the endpoint override is https, or http on loopback."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consent._core.endpoint import parse_endpoint
from consent._core.spec import Destination
from consent._errors import EndpointError, HitError
from consent._wire.hits import build_hit
from consent._wire.http import encode, endpoint_for
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
