"""consent/_core/endpoint.py to the word: every refusal's message, every loopback spelling the
resolver reads (and the look-alikes it does not), and the Host header's netloc (issue 24: what
the stronger mutants of scripts/mutate.py found untested). The property against the resolver is
tests/wire/test_fuzz_wire.py's."""

from __future__ import annotations

import pytest

from consent._core.endpoint import (
    Endpoint,
    ipv4_number,
    is_loopback,
    parse_endpoint,
    resolver_name,
)
from consent._errors import EndpointError


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("127.0.0.1", 0x7F000001),
        ("127.1", 0x7F000001),
        ("127.0.1", 0x7F000001),
        ("2130706433", 0x7F000001),
        ("0177.0.0.1", 0x7F000001),
        ("0x7f.0.0.1", 0x7F000001),
        ("0X7F.1", 0x7F000001),  # the prefix in capitals too
        ("0x7F000001", 0x7F000001),
        ("255.255.255.255", 0xFFFFFFFF),
        ("1.2.65535", 0x0102FFFF),
        ("0", 0),
        ("1.2.3.4.5", None),  # five parts
        ("1.2.3.4.0", None),
        ("256.1", None),  # a part before the last over 255
        ("1.2.65536", None),  # the last part over what is left
        ("4294967296", None),
        ("08.1", None),  # no 8 in octal
        ("0x", None),
        ("1..2", None),
        ("a.b", None),
        ("", None),
    ],
)
def test_ipv4_numbers_as_inet_aton_reads_them(text: str, number: int | None) -> None:
    assert ipv4_number(text) == number


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("localhost", True),
        ("LocalHost.", True),
        ("127.255.255.255", True),
        ("0x7f.1", True),
        ("::1", True),
        ("0:0::1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:7f00:1", True),
        ("::1%lo", False),  # a zone: not a numeric host to getaddrinfo
        ("::ffff:a00:1", False),
        ("::127.0.0.1", False),  # IPv4-compatible, not mapped: not this machine
        ("128.0.0.1", False),
        ("127.0.0.08", False),  # a name to the resolver
        ("localhost.localdomain", False),
        ("x:y", False),
    ],
)
def test_loopback_in_every_spelling_and_no_other(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://x\x1b", "'https://x\\x1b' must be printable ASCII without spaces (punycode for names, %-escapes)"),
        ("https://a b", "'https://a b' must be printable ASCII without spaces (punycode for names, %-escapes)"),
        ("example.com", "'example.com' is not a valid URL"),
        ("localhost", "'localhost' is not a valid URL"),
        ("ht1p://example.com", "'ht1p://example.com' is not a valid URL"),
        ("https://x?q", "'https://x?q' must be scheme://host[:port][/path] with nothing else"),
        ("https://:443", "'https://:443' must be scheme://host[:port][/path] with nothing else"),
        ("https://[::1", "'https://[::1' is not a valid URL"),
        ("https://[]:1", "'https://[]:1' is not a valid URL"),
        ("https://[::1]x", "'https://[::1]x' is not a valid URL"),
        ("https://a:1:2", "'https://a:1:2' is not a valid URL"),
        ("https://x:0", "'https://x:0' is not a valid URL (port '0')"),
        ("https://x:65536", "'https://x:65536' is not a valid URL (port '65536')"),
        ("http://example.com", "'http://example.com' is not allowed: only https://, or http:// on a loopback address"),
    ],
)  # fmt: skip
def test_each_refusal_in_words(url: str, message: str) -> None:
    with pytest.raises(EndpointError) as caught:
        parse_endpoint(url)
    assert caught.value.message == message and caught.value.url == url


@pytest.mark.parametrize(
    ("url", "parts", "netloc"),
    [
        ("https://x", ("https", "x", 443, ""), "x"),
        ("https://X:443/", ("https", "x", 443, ""), "x"),
        ("https://x:8443/a/b/", ("https", "x", 8443, "/a/b"), "x:8443"),
        ("https://x/pathX/", ("https", "x", 443, "/pathX"), "x"),
        ("http://127.1", ("http", "127.1", 80, ""), "127.1"),
        ("http://127.0.0.1:81/p", ("http", "127.0.0.1", 81, "/p"), "127.0.0.1:81"),
        ("https://[::1]:65535", ("https", "::1", 65535, ""), "[::1]:65535"),
        ("http://[::ffff:127.0.0.1]", ("http", "::ffff:127.0.0.1", 80, ""), "[::ffff:127.0.0.1]"),
    ],
)
def test_what_is_taken_and_its_host_header(
    url: str, parts: tuple[str, str, int, str], netloc: str
) -> None:
    endpoint = parse_endpoint(url)
    assert (endpoint.scheme, endpoint.host, endpoint.port, endpoint.prefix) == parts
    assert endpoint.netloc == netloc
    assert Endpoint(*parts).netloc == netloc


@pytest.mark.parametrize(
    ("host", "name"),
    [("localhost.", "localhost"), ("LOCALHOST.", "LOCALHOST"), ("localhost", "localhost"),
     ("example.com.", "example.com."), ("127.0.0.1", "127.0.0.1"), ("::1", "::1")],
)  # fmt: skip
def test_the_resolver_is_asked_for_localhost_by_the_name_its_hosts_file_answers(
    host: str, name: str
) -> None:
    assert resolver_name(host) == name
