"""The local collector over real HTTP on 127.0.0.1: endpoints and behaviours."""

from __future__ import annotations

import http.client
import json
import os
import select
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from consent.testing.collector import BEHAVIOURS, Collector, refused_url
from consent.testing.collector.http import IO_TIMEOUT
from consent.testing.collector.routes import GIF
from tests.helpers import PROCESS_TIMEOUT, ROOT, self_signed

GA4_QUERY = "?measurement_id=G-TEST000000&api_secret=testsecret"
B9_BODY = (
    b'{"client_id":"1839202761.1732291200",'
    b'"consent":{"ad_user_data":"DENIED","ad_personalization":"DENIED"},'
    b'"non_personalized_ads":true,'
    b'"user_properties":{"app_version":{"value":"1.0.0"},"docker_api":{"value":"1.24"}},'
    b'"events":[{"name":"command_run",'
    b'"params":{"command":"scan","session_id":"1732291200","engagement_time_msec":1}},'
    b'{"name":"report_upload",'
    b'"params":{"category":"UX","session_id":"1732291200","engagement_time_msec":1}}]}'
)
LUMOGON_QUERY = (
    "an=lumogon&av=0.3.0&cd=scan&cd1=1.24&cid=7TRN%3AIPZB&t=screenview&tid=UA-12345678-9&v=1"
)
VALID_HIT = b"v=1&tid=UA-12345678-9&cid=555&t=event&ec=UX&ea=upload"
# Ceilings, not expectations: a reply or a recorded request comes at once, or after WAIT on a
# machine that is very busy. PROMPT bounds close() and the end of its handler threads: shorter
# than IO_TIMEOUT (after which a stalled handler would end by itself), long enough for a load.
WAIT = 60.0
PROMPT = IO_TIMEOUT / 2


@pytest.fixture
def collector() -> Iterator[Collector]:
    with Collector() as running:
        yield running


def connect(url: str, timeout: float = WAIT) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def call(
    url: str,
    method: str,
    target: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = WAIT,
) -> tuple[int, http.client.HTTPResponse, bytes]:
    conn = connect(url, timeout)
    try:
        conn.request(method, target, body=body, headers=headers or {})
        response = conn.getresponse()
        return response.status, response, response.read()
    finally:
        conn.close()


def raw_socket(url: str, timeout: float = WAIT) -> socket.socket:
    parts = urlsplit(url)
    assert parts.hostname is not None and parts.port is not None
    return socket.create_connection((parts.hostname, parts.port), timeout=timeout)


def read_all(sock: socket.socket) -> bytes:
    chunks = []
    while chunk := sock.recv(65536):
        chunks.append(chunk)
    return b"".join(chunks)


# --- behaviour "ok": the endpoints ------------------------------------------------------


def test_collect_post_answers_gif_and_records_the_hit(collector: Collector) -> None:
    status, response, body = call(collector.url, "POST", "/collect", VALID_HIT)
    assert (status, response.getheader("Content-Type"), body) == (200, "image/gif", GIF)
    [hit] = collector.wait_for(1, WAIT)
    assert (hit.method, hit.path, hit.protocol, hit.debug, hit.valid) == (
        "POST",
        "/collect",
        "legacy",
        False,
        True,
    )
    assert hit.params is not None and hit.params["ea"] == "upload"
    assert hit.messages == ()
    assert collector.hits() == [hit]


def test_invalid_production_hit_is_answered_200_and_recorded_as_dropped(
    collector: Collector,
) -> None:
    status, _, body = call(collector.url, "POST", "/collect?v=1", b"tid=UA-XXXX-Y&t=event&ec=UX")
    assert (status, body) == (200, GIF)
    [hit] = collector.hits()
    assert not hit.valid
    assert any("'tid' is invalid" in m for m in hit.messages)
    assert hit.params == {"v": "1", "tid": "UA-XXXX-Y", "t": "event", "ec": "UX"}


def test_lumogon_style_query_on_post_and_get(collector: Collector) -> None:
    for method in ("POST", "GET"):
        status, _, _ = call(collector.url, method, "/collect?" + LUMOGON_QUERY, b"")
        assert status == 200
    assert [(h.method, h.valid) for h in collector.hits()] == [("POST", True), ("GET", True)]
    oversized = "/collect?" + LUMOGON_QUERY + "&zz=" + "a" * 8000
    assert call(collector.url, "GET", oversized)[0] == 200
    assert not collector.hits()[-1].valid


def test_debug_collect_reply_matches_the_composed_example(collector: Collector) -> None:
    status, response, body = call(
        collector.url, "POST", "/debug/collect?" + LUMOGON_QUERY, b"", {"Content-Length": "0"}
    )
    assert status == 200
    assert response.getheader("Content-Type", "").startswith("application/json")
    reply = json.loads(body)
    assert reply["hitParsingResult"] == [
        {"valid": True, "parserMessage": [], "hit": "/debug/collect?" + LUMOGON_QUERY}
    ]
    assert b"\\u0026" in body
    assert collector.hits() == []  # debug requests are not hits
    assert [r.debug for r in collector.received()] == [True]


def test_batch_endpoints(collector: Collector) -> None:
    batch = VALID_HIT + b"\n\n" + VALID_HIT.replace(b"ea=upload", b"ea=") + b"\n"
    assert call(collector.url, "POST", "/batch", batch)[2] == GIF
    status, _, body = call(collector.url, "POST", "/debug/batch", batch)
    assert status == 200
    assert [r["valid"] for r in json.loads(body)["hitParsingResult"]] == [True, False]
    production, debug = collector.received()
    assert (production.valid, production.params, debug.debug) == (False, None, True)
    assert production.messages[0].startswith("hit 1: ERROR VALUE_REQUIRED [ea]")
    assert call(collector.url, "GET", "/batch")[0] == 405


def test_ga4_production_answers_204_even_when_invalid(collector: Collector) -> None:
    for body in (B9_BODY, b"not json"):
        status, _, reply = call(collector.url, "POST", "/mp/collect" + GA4_QUERY, body)
        assert (status, reply) == (204, b"")
    good, bad = collector.hits()
    assert (good.protocol, good.valid, bad.valid) == ("ga4", True, False)
    assert isinstance(good.payload, dict) and good.payload["client_id"] == "1839202761.1732291200"
    assert bad.payload is None
    assert bad.messages == ("VALUE_INVALID: Unable to parse Measurement Protocol JSON payload.",)


def test_ga4_debug_endpoint_validates(collector: Collector) -> None:
    headers = {"Content-Type": "application/json"}
    status, _, body = call(collector.url, "POST", "/debug/mp/collect" + GA4_QUERY, B9_BODY, headers)
    assert (status, json.loads(body)) == (200, {"validationMessages": []})
    bad = B9_BODY.replace(b'"command_run"', b'"1bad"')
    status, _, body = call(collector.url, "POST", "/debug/mp/collect?api_secret=s", bad)
    codes = [m["validationCode"] for m in json.loads(body)["validationMessages"]]
    assert (status, codes) == (200, ["VALUE_REQUIRED", "NAME_INVALID"])
    assert collector.hits() == []


@pytest.mark.parametrize("path", ["/mp/collect", "/debug/mp/collect"])
@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
def test_ga4_endpoints_refuse_other_methods(collector: Collector, path: str, method: str) -> None:
    status, response, _ = call(collector.url, method, path + GA4_QUERY, B9_BODY)
    assert (status, response.getheader("Allow")) == (405, "POST")
    [record] = collector.received()
    assert (record.protocol, record.valid) == ("ga4", False)


def test_unknown_path_is_404(collector: Collector) -> None:
    assert call(collector.url, "GET", "/g/collect?v=2")[0] == 404
    [record] = collector.received()
    assert (record.protocol, record.valid, record.query) == ("unknown", False, "v=2")
    assert collector.hits() == []


def test_settings_reach_the_validator() -> None:
    body = B9_BODY.replace(b'"scan"', b'"' + b"s" * 400 + b'"')
    with Collector(ga360=True, reserved_event_names=frozenset({"report_upload"})) as collector:
        _, _, reply = call(collector.url, "POST", "/debug/mp/collect" + GA4_QUERY, body)
    messages = json.loads(reply)["validationMessages"]
    assert [m["validationCode"] for m in messages] == ["NAME_RESERVED"]


def test_inspection_route_lists_records_with_verdicts(collector: Collector) -> None:
    call(collector.url, "POST", "/collect", VALID_HIT)
    call(collector.url, "POST", "/mp/collect" + GA4_QUERY, b"{}")
    status, _, body = call(collector.url, "GET", "/__hits")
    records = json.loads(body)
    assert status == 200
    assert [(r["path"], r["valid"], r["protocol"]) for r in records] == [
        ("/collect", True, "legacy"),
        ("/mp/collect", False, "ga4"),
    ]
    assert records[1]["messages"]
    assert records[0]["body"] == VALID_HIT.decode()
    assert len(collector.received()) == 2  # inspection is not recorded itself


# --- what was received, exactly ----------------------------------------------------------------


def test_raw_request_is_captured_byte_for_byte(collector: Collector) -> None:
    first = (
        b"POST /collect?v=1 HTTP/1.1\r\nHost: 127.0.0.1\r\nuser-agent: lumogon-py/1.0\r\n"
        b"X-Odd-CASE:  spaced value\r\nContent-Length: %d\r\n\r\n%s" % (len(VALID_HIT), VALID_HIT)
    )
    second = b"GET /collect?" + VALID_HIT + b" HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n"
    with raw_socket(collector.url) as sock:
        sock.sendall(first + second)  # pipelined on one connection
        replies = read_all(sock)
    assert replies.count(b"HTTP/1.1 200 OK\r\n") == 2
    one, two = collector.wait_for(2, WAIT)
    assert (one.raw_request, two.raw_request) == (first, second)
    assert one.headers == (
        ("Host", "127.0.0.1"),
        ("user-agent", "lumogon-py/1.0"),
        ("X-Odd-CASE", "spaced value"),
        ("Content-Length", str(len(VALID_HIT))),
    )
    assert (one.body, two.body, two.query) == (VALID_HIT, b"", VALID_HIT.decode())


def test_chunked_body_is_decoded_and_raw_kept(collector: Collector) -> None:
    request = (
        b"POST /mp/collect" + GA4_QUERY.encode() + b" HTTP/1.1\r\nHost: h\r\n"
        b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
        b"%x\r\n%s\r\n%x\r\n%s\r\n0\r\n\r\n" % (10, B9_BODY[:10], len(B9_BODY) - 10, B9_BODY[10:])
    )
    with raw_socket(collector.url) as sock:
        sock.sendall(request)
        assert read_all(sock).startswith(b"HTTP/1.1 204")
    [hit] = collector.hits()
    assert (hit.body, hit.raw_request, hit.valid) == (B9_BODY, request, True)


@pytest.mark.parametrize(
    ("length", "status"), [("abc", 400), ("\u00b2", 400), ("-1", 400), (str(2**40), 413)]
)
def test_unreadable_bodies_are_refused(collector: Collector, length: str, status: int) -> None:
    head = b"POST /collect HTTP/1.1\r\nHost: h\r\nContent-Length: %s\r\n\r\n" % length.encode(
        "latin-1"
    )
    with raw_socket(collector.url) as sock:
        sock.sendall(head + VALID_HIT)
        assert read_all(sock).startswith(b"HTTP/1.1 %d " % status)
    assert collector.received() == []  # the request was never read in full
    assert call(collector.url, "POST", "/collect", VALID_HIT)[0] == 200  # still serving


def test_ipv6_loopback() -> None:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with Collector(host="::1") as collector:
        assert collector.url.startswith("http://[::1]:")
        parts = urlsplit(collector.url)
        conn = http.client.HTTPConnection("::1", parts.port, timeout=WAIT)
        conn.request("POST", "/collect", body=VALID_HIT)
        assert conn.getresponse().status == 200
        conn.close()
        assert [h.valid for h in collector.hits()] == [True]
    assert refused_url("::1").startswith("http://[::1]:")


def test_concurrent_requests_are_all_recorded(collector: Collector) -> None:
    def send(i: int) -> None:
        call(collector.url, "POST", "/collect", VALID_HIT + b"&el=%d" % i)

    threads = [threading.Thread(target=send, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT)
    hits = collector.wait_for(20, WAIT)
    assert sorted(int(h.params["el"]) for h in hits if h.params) == list(range(20))


def test_wait_for_is_bounded(collector: Collector) -> None:
    started = time.monotonic()
    assert collector.wait_for(1, 0.2) == []
    assert 0.15 < time.monotonic() - started < WAIT  # waited its time, then gave up


# --- behaviours --------------------------------------------------------------------------------


def test_blackhole_never_answers_until_closed() -> None:
    collector = Collector(behaviour="blackhole").start()
    try:
        with pytest.raises(TimeoutError):
            call(collector.url, "POST", "/mp/collect" + GA4_QUERY, B9_BODY, timeout=0.5)
        [record] = collector.wait_for(1, WAIT)
        assert record.valid  # the request was read and judged
        sock = raw_socket(collector.url, timeout=0.3)
        sock.sendall(b"GET /collect HTTP/1.1\r\nHost: h\r\n\r\n")
        with pytest.raises(TimeoutError):
            sock.recv(1)  # still open, still silent
    finally:
        closed_promptly(collector)
    sock.settimeout(WAIT)
    assert read_all(sock) == b""  # closed once the collector is
    sock.close()


def test_http500() -> None:
    with Collector(behaviour="http500") as collector:
        request = urllib.request.Request(collector.url + "/collect", data=VALID_HIT)
        with pytest.raises(urllib.error.HTTPError) as failure:
            urllib.request.urlopen(request, timeout=WAIT)
        failure.value.close()
        assert failure.value.code == 500
        assert [h.valid for h in collector.hits()] == [True]


def test_garbage_is_not_http() -> None:
    with Collector(behaviour="garbage") as collector:
        with pytest.raises(http.client.HTTPException):
            call(collector.url, "POST", "/mp/collect" + GA4_QUERY, B9_BODY)
        assert len(collector.hits()) == 1


def test_trickle_times_out_a_patient_client() -> None:
    with Collector(behaviour="trickle") as collector:
        conn = connect(collector.url)
        conn.request("POST", "/collect", body=VALID_HIT)
        response = conn.getresponse()  # status and headers come at once
        assert (response.status, response.getheader("Content-Length")) == (200, str(len(GIF)))
        assert conn.sock is not None
        conn.sock.settimeout(0.3)  # a client that waits 0.3 s per byte; the body comes at 0.5 s
        with pytest.raises(TimeoutError):
            response.read()
        conn.close()


def test_trickle_delivers_the_whole_body_slowly() -> None:
    with Collector(behaviour="trickle", trickle_interval=0.01) as collector:
        started = time.monotonic()
        status, _, body = call(collector.url, "POST", "/collect", VALID_HIT)
        assert (status, body) == (200, GIF)
        assert time.monotonic() - started >= 0.01 * len(GIF) * 0.8
        status, _, body = call(collector.url, "POST", "/debug/mp/collect" + GA4_QUERY, B9_BODY)
        assert (status, json.loads(body)) == (200, {"validationMessages": []})


def test_endless_body_never_ends() -> None:
    collector = Collector(behaviour="endless").start()
    conn = connect(collector.url)
    try:
        conn.request("POST", "/mp/collect" + GA4_QUERY, body=B9_BODY)
        response = conn.getresponse()
        assert response.status == 200
        assert len(response.read(50_000)) == 50_000
        assert len(response.read(10_000)) == 10_000
        assert [h.valid for h in collector.hits()] == [True]
    finally:
        closed_promptly(collector)
        conn.close()


def test_refused_url_refuses() -> None:
    url = refused_url()
    assert url.startswith("http://127.0.0.1:")
    with pytest.raises(ConnectionRefusedError):
        raw_socket(url).close()


def handler_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if "process_request_thread" in t.name]


def closed_promptly(collector: Collector) -> None:
    """close() returns, and every handler thread ends, well before a stalled client connection
    would time out by itself (IO_TIMEOUT): close() is what released them."""
    started = time.monotonic()
    collector.close()
    assert time.monotonic() - started < PROMPT
    while handler_threads() and time.monotonic() - started < PROMPT:
        time.sleep(0.01)
    assert handler_threads() == []


@pytest.mark.parametrize("behaviour", BEHAVIOURS)
def test_close_is_prompt_with_a_client_connected(behaviour: str) -> None:
    collector = Collector(behaviour=behaviour).start()
    idle = raw_socket(collector.url)  # connected, never sends anything
    busy = raw_socket(collector.url)
    busy.sendall(
        b"POST /collect HTTP/1.1\r\nHost: h\r\nContent-Length: %d\r\n\r\n" % len(VALID_HIT)
    )
    busy.sendall(VALID_HIT)
    assert len(collector.wait_for(1, WAIT)) == 1
    closed_promptly(collector)
    idle.close()
    busy.close()
    with pytest.raises(ConnectionRefusedError):
        raw_socket(collector.url).close()


def test_lifecycle_errors() -> None:
    with pytest.raises(ValueError, match="unknown behaviour"):
        Collector(behaviour="flaky")
    collector = Collector()
    with pytest.raises(RuntimeError):
        _ = collector.url
    collector.close()  # closing an unstarted collector is harmless
    with collector, pytest.raises(RuntimeError):
        collector.start()
    collector.close()  # and so is closing twice


# --- TLS and the command line ------------------------------------------------------------------


def test_tls(tmp_path: Path) -> None:
    pair = self_signed(tmp_path)
    if pair is None:
        pytest.skip("neither the openssl CLI nor cryptography to make a certificate")
    cert, key = pair
    server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server.load_cert_chain(cert, key)
    client = ssl.create_default_context(cafile=str(cert))
    collector = Collector(tls=server).start()
    assert collector.url.startswith("https://127.0.0.1:")
    request = urllib.request.Request(collector.url + "/mp/collect" + GA4_QUERY, data=B9_BODY)
    with urllib.request.urlopen(request, timeout=WAIT, context=client) as response:
        assert response.status == 204
    [hit] = collector.hits()
    assert hit.valid and hit.raw_request.startswith(b"POST /mp/collect?")
    silent = raw_socket(collector.url)  # a client that never says hello must not block others
    with urllib.request.urlopen(collector.url + "/__hits", timeout=WAIT, context=client) as r:
        assert len(json.loads(r.read())) == 1
    closed_promptly(collector)  # ... nor close(), although its handler is stuck in the handshake
    silent.close()


def test_command_line_runs_and_logs_one_line_per_request() -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "consent.testing.collector", "--behaviour", "ok"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=env,
    )
    try:
        assert proc.stdout is not None
        ready, _, _ = select.select([proc.stdout], [], [], PROCESS_TIMEOUT)
        assert ready, "the collector printed no URL"
        url = proc.stdout.readline().decode().strip()
        assert url.startswith("http://127.0.0.1:")
        assert call(url, "POST", "/collect", VALID_HIT)[0] == 200
        proc.terminate()
        _, err = proc.communicate(timeout=PROCESS_TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate(timeout=PROCESS_TIMEOUT)
    assert proc.returncode == 0
    lines = err.decode().splitlines()
    assert len(lines) == 1
    assert "POST /collect -> 200 legacy valid" in lines[0]
