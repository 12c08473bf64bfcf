"""lumogon/report.py: the report document, where it may be uploaded (the telemetry endpoint's own
check), and the upload against every pathological service ending in a bounded, clear UploadError."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lumogon.docker import scan
from lumogon.errors import UploadError
from lumogon.report import document, parse_answer, render, report_endpoint, upload

from consent._errors import EndpointError
from consent._wire.http import endpoint_for
from consent.testing.collector import refused_url
from lumogon import SPEC
from tests.helpers import self_signed
from tests.lumogon.fakes import REPORT_URL, FakeEngine, FakeService, engine_env


def test_the_document_holds_the_engine_and_each_container() -> None:
    with FakeEngine(count=2) as engine:
        found = scan(engine_env(engine))
    doc = document(found, now=1764590400)
    assert doc["schema"] == "lumogon-report/1" and doc["generated"] == "2025-12-01T12:00:00Z"
    assert doc["docker"] == {
        "version": "27.3.1",
        "api_version": "1.47",
        "os": "linux",
        "arch": "amd64",
    }
    first = doc["containers"][0]  # type: ignore[index]
    assert first == {
        "id": "0" * 64,
        "name": "web-0",
        "image": "nginx:1.27",
        "image_id": "sha256:" + "ab" * 32,
        "created": "2025-12-01T12:00:00Z",
        "state": "running",
        "status": "Up 5 minutes",
        "labels": {"com.example.team": "edge"},
    }
    assert json.loads(render(found, now=1764590400)) == doc


def test_the_option_wins_over_the_variable() -> None:
    env = {"LUMOGON_ENDPOINT": "https://env.example/api"}
    assert report_endpoint("https://opt.example/v1", env).host == "opt.example"
    assert report_endpoint(None, env).prefix == "/api"


def test_no_service_configured_is_an_error_with_the_way_out() -> None:
    with pytest.raises(UploadError) as caught:
        report_endpoint(None, {"LUMOGON_ENDPOINT": "  "})
    assert caught.value.message == "no report service is configured"
    assert "--endpoint URL or LUMOGON_ENDPOINT=URL" in caught.value.hint


URLS = [
    "https://reports.example/api/v1",
    "http://127.0.0.1:8080/api",
    "http://[::1]:9/x",
    "http://localhost/",
    "http://reports.example/api",  # plain http off loopback
    "http://10.0.0.1/",
    "ftp://reports.example/",
    "https://user@reports.example/",
    "https://reports.example/?q=1",
    "reports.example",
]


@pytest.mark.parametrize("url", URLS)
def test_the_endpoint_is_checked_as_the_telemetry_endpoint_is(url: str) -> None:
    """One check for both overrides (consent/_wire/http.py parse_endpoint): the same verdict."""
    try:
        expected = endpoint_for(SPEC, {"LUMOGON_TELEMETRY_ENDPOINT": url})
    except EndpointError:
        expected = None
    for source, option, env in [
        ("--endpoint", url, {}),
        ("LUMOGON_ENDPOINT", None, {"LUMOGON_ENDPOINT": url}),
    ]:
        if expected is None:
            with pytest.raises(UploadError) as caught:
                report_endpoint(option, env)
            assert caught.value.message.startswith(f"{source}: ")
            assert "https://" in caught.value.hint
        else:
            assert report_endpoint(option, env) == expected


def test_upload_posts_the_report_and_returns_the_url() -> None:
    with FakeService() as service:
        got = upload(b'{"containers": []}', report_endpoint(service.url, {}))
    assert got == REPORT_URL
    ((path, headers, body),) = service.received
    assert path == "/api/v1" and body == b'{"containers": []}'
    assert headers["Content-Type"] == "application/json"
    assert headers["User-Agent"] == "lumogon/0.1.0"


def test_the_original_services_token_is_the_id() -> None:
    with FakeService("token") as service:
        got = upload(b"{}", report_endpoint(service.url, {}))
    assert got == "UuokYc0VMgA4oAZYaJRaN6O7xMqakDLsqgHGs0dBmJY="


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        ("http500", "refused the report: HTTP 500: the store is full"),
        ("garbage", "could not be uploaded to http://127.0.0.1:"),
        ("no-url", "answered without a report URL or id"),
        ("huge", "the answer is larger than 8 KiB"),
    ],
)
def test_a_failed_upload_is_a_clear_error(behaviour: str, expected: str) -> None:
    with FakeService(behaviour) as service, pytest.raises(UploadError) as caught:
        upload(b"{}", report_endpoint(service.url, {}), max_bytes=8192)
    assert expected in caught.value.message
    assert "`lumogon scan` prints the report" in caught.value.hint
    assert "\x1b" not in str(caught.value)


def test_a_slow_service_meets_the_deadline() -> None:
    with FakeService("slow") as service, pytest.raises(UploadError) as caught:
        upload(b"{}", report_endpoint(service.url, {}), deadline=0.5)
    assert "no complete answer within 0.5 s" in caught.value.message


def test_a_service_that_is_not_there() -> None:
    with pytest.raises(UploadError) as caught:
        upload(b"{}", report_endpoint(refused_url() + "/api", {}))
    assert "connection refused" in caught.value.message


@given(st.binary(max_size=80) | st.builds(lambda d: json.dumps(d).encode(), st.dictionaries(
    st.sampled_from(["url", "Token", "id", "x"]), st.text(max_size=40) | st.integers(), max_size=3
)))  # fmt: skip
def test_an_answer_yields_a_printable_url_or_id_or_nothing(body: bytes) -> None:
    got = parse_answer(body)
    assert got is None or (got.isascii() and got.isprintable() and " " not in got and got)


def test_the_report_is_stamped_now_by_default() -> None:
    with FakeEngine(count=0) as engine:
        found = scan(engine_env(engine))
    before = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    stamped = document(found)["generated"]
    after = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    assert before <= stamped <= after  # type: ignore[operator]


def test_the_hints_say_what_to_do() -> None:
    with pytest.raises(UploadError) as missing:
        report_endpoint("", {})
    assert missing.value.hint == (
        "give its URL with --endpoint URL or LUMOGON_ENDPOINT=URL (https://, or http:// on a "
        "loopback address); `lumogon scan` prints the report without uploading it"
    )
    with pytest.raises(UploadError) as plain:
        report_endpoint(None, {"LUMOGON_ENDPOINT": "http://reports.example/"})
    assert plain.value.message.startswith("LUMOGON_ENDPOINT: ")
    assert plain.value.hint == (
        "give the report service's https:// URL (plain http:// only on 127.0.0.1 or another "
        "loopback address)"
    )


def raw(status: str, body: bytes) -> bytes:
    return (
        f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n".encode()
        + body
    )


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        ("200 OK", b'{"url": "https://r.example/1"}', "https://r.example/1"),
        ("299 Odd", b'{"id": "r1"}', "r1"),
        ("199 Odd", b'{"id": "r1"}', "refused the report: HTTP 199"),
        ("300 Odd", b'{"id": "r1"}', "refused the report: HTTP 300"),
        ("503 Busy", b'{"error": "busy\\u001b[2J"}', "refused the report: HTTP 503: busy\\x1b[2J"),
        ("503 Busy", b'{"message": "", "error": "full"}', "refused the report: HTTP 503: full"),
        ("503 Busy", b'{"message": "down"}', "refused the report: HTTP 503: down"),
        ("503 Busy", b'["down"]', "refused the report: HTTP 503"),
        ("503 Busy", b"down", "refused the report: HTTP 503"),
        ("200 OK", b'{"url": 1}', "answered without a report URL or id"),
    ],
)
def test_the_service_s_answer_in_words(status: str, body: bytes, expected: str) -> None:
    with FakeService("raw") as service:
        service.raw = raw(status, body)
        where = f"{service.url}"
        try:
            got = upload(b"{}", report_endpoint(where, {}))
        except UploadError as exc:
            assert exc.message.startswith(f"the report service at {where} ")
            assert exc.message.endswith(expected)
            assert exc.hint == (
                "try again later, or point --endpoint (or LUMOGON_ENDPOINT) at another report "
                "service; `lumogon scan` prints the report without uploading it"
            )
        else:
            assert got == expected
    assert service.received[0][1]["Accept"] == "application/json"


def test_a_service_without_a_path_is_posted_at_its_root() -> None:
    with FakeService("http500") as service, pytest.raises(UploadError) as caught:
        upload(b"{}", report_endpoint(service.url.removesuffix("/api/v1"), {}))
    assert service.received[0][0] == "/"
    where = service.url.removesuffix("api/v1")
    assert caught.value.message.startswith(f"the report service at {where} refused")


def test_https_is_never_spoken_as_plain_http() -> None:
    """An https:// service is reached over TLS, its certificate checked: a plain HTTP server
    there is never sent the report."""
    with FakeService() as service, pytest.raises(UploadError) as caught:
        upload(b"{}", report_endpoint(service.url.replace("http://", "https://"), {}))
    assert service.received == []
    assert caught.value.message.startswith("the report could not be uploaded to https://127.0.0.1:")


@pytest.mark.parametrize(
    ("answer", "found"),
    [
        ({"url": "https://r.example/" + "a" * 2030}, "https://r.example/" + "a" * 2030),
        ({"url": "https://r.example/" + "a" * 2031}, None),
        ({"url": "http://r.example/1"}, "http://r.example/1"),
        ({"url": "ftp://r.example/1"}, None),
        ({"url": "javascript:x", "id": "r2"}, "r2"),
        ({"Token": "t1", "id": "r2"}, "t1"),
        ({"Token": 3, "id": "r2"}, "r2"),
        ({"id": "r" * 256}, "r" * 256),
        ({"id": "r" * 257}, None),
        ({"id": ""}, None),
        ({"id": "r 2"}, None),
        ({"id": "r\x1b2"}, None),
        ({"id": "r\u00e92"}, None),
        (["https://r.example/1"], None),
    ],
)
def test_what_an_answer_yields(answer: object, found: str | None) -> None:
    assert parse_answer(json.dumps(answer).encode()) == found


def test_the_report_as_printed() -> None:
    with FakeEngine(count=1) as engine:
        found = scan(engine_env(engine))
    doc = document(found, now=0)
    assert list(doc) == ["schema", "generated", "client_version", "docker", "containers"]
    assert doc["client_version"] == SPEC.version
    assert render(found, now=0).splitlines()[:2] == ["{", '  "schema": "lumogon-report/1",']


def test_an_answer_over_64_kib_is_refused() -> None:
    """The cap docs/security.md states for the report service's answer."""
    with FakeService("raw") as service:
        service.raw = raw("200 OK", b" " * 65536)
        with pytest.raises(UploadError, match="answered without a report URL or id"):
            upload(b"{}", report_endpoint(service.url, {}))
        service.raw = raw("200 OK", b" " * 65537)
        with pytest.raises(UploadError, match="the answer is larger than 64 KiB"):
            upload(b"{}", report_endpoint(service.url, {}))


def test_a_service_that_cannot_be_reached_in_words() -> None:
    url = refused_url() + "/api"
    with pytest.raises(UploadError) as caught:
        upload(b"{}", report_endpoint(url, {}))
    assert caught.value.message == (
        f"the report could not be uploaded to {url}: connection refused (nothing listens there)"
    )


@pytest.mark.parametrize(
    ("body", "tail"),
    [
        (b'{"message": "", "error": ""}', ""),
        (b'{"message": 3}', ""),
        (b'{"error": ["x"]}', ""),
        (b'{"message": "' + b"m" * 201 + b'"}', ": " + "m" * 200 + "…"),
        (b'{"message": "' + b"m" * 200 + b'"}', ": " + "m" * 200),
    ],
)
def test_a_refusal_s_message_when_there_is_one(body: bytes, tail: str) -> None:
    with FakeService("raw") as service:
        service.raw = raw("500 No", body)
        with pytest.raises(UploadError) as caught:
            upload(b"{}", report_endpoint(service.url, {}))
    assert caught.value.message.endswith(f"refused the report: HTTP 500{tail}")


def test_an_id_of_one_character() -> None:
    assert parse_answer(b'{"id": "r"}') == "r"


def test_the_certificate_is_checked_whatever_the_process_s_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A library in the same process may make Python's default https context unverified (some
    do, for their own requests): the report still goes only to a service whose certificate
    checks out."""
    import ssl
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    made = self_signed(tmp_path)
    if made is None:
        pytest.skip("neither openssl nor cryptography is there to make a certificate")
    received: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(self.path)
            self.send_response(201)
            self.send_header("Content-Length", "24")
            self.end_headers()
            self.wfile.write(b'{"url": "https://r.x/1"}')

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(*made)
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    monkeypatch.setattr(ssl, "_create_default_https_context", ssl._create_unverified_context)
    try:
        url = f"https://127.0.0.1:{server.server_port}/api"
        with pytest.raises(UploadError, match=f"could not be uploaded to {url}: .*certificate"):
            upload(b"{}", report_endpoint(url, {}))
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
    assert received == []
