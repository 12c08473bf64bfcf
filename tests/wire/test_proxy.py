"""Issue 16, part 4: which proxy a request goes through, and the CONNECT tunnel, in-process.

The rules are consent/_wire/proxy.py's; the end-to-end proofs (the real sender, the audit hook, a
full hit through the tunnel) are in tests/e2e/test_proxy.py.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator

import pytest
from hypothesis import given
from hypothesis import strategies as st

from consent._wire.proxy import Proxy, ProxyError, bypassed, open_tunnel, parse_proxy, route
from consent._wire.sender import post
from consent.testing.proxy import ConnectProxy

GA = "www.google-analytics.com"


def via(environ: dict[str, str], host: str = GA, port: int = 443, scheme: str = "https") -> str:
    """The route in short: 'direct', 'refused' or the proxy as shown."""
    way = route(scheme, host, port, environ)
    if way.refused:
        return "refused"
    return "direct" if way.proxy is None else way.proxy.shown


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "direct"),
        ({"HTTPS_PROXY": "http://up:3128"}, "http://up:3128"),
        ({"https_proxy": "http://low:1", "HTTPS_PROXY": "http://up:2"}, "http://low:1"),
        ({"ALL_PROXY": "http://all:1"}, "http://all:1"),
        ({"all_proxy": "http://low:1", "ALL_PROXY": "http://up:2"}, "http://low:1"),
        ({"HTTPS_PROXY": "http://https:1", "all_proxy": "http://all:2"}, "http://https:1"),
        # Set but empty or blank: it names no proxy, so nothing is sent (never directly: issue
        # 24), and there is no fall-back to the variables after it.
        ({"https_proxy": "", "HTTPS_PROXY": "http://up:2"}, "refused"),
        ({"HTTPS_PROXY": " ", "ALL_PROXY": "http://all:2"}, "refused"),
        ({"ALL_PROXY": "\t\n"}, "refused"),
        # HTTP_PROXY is never read: the destination is https.
        ({"HTTP_PROXY": "http://plain:1", "http_proxy": "http://plain:1"}, "direct"),
        ({"HTTPS_PROXY": "proxy.corp:3128"}, "http://proxy.corp:3128"),
        ({"HTTPS_PROXY": "http://proxy.corp"}, "http://proxy.corp:80"),
        ({"HTTPS_PROXY": "HTTP://Proxy.Corp:8080/"}, "http://proxy.corp:8080"),
        ({"HTTPS_PROXY": "http://[2001:db8::1]:3128"}, "http://[2001:db8::1]:3128"),
        ({"HTTPS_PROXY": "http://u:p@proxy:1"}, "http://****@proxy:1"),
        ({"HTTPS_PROXY": "http://u@proxy:1"}, "http://****@proxy:1"),
        # Unsupported schemes and malformed values: nothing is sent, never directly.
        ({"HTTPS_PROXY": "socks5://127.0.0.1:1080"}, "refused"),
        ({"HTTPS_PROXY": "socks5h://u:p@proxy:1080"}, "refused"),
        ({"HTTPS_PROXY": "https://proxy:443"}, "refused"),
        ({"ALL_PROXY": "socks4://proxy:1080"}, "refused"),
        ({"HTTPS_PROXY": "http://proxy:99999"}, "refused"),
        ({"HTTPS_PROXY": "http://proxy:port"}, "refused"),
        ({"HTTPS_PROXY": "http://proxy:1/path"}, "refused"),
        ({"HTTPS_PROXY": "http://pro xy:1"}, "refused"),
        ({"HTTPS_PROXY": "http://proxy:1\r\nX: y"}, "refused"),
        ({"HTTPS_PROXY": "http://прокси:1"}, "refused"),
        ({"HTTPS_PROXY": "http://@proxy:1"}, "refused"),
        ({"HTTPS_PROXY": "http://"}, "refused"),
    ],
)
def test_which_variable_and_which_proxy(environ: dict[str, str], expected: str) -> None:
    assert via(environ) == expected


# Every spelling the resolver reads as a loopback address (issue 24: `localhost.`, `0177.0.0.1`
# and `::ffff:7f00:1` went through the proxy).
LOOPBACK_SPELLINGS = [
    "127.0.0.1", "127.8.9.10", "localhost", "::1", "localhost.", "LOCALHOST", "0177.0.0.1",
    "0x7f.0.0.1", "127.1", "2130706433", "0x7f000001", "::ffff:7f00:1", "::ffff:127.0.0.1",
    "0:0:0:0:0:0:0:1",
]  # fmt: skip


@pytest.mark.parametrize("host", LOOPBACK_SPELLINGS)
@pytest.mark.parametrize("scheme", ["http", "https"])
def test_loopback_is_never_proxied(host: str, scheme: str) -> None:
    environ = {"HTTPS_PROXY": "http://proxy:1", "ALL_PROXY": "http://proxy:1"}
    assert via(environ, host, 8443, scheme) == "direct"
    # Not even an unusable proxy stops a loopback hit: it never goes near one.
    assert via({"HTTPS_PROXY": "socks5://proxy:1"}, host, 8443, scheme) == "direct"


@pytest.mark.parametrize(
    ("no_proxy", "host", "port", "matches"),
    [
        ("*", GA, 443, True),
        ("google-analytics.com", GA, 443, True),
        (".google-analytics.com", GA, 443, True),
        ("*.google-analytics.com", GA, 443, True),
        ("google-analytics.com", "google-analytics.com", 443, True),
        (".google-analytics.com", "google-analytics.com", 443, True),
        ("analytics.com", GA, 443, False),  # google-analytics.com is not under it
        ("gle-analytics.com", GA, 443, False),  # a suffix of the name, not a domain of it
        ("www.google-analytics.com.evil", GA, 443, False),
        ("other.example, google-analytics.com", GA, 443, True),
        ("other.example,,  GOOGLE-analytics.COM ", GA, 443, True),
        ("other.example google-analytics.com", GA, 443, True),
        ("google-analytics.com:443", GA, 443, True),
        ("google-analytics.com:8443", GA, 443, False),
        ("google-analytics.com.", GA, 443, True),
        ("10.1.2.3", "10.1.2.3", 443, True),
        ("10.1.2.3", "10.1.2.4", 443, False),
        ("10.0.0.0/8", "10.1.2.3", 443, True),
        ("10.0.0.0/8", "11.1.2.3", 443, False),
        ("10.0.0.0/8", GA, 443, False),
        ("2001:db8::1", "2001:db8::1", 443, True),
        ("2001:db8:0::1", "2001:db8::1", 443, True),
        ("[2001:db8::1]:443", "2001:db8::1", 443, True),
        ("[2001:db8::1]:80", "2001:db8::1", 443, False),
        ("2001:db8::/32", "2001:db8::1", 443, True),
        ("", GA, 443, False),
        ("*.", GA, 443, False),
        (".", GA, 443, False),
        # Malformed entries match nothing (issue 24: `host:abc` matched every port).
        ("www.google-analytics.com:abc", GA, 443, False),
        ("www.google-analytics.com:", GA, 443, False),
        ("www.google-analytics.com:0", GA, 443, False),
        ("www.google-analytics.com:\uff14\uff14\uff13", GA, 443, False),  # fullwidth: no port
        ("[2001:db8::1", "2001:db8::1", 443, False),
        ("[2001:db8::1]443", "2001:db8::1", 443, False),
        ("[2001:db8::1]:x", "2001:db8::1", 443, False),
        ("x:abc, google-analytics.com", GA, 443, True),  # the others still count
    ],
)
def test_no_proxy(no_proxy: str, host: str, port: int, matches: bool) -> None:
    assert (bypassed(no_proxy, host, port) is not None) is matches
    environ = {"HTTPS_PROXY": "http://proxy:1", "NO_PROXY": no_proxy}
    assert via(environ, host, port) == ("direct" if matches else "http://proxy:1")


def test_no_proxy_lower_case_wins_and_bypasses_an_unusable_proxy() -> None:
    environ = {"HTTPS_PROXY": "http://p:1", "no_proxy": "", "NO_PROXY": "*"}
    assert via(environ) == "http://p:1"
    assert via({"HTTPS_PROXY": "socks5://p:1", "NO_PROXY": GA}) == "direct"


@pytest.mark.parametrize(
    "name", ["example.com", ".example.com", "www.example.com", "ample.com", "*", "example.com:443"]
)
@pytest.mark.parametrize("host", ["example.com", "www.example.com", "www.notexample.com"])
def test_no_proxy_agrees_with_urllib_on_names(name: str, host: str) -> None:
    """Python's own reading of no_proxy, for names: the one rule both share."""
    from urllib.request import proxy_bypass_environment

    ours = bypassed(name, host, 443) is not None
    theirs = bool(proxy_bypass_environment(f"{host}:443", {"no": name}))
    assert ours == theirs


def test_credentials_are_percent_decoded_into_basic_auth_and_never_shown() -> None:
    proxy = parse_proxy("HTTPS_PROXY", "http://ad%40a:p%3As%20s%E2%9C%93@proxy.corp:3128")
    assert isinstance(proxy, Proxy)
    assert proxy.shown == "http://****@proxy.corp:3128"
    request = proxy.connect_request(GA, 443)
    token = base64.b64encode("ad@a:p:s s✓".encode()).decode()
    assert (
        request
        == (
            f"CONNECT {GA}:443 HTTP/1.1\r\nHost: {GA}:443\r\n"
            f"Proxy-Authorization: Basic {token}\r\n\r\n"
        ).encode()
    )
    assert (
        parse_proxy("HTTPS_PROXY", "http://proxy:1").connect_request(  # type: ignore[union-attr]
            "2001:db8::1", 443
        )
        == b"CONNECT [2001:db8::1]:443 HTTP/1.1\r\nHost: [2001:db8::1]:443\r\n\r\n"
    )


@given(
    user=st.text(max_size=12).map(lambda t: "Xk7" + t),
    password=st.text(max_size=20).map(lambda t: "Zq9" + t),
    scheme=st.sampled_from(["http", "socks5", "https", "HTTP"]),
)
def test_no_credential_is_ever_shown(user: str, password: str, scheme: str) -> None:
    """Whatever the credentials and however the URL is read, neither the password nor the
    user name is in what is printed or logged (the route's words, the proxy as shown). Each
    starts with a marker that no fixed text holds, so a match is a leak."""
    quoted = (urllib.parse.quote(user, safe=""), urllib.parse.quote(password, safe=""))
    value = f"{scheme}://{quoted[0]}:{quoted[1]}@proxy.corp:3128"
    way = route("https", GA, 443, {"HTTPS_PROXY": value})
    said = way.describe(GA, 443) + (way.proxy.shown if way.proxy else "")
    assert "Xk7" not in said and "Zq9" not in said
    if way.proxy is not None:
        assert way.proxy.username == user.encode().decode("latin-1")
        assert way.proxy.password == password.encode().decode("latin-1")


def test_a_malformed_value_is_refused_without_being_repeated() -> None:
    way = route("https", GA, 443, {"HTTPS_PROXY": "http://user:hunter2@proxy:notaport"})
    assert way.refused and "hunter2" not in way.describe(GA, 443)
    assert "HTTPS_PROXY" in way.refused


# --- the tunnel, against the test proxy ---------------------------------------------------------


@contextlib.contextmanager
def echo_server() -> Iterator[int]:
    """A loopback server that answers one HTTP status line to whatever it reads."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(10)

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                conn.settimeout(10)
                data = b""
                while b"\r\n\r\n" not in data:
                    data += conn.recv(4096)
                conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        thread.join(timeout=10)


def proxy_of(proxy: ConnectProxy, creds: str = "") -> Proxy:
    parsed = parse_proxy("HTTPS_PROXY", f"http://{creds}127.0.0.1:{proxy.port}")
    assert isinstance(parsed, Proxy)
    return parsed


def test_post_through_the_tunnel_sends_the_same_bytes() -> None:
    raw = b"POST /collect HTTP/1.1\r\nHost: collector.test\r\nContent-Length: 0\r\n\r\n"
    with echo_server() as port:
        routes = {"collector.test:443": ("127.0.0.1", port)}
        with ConnectProxy(routes=routes, credentials=("u", "p w")) as proxy:
            outcome = post(
                "collector.test", 443, False, raw, 10.0, proxy=proxy_of(proxy, "u:p%20w@")
            )
            (seen,) = proxy.seen()
    assert outcome == f"sent: HTTP 204 (through the proxy http://****@127.0.0.1:{proxy.port})"
    assert seen.line == "CONNECT collector.test:443 HTTP/1.1"
    assert seen.headers == (
        ("Host", "collector.test:443"),
        ("Proxy-Authorization", "Basic " + base64.b64encode(b"u:p w").decode()),
    )


@pytest.mark.parametrize(
    ("behaviour", "status", "creds", "said"),
    [
        ("refuse", 403, "", "refused the tunnel (HTTP 403)"),
        ("tunnel", 0, "", "asks for credentials (HTTP 407)"),
        ("tunnel", 0, "u:wrong@", "refused the credentials (HTTP 407)"),
        ("tunnel", 502, "u:p@", "refused the tunnel (HTTP 502)"),  # no route to the target
    ],
)
def test_a_refused_tunnel_is_an_error_naming_the_proxy(
    behaviour: str, status: int, creds: str, said: str
) -> None:
    creds_wanted = ("u", "p") if behaviour == "tunnel" else None
    with (
        ConnectProxy(behaviour=behaviour, status=status, credentials=creds_wanted) as proxy,
        pytest.raises(ProxyError) as caught,
    ):
        post(GA, 443, True, b"never sent", 10.0, proxy=proxy_of(proxy, creds))
    assert (
        str(caught.value)
        == f"the proxy http://{'****@' if creds else ''}127.0.0.1:{proxy.port} {said}"
    )
    assert "wrong" not in str(caught.value)


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (b"SSH-2.0-OpenSSH\r\n\r\n", "did not answer CONNECT in HTTP"),
        (b"HTTP/1.1 200 OK\r\n\r\nearly", "sent data before the tunnel was open"),
        (b"HTTP/1.1 200 OK\r\n" + b"X: " + b"y" * 9000, "over 8192 bytes"),
        (b"HTTP/1.1 200 OK\r\n", "closed the connection before answering"),
    ],
)
def test_a_bad_answer_to_connect_is_an_error(answer: bytes, said: str) -> None:
    a, b = socket.socketpair()
    with a, b:
        b.sendall(answer)
        if not answer.endswith(b"\r\n\r\n") and len(answer) < 8192:
            b.shutdown(socket.SHUT_WR)
        proxy = Proxy("127.0.0.1", 1, "", "", "HTTPS_PROXY")
        with pytest.raises(ProxyError, match=said):
            open_tunnel(a, proxy, GA, 443, lambda: 5.0)


def test_one_deadline_covers_the_proxy_as_a_whole() -> None:
    """A proxy that answers CONNECT one byte every 50 ms never lets a single step time out, yet
    the whole answer takes longer than the budget: the sender gives up on the budget."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def trickle() -> None:
        with contextlib.suppress(OSError):
            conn, _ = listener.accept()
            with conn:
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"y" * 400 + b"\r\n\r\n":
                    if stop.wait(0.05):
                        return
                    conn.sendall(bytes([byte]))

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    proxy = Proxy("127.0.0.1", listener.getsockname()[1], "", "", "HTTPS_PROXY")
    try:
        with pytest.raises(TimeoutError):  # the socket's, or the budget's own
            post(GA, 443, True, b"never sent", 0.5, proxy=proxy)
    finally:
        stop.set()
        listener.close()
        thread.join(timeout=10)


def test_a_hanging_proxy_costs_the_sender_its_budget_and_no_more() -> None:
    with ConnectProxy(behaviour="hang") as proxy:
        start = time.monotonic()
        with pytest.raises(TimeoutError):
            post(GA, 443, True, b"never sent", 0.3, proxy=proxy_of(proxy))
        # Only a floor, never a ceiling: the budget is spent waiting, not skipped.
        assert time.monotonic() - start >= 0.3
        (seen,) = proxy.seen()
    assert seen.line == f"CONNECT {GA}:443 HTTP/1.1"


def test_the_proxy_variables_travel_in_the_job() -> None:
    """The gate copies them into the job (stdin, never argv); the sender refuses a malformed copy."""
    import json

    from consent._wire.job import Job

    job = Job(
        host=GA, port=443, tls=True, raw=b"x", log="l", id="i", id_placeholder="",
        keyring_service="k", id_file="f", app="a", mode="opt-in", notice_version="1",
        disable_env="D", config_path="c", policy_paths=(),
        proxy_env=(("HTTPS_PROXY", "http://u:p@h:1"), ("NO_PROXY", "x")),
    )  # fmt: skip
    assert Job.from_json(job.to_json().encode()) == job
    for bad in ([["HTTPS_PROXY"]], [["HTTPS_PROXY", 1]], {"HTTPS_PROXY": "x"}, "x", None):
        data = json.loads(job.to_json())
        data["proxy_env"] = bad
        with pytest.raises(ValueError, match="proxy_env"):
            Job.from_json(json.dumps(data).encode())


def test_the_gate_copies_only_the_proxy_variables(
    consent_home: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consent._wire import gate
    from consent._wire.job import Job
    from lumogon import SPEC

    handed: list[Job] = []
    monkeypatch.setattr(gate, "spawn_sender", handed.append)
    environ = {
        "HTTPS_PROXY": "http://p:1",
        "no_proxy": "x",
        "HTTP_PROXY": "http://q:2",
        "http_proxy": "http://q:2",
        "HOME": "/h",
    }
    result = gate._send(
        SPEC, "screenview", command="lumogon version", values=None, environ=environ,
        recorded_by=None, local=False, purpose="", managed="",
    )  # fmt: skip
    assert result.outcome == "handed", result
    assert handed[0].proxy_env == (("HTTPS_PROXY", "http://p:1"), ("no_proxy", "x"))


@pytest.mark.parametrize("host", ["127.0.0.08", "127.0.0.1.", "127.0.0.256", "::127.0.0.1"])
def test_what_only_looks_like_loopback_goes_through_the_proxy(host: str) -> None:
    """A spelling the resolver would ask DNS about is a name, which may be anywhere."""
    assert via({"HTTPS_PROXY": "http://proxy:1"}, host) == "http://proxy:1"


@pytest.mark.parametrize("value", ["", " ", "\t", "\n \t"])
def test_a_blank_proxy_variable_sends_nothing(value: str) -> None:
    """Regression (issue 24): `HTTPS_PROXY="   "` was read as unset and the sender went
    directly; a variable that is set names a proxy, or nothing is sent."""
    way = route("https", GA, 443, {"HTTPS_PROXY": value})
    assert (
        way.proxy is None
        and way.refused == "HTTPS_PROXY is set but empty: unset it to connect directly"
    )
    assert way.describe(GA, 443).startswith("nowhere: nothing would be sent")


# --- the edges scripts/mutate.py found untested (issue 24) --------------------------------------

USAGE = "HTTPS_PROXY is not a proxy URL the sender can use (http://[user:password@]host:port)"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("http://u ser:pw@proxy:1", USAGE),  # a space in the credentials
        ("http://u\x07:pw@proxy:1", USAGE),  # a control character in them
        ("http://u?x:pw@proxy:1", USAGE),  # a query, a fragment or a backslash anywhere
        ("http://u#x:pw@proxy:1", USAGE),
        ("http://u\\x:pw@proxy:1", USAGE),
        ("sock$5://proxy:1", USAGE),  # not a scheme at all
        ("a+b-c.d://proxy:1", "HTTPS_PROXY names a a+b-c.d:// proxy, and the sender supports only http:// proxies"),
        ("http://[2001:db8::1", USAGE),  # an unclosed bracket
        ("http://[proxy]:1", USAGE),  # brackets around what is no IPv6 address
        ("http://[::1]x:1", USAGE),  # something after the bracket but a port
        ("http://[::1]x3128", USAGE),
        ("http://a:1:2", USAGE),  # an IPv6 address without brackets
        ("http://pro!xy:1", USAGE),  # a character no host name holds
        ("http://proxy:0", USAGE),
        ("http://proxy:65536", USAGE),
    ],
)  # fmt: skip
def test_every_malformed_proxy_value_is_refused_in_words(value: str, expected: str) -> None:
    assert parse_proxy("HTTPS_PROXY", value) == expected


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("http://[::1]", "http://[::1]:80"),  # brackets without a port
        ("http://PROXY-X.corp_1:65535", "http://proxy-x.corp_1:65535"),
        ("http://:secret@proxy:1", "http://****@proxy:1"),  # a password alone is masked too
    ],
)
def test_edge_proxy_values_that_are_read(value: str, shown: str) -> None:
    proxy = parse_proxy("HTTPS_PROXY", value)
    assert isinstance(proxy, Proxy) and proxy.shown == shown


def test_credentials_are_sent_with_a_user_or_a_password_alone() -> None:
    for value, pair in (("http://:secret@p:1", b":secret"), ("http://ada@p:1", b"ada:")):
        proxy = parse_proxy("HTTPS_PROXY", value)
        assert isinstance(proxy, Proxy)
        basic = base64.b64encode(pair).decode()
        assert f"Proxy-Authorization: Basic {basic}\r\n".encode() in proxy.connect_request(GA, 443)
    plain = parse_proxy("HTTPS_PROXY", "http://p:1")
    assert isinstance(plain, Proxy) and b"Proxy-Authorization" not in plain.connect_request(GA, 443)


def test_a_percent_that_escapes_nothing_stays_as_it_is() -> None:
    proxy = parse_proxy("HTTPS_PROXY", "http://a%zz%41%4:p@proxy:1")
    assert isinstance(proxy, Proxy) and proxy.username == "a%zzA%4"


def test_plain_http_and_loopback_go_directly_and_say_why() -> None:
    environ = {"HTTPS_PROXY": "http://proxy:1"}
    way = route("https", "127.0.0.1", 443, environ)
    assert (way.proxy, way.why) == (None, "a loopback address never goes through a proxy")
    # Plain http goes only to loopback (consent/_core/endpoint.py); whatever host it names, it
    # never goes through a proxy, which would carry it off the machine.
    assert route("http", "10.1.2.3", 80, environ).proxy is None


@pytest.mark.parametrize(
    ("no_proxy", "host", "port", "matches"),
    [
        ("google-analytics.com,other.example", GA, 443, True),  # the first of a list
        ("example.com", "WWW.EXAMPLE.COM.", 443, True),  # the host's case and final dot
        ("[2001:db8::1]", "2001:db8::1", 443, True),  # brackets without a port
        ("[2001:db8::1]x443", "2001:db8::1", 443, False),
        ("2001:db8::zz", "2001:db8::1", 443, False),  # no address at all
        ("10.1.2.3/8", "10.9.9.9", 443, True),  # host bits set in the block
        ("example.com:65535", "example.com", 65535, True),
    ],
)
def test_no_proxy_edges(no_proxy: str, host: str, port: int, matches: bool) -> None:
    assert (bypassed(no_proxy, host, port) is not None) is matches


class Recorded:
    """A proxy's socket that answers `answer` and records each call, in order."""

    def __init__(self, answer: bytes) -> None:
        self.answer, self.calls = answer, []  # type: ignore[var-annotated]

    def settimeout(self, timeout: float) -> None:
        self.calls.append("settimeout")

    def sendall(self, data: bytes) -> None:
        self.calls.append("sendall")

    def recv(self, n: int) -> bytes:
        self.calls.append("recv")
        piece, self.answer = self.answer[:1], self.answer[1:]
        return piece


def test_every_step_of_the_tunnel_is_given_the_time_left() -> None:
    sock = Recorded(b"HTTP/1.1 200\r\n\r\n")  # no reason phrase: still a yes
    open_tunnel(sock, Proxy("p", 1, "", "", "HTTPS_PROXY"), GA, 443, lambda: 1.0)  # type: ignore[arg-type]
    assert sock.calls[:2] == ["settimeout", "sendall"]
    assert sock.calls[2:] == ["settimeout", "recv"] * 16  # one byte at a time


@pytest.mark.parametrize(
    ("answer", "said"),
    [
        (b"HTTP/1.1\r\n\r\n", "did not answer CONNECT in HTTP"),
        (b"XTTP/1.1 200 OK\r\n\r\n", "did not answer CONNECT in HTTP"),
        (b"HTTP/1.1 300 Multiple\r\n\r\n", "refused the tunnel (HTTP 300)"),
        (b"HTTP/1.1 199 x\r\n\r\n", "refused the tunnel (HTTP 199)"),
        (b"HTTP/1.1 200 OK\r\n" + b"X: " + b"y" * 9000, "answered CONNECT with over 8192 bytes"),
        (b"HTTP/1.1 200 OK\r\n", "closed the connection before answering"),
    ],
)
def test_each_refusal_of_the_tunnel_in_words(answer: bytes, said: str) -> None:
    sock = Recorded(answer)
    with pytest.raises(ProxyError) as caught:
        open_tunnel(sock, Proxy("p", 1, "", "", "HTTPS_PROXY"), GA, 443, lambda: 1.0)  # type: ignore[arg-type]
    assert str(caught.value) == f"the proxy http://p:1 {said}"
