"""The readers of variables and of peers' answers, fuzzed (issue 24): the disabling variables,
the path variables, the endpoint override, the proxy variables (and loopback in any spelling),
the sender's job, the collector's answer, a proxy's answer to CONNECT.

Each `test_fuzz_<reader>` holds its reader to the bound docs/security.md states for it
("Readers of outside input"). The harness is tests/fuzz.py.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import strategies as st

from consent._core.endpoint import is_loopback, parse_endpoint
from consent._core.envgrammar import CI_MARKERS, DO_NOT_TRACK, ci_marker, read_value
from consent._core.jsonline import MAX_DEPTH as JSON_DEPTH
from consent._core.names import HTTPS_PROXY_VARIABLES, NO_PROXY_VARIABLES
from consent._core.rules import decide
from consent._errors import ConfigError, EndpointError
from consent._store.paths import locations
from consent._store.sources import gather
from consent._wire import sender
from consent._wire.job import MAX_JOB, Job
from consent._wire.proxy import MAX_ANSWER, Proxy, ProxyError, open_tunnel, route
from consent.testing.home import Home
from lumogon import SPEC
from tests.fuzz import (
    ESCAPES,
    EXAMPLES,
    command,
    environ_can_hold,
    hostile_json,
    json_parser_calls,
    run,
    terminal_safe,
)

# --- variables --------------------------------------------------------------------------------

WORDS = [
    "",
    " ",
    "0",
    "1",
    "true",
    "FALSE",
    " yes ",
    "off",
    "no",
    "\uff54\uff52\uff55\uff45",
    "\tOff\n",
    "é",
]
VALUES = st.one_of(
    st.sampled_from(WORDS + ESCAPES),
    st.text(max_size=30),
    st.integers(1, 200_000).map(lambda n: "x" * n),
)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_env_disable(examples: int, consent_home: Home) -> None:
    """`LUMOGON_DISABLE_ANALYTICS`, `DO_NOT_TRACK` and the CI markers, set to anything: a false
    word or blank is no vote, anything else disables (an unknown word with a warning); what
    `status` prints of the value is escaped."""
    locs = consent_home.locations(SPEC)
    locs.config_file.parent.mkdir(parents=True, exist_ok=True)
    locs.config_file.write_text(
        f'[telemetry]\nenabled = true\nnotice_version = "{SPEC.notice_version}"\n'
    )

    def prop(name: str, value: str) -> None:
        environ = {name: value}
        decision = decide(gather(SPEC, environ=environ, locs=locs, cwd="/", home="/"))
        reading = read_value(value)
        word = value.strip().lower()
        if name in CI_MARKERS:
            assert (ci_marker(environ) == name) is (reading in ("true", "unknown"))
            assert decision.enabled  # a CI marker decides who is asked, not the decision
            return
        assert reading == (
            "unset"
            if not word
            else "false"
            if word in ("0", "false", "no", "off")
            else "true"
            if word in ("1", "true", "yes", "on")
            else "unknown"
        )
        assert decision.enabled is (reading in ("unset", "false"))
        if reading == "unknown":
            assert any("not understood" in w for w in decision.warnings)
        os.environ[name] = value
        try:
            code, out, err = command("status")
        finally:
            del os.environ[name]
        assert code == 0 and terminal_safe(out) and terminal_safe(err)

    names = st.sampled_from([SPEC.disable_env, DO_NOT_TRACK, "CI", "GITHUB_ACTIONS"])
    values = VALUES.filter(environ_can_hold)
    run(prop, names, values, examples=examples)


PATH_VALUES = st.one_of(
    st.sampled_from(["", "relative", "/", "~", "/a b", "/x\x1b[31m", "/x\udcff", "/x\u202e"]),
    # What an environment can hold: no NUL, surrogates only for bytes that are not UTF-8.
    st.text(st.characters(exclude_characters="\x00", exclude_categories=("Cs",)), max_size=20),
)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_env_paths(examples: int, consent_home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    """`HOME` and the `XDG_*` directories, set to anything: the locations are computed (or the
    commands refuse with a ConfigError saying what to set), nothing is created, and `status`
    prints every path escaped."""

    def prop(name: str, value: str) -> None:
        before = consent_home.tree()
        with monkeypatch.context() as patch:
            patch.setenv(name, value)
            with contextlib.suppress(ConfigError):
                locations(SPEC)
            code, out, err = command("status")
        assert code in (0, 1) and terminal_safe(out) and terminal_safe(err)
        assert consent_home.tree() == before  # reading creates nothing
        if code:
            assert err.startswith("error: ")

    names = st.sampled_from(
        ["HOME", "XDG_CONFIG_HOME", "XDG_CONFIG_DIRS", "XDG_DATA_HOME", "XDG_STATE_HOME"]
    )
    always = (("XDG_STATE_HOME", "/x\x1b[31m"),)
    run(prop, names, PATH_VALUES, examples=examples, always=always)


def resolver_loopback(host: str) -> bool:
    """The oracle: does the system resolver read `host` as a loopback address without asking
    anyone (AI_NUMERICHOST), or is it `localhost`?"""
    if host.lower() in ("localhost", "localhost."):
        return True
    try:
        found = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
    except (OSError, UnicodeError, ValueError):
        return False
    address = ipaddress.ip_address(found[0][4][0].split("%")[0])
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def ipv4_forms(number: int) -> st.SearchStrategy[str]:
    """`number` spelled as inet_aton reads it: 1 to 4 parts, each decimal, octal or hex."""
    octets = number.to_bytes(4, "big")

    def spell(value: int, how: str) -> str:
        return {"d": str(value), "o": "0" + format(value, "o"), "x": hex(value)}[how]

    def form(parts: int, hows: list[str]) -> str:
        head = list(octets[: parts - 1])
        last = int.from_bytes(octets[parts - 1 :], "big")
        return ".".join(spell(v, h) for v, h in zip([*head, last], hows, strict=False))

    return st.builds(
        form, st.integers(1, 4), st.lists(st.sampled_from("dox"), min_size=4, max_size=4)
    )


HOSTS = st.one_of(
    st.integers(0, 2**32 - 1).flatmap(ipv4_forms),
    st.integers(127 << 24, (128 << 24) - 1).flatmap(ipv4_forms),
    st.sampled_from(
        [
            "localhost",
            "localhost.",
            "LOCALHOST",
            "localhost..",
            "127.0.0.1.",
            "127.0.0.08",
            "127.0.0.256",
            "::1",
            "0:0:0:0:0:0:0:1",
            "::ffff:7f00:1",
            "::ffff:127.0.0.1",
            "::1%lo",
            "::127.0.0.1",
            "::ffff:a00:1",
            "www.google-analytics.com",
            "127.1.",
            "0x",
            "",
            ".",
        ]
    ),
    st.text("0123456789abcdefx.:%", max_size=20),
)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_loopback(examples: int) -> None:
    """A host is loopback exactly when the resolver reads it as a loopback address (or it is
    `localhost`): never a name a DNS server could answer (the endpoint would then send plain
    http off the machine), and every spelling of 127.0.0.0/8 and ::1 (or a hit to this machine
    would go through a proxy)."""

    def prop(host: str) -> None:
        assert is_loopback(host) is resolver_loopback(host), host

    spellings = ("localhost.", "0177.0.0.1", "::ffff:7f00:1", "127.0.0.08", "127.0.0.1.")
    run(prop, HOSTS, examples=examples, always=tuple((h,) for h in spellings))


ENDPOINTS = st.one_of(
    st.builds(
        lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
        st.sampled_from(["http", "https", "HTTP", "ftp", ""]),
        HOSTS.map(lambda h: f"[{h}]" if ":" in h else h),
        st.sampled_from(["", ":1", ":8080", ":0", ":65536", ":x", ":"]),
        st.sampled_from(["", "/", "/a/b", "?q", "#f", "/\x1b[31m"]),
    ),
    st.text(max_size=40),
    st.sampled_from(ESCAPES).map(lambda e: f"https://x{e}.example"),
)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_endpoint(examples: int, consent_home: Home) -> None:
    """The endpoint override, set to anything: an https URL, or plain http to a loopback
    address as the resolver reads it, is taken; anything else refused (nothing sent, a
    warning); `status` and `show-payload` print it escaped."""

    def prop(url: str) -> None:
        try:
            endpoint = parse_endpoint(url)
        except EndpointError:
            endpoint = None
        if endpoint is not None:
            assert endpoint.scheme == "https" or resolver_loopback(endpoint.host)
            assert endpoint.netloc.isascii() and endpoint.netloc.isprintable()
        os.environ[SPEC.endpoint_env] = url
        try:
            outputs = [command("status"), command("show-payload", words=["version"])]
        finally:
            del os.environ[SPEC.endpoint_env]
        for code, out, err in outputs:
            # show-payload's stdout is the request's exact bytes: its lines end in CR LF.
            assert code in (0, 1) and terminal_safe(out.replace("\r\n", "\n"))
            assert terminal_safe(err)

    always = (("https://x\x1b[31m.example",), ("http://0177.0.0.1:9",), ("http://127.0.0.08",))
    run(prop, ENDPOINTS.filter(environ_can_hold), examples=examples, always=always)


PROXY_VALUES = st.one_of(
    st.sampled_from(
        ["", " ", "\t", "http://proxy:3128", "proxy:3128", "socks5://p:1", "http://p:x", "http://"]
    ),
    st.text(max_size=20),
)
NO_PROXY_VALUES = st.one_of(
    st.lists(
        st.sampled_from(
            [
                "*",
                "google-analytics.com",
                ".google-analytics.com",
                "www.google-analytics.com:abc",
                "www.google-analytics.com:443",
                "www.google-analytics.com:",
                "[::1",
                "[::1]x",
                "10.0.0.0/8",
                "localhost",
                "",
                "*.",
                ".",
            ]
        ),
        max_size=3,
    ).map(",".join),
    st.text(max_size=20),
)


def well_formed_match(no_proxy: str, host: str, port: int) -> bool:
    """The oracle for a bypass: some entry names this host (or `*`), or is an address block
    (`10.0.0.0/8`) holding this address, with no port or a port that is a number and this one;
    a malformed entry matches nothing."""
    import ipaddress

    for raw in no_proxy.replace(",", " ").split():
        entry = raw.lower()
        if entry == "*":
            return True
        name, sep, entry_port = entry.rpartition(":") if entry.count(":") == 1 else (entry, "", "")
        if sep and not (
            entry_port.isascii() and entry_port.isdigit() and 0 < int(entry_port) < 65536
        ):
            continue
        if sep and int(entry_port) != port:
            continue
        if "/" in name:
            try:
                if ipaddress.ip_address(host) in ipaddress.ip_network(name, strict=False):
                    return True
            except ValueError:
                pass
            continue
        name = name.removeprefix("*").strip(".")
        if name and (host == name or host.endswith("." + name)):
            return True
    return False


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_proxy_vars(examples: int) -> None:
    """The proxy variables, set to anything: when one is set, a hit to a host that is not
    loopback never goes directly unless a well-formed NO_PROXY entry names that host; a blank
    or malformed value sends nothing. A loopback host never goes through a proxy."""

    def prop(env: dict[str, str], host: str) -> None:
        way = route("https", host, 443, env)
        variable = next((v for v in HTTPS_PROXY_VARIABLES if v in env), None)
        bypass = next((env[v] for v in NO_PROXY_VARIABLES if v in env), None)
        if is_loopback(host) or variable is None:
            assert way.proxy is None and not way.refused
            return
        if way.proxy is None and not way.refused:  # directly: only by a NO_PROXY entry
            assert bypass is not None and well_formed_match(bypass, host.lower(), 443), way
        if not env[variable].strip():
            assert way.refused or (way.proxy is None and bypass is not None)

    names = st.sampled_from([*HTTPS_PROXY_VARIABLES, *NO_PROXY_VARIABLES, "HTTP_PROXY"])
    envs = st.dictionaries(names, st.one_of(PROXY_VALUES, NO_PROXY_VALUES), max_size=4)
    hosts = st.sampled_from(["www.google-analytics.com", "collector.example", "127.0.0.1",
                             "0177.0.0.1", "localhost.", "::ffff:7f00:1", "10.1.2.3"])  # fmt: skip
    ga = "www.google-analytics.com"
    always = (
        ({"HTTPS_PROXY": "   "}, ga),
        ({"HTTPS_PROXY": "http://p:1", "NO_PROXY": f"{ga}:abc"}, ga),
        ({"HTTPS_PROXY": "http://p:1"}, "0177.0.0.1"),
        ({"https_proxy": "", "no_proxy": "0.0.0.0/0"}, "10.1.2.3"),  # a block holds every address
    )
    run(prop, envs, hosts, examples=examples, always=always)


# --- the sender's job and what peers answer ---------------------------------------------------


def jobs() -> st.SearchStrategy[bytes]:
    good = Job(
        "127.0.0.1",
        9,
        False,
        b"POST / HTTP/1.1\r\n\r\n",
        "/nowhere/log",
        "id",
        "",
        "svc",
        "/nowhere/id",
        "lumogon",
        "opt-out",
        "v",
        "X",
        "/nowhere/c",
        ("/nowhere/p",),
    ).to_json()
    return st.one_of(
        hostile_json(),
        st.just(good.encode()),
        st.builds(
            lambda k, v: good.replace(f'"{k}":', f'"{k}": {v}, "x":', 1).encode(),
            st.sampled_from(["host", "port", "tls", "raw", "proxy_env"]),
            st.sampled_from(["1", "true", "null", '"x"', "[[[[]]]]", "-1"]),
        ),
        st.integers(1, 3).map(lambda n: b" " * (MAX_JOB * n // 2) + good.encode()),
    )


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_job(examples: int) -> None:
    """The sender's stdin, whatever it holds: a Job with every field of its type, or
    ValueError (the sender then does nothing); no text deeper than 16 levels reaches the json
    parser, and the sender reads at most MAX_JOB bytes of it."""

    def prop(data: bytes) -> None:
        with json_parser_calls() as parsed:
            try:
                job = Job.from_json(data[:MAX_JOB])
            except ValueError:
                job = None
        assert max(parsed, default=0) <= JSON_DEPTH
        if job is not None:
            assert type(job.port) is int and type(job.tls) is bool and isinstance(job.raw, bytes)

    run(prop, jobs(), examples=examples, always=((b"[" * 100_000 + b"]" * 100_000,),))


@contextmanager
def answering(answer: bytes) -> Iterator[int]:
    """A loopback server that sends `answer` to each connection (after reading the request),
    then closes; its port."""
    server = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.05)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(2)
                try:
                    conn.recv(65536)
                    conn.sendall(answer)
                except OSError:
                    pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield server.getsockname()[1]
    finally:
        stop.set()
        thread.join(5)
        server.close()


ANSWERS = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            b"HTTP/1.1 204 No Content\r\n\r\n",
            b"HTTP/1.1 \xb2\xb2\xb2 x\r\n",
            b"HTTP/1.1 200",
            b"\r\n",
        ]
    ),
    st.integers(1, 64).map(lambda n: b"x" * (1024 * n)),  # no line end at all
)


@pytest.mark.parametrize(
    "examples", [pytest.param(10, id="few"), pytest.param(40, id="many", marks=pytest.mark.slow)]
)
def test_fuzz_collector_answer(examples: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Whatever the collector answers: an outcome `sent: HTTP <status>` or an exception the
    sender turns into `failed: …`; at most 8 KiB of it is read (two reads of 4 KiB)."""
    reads: list[int] = []
    real = socket.socket.recv

    def counting(self: socket.socket, n: int, *args: Any) -> bytes:
        data = real(self, n, *args)
        reads.append(len(data))
        return data

    monkeypatch.setattr(socket.socket, "recv", counting)

    def prop(answer: bytes) -> None:
        reads.clear()
        with answering(answer) as port:
            try:
                outcome = sender.post("127.0.0.1", port, False, b"POST / HTTP/1.1\r\n\r\n", 5.0)
            except (ValueError, OSError):
                outcome = None
        assert sum(reads) <= 2 * 4096
        if outcome is not None:
            code = outcome.split(" ")[2]
            assert outcome.startswith("sent: HTTP ") and code.isascii() and code.isdigit()

    run(prop, ANSWERS, examples=examples, always=((b"HTTP/1.1 \xb2 x\r\n\r\n",),))


class FakeSocket:
    """A socket whose peer answers `data` in chunks of `chunk` bytes; counts what is read."""

    def __init__(self, data: bytes, chunk: int) -> None:
        self.data, self.chunk, self.read = data, chunk, 0

    def settimeout(self, timeout: float) -> None:
        assert timeout > 0

    def sendall(self, data: bytes) -> None:
        assert data.startswith(b"CONNECT ")

    def recv(self, n: int) -> bytes:
        piece = self.data[self.read : self.read + min(n, self.chunk)]
        self.read += len(piece)
        return piece


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_proxy_answer(examples: int) -> None:
    """Whatever a proxy answers to CONNECT: the tunnel opens on a 2xx head with nothing after
    it, or ProxyError names the proxy (credentials masked); at most 8 KiB is read."""
    proxy = Proxy("proxy.corp", 3128, "user", "secret", "HTTPS_PROXY")
    heads = st.one_of(
        st.binary(max_size=300),
        st.builds(
            lambda s, extra: f"HTTP/1.1 {s} x\r\n".encode() + extra + b"\r\n\r\n",
            st.sampled_from(["200", "407", "403", "2000", "\xb2", "abc"]),
            st.binary(max_size=50),
        ),
        st.integers(1, 4).map(lambda n: b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * (1000 * n)),
        st.just(b"HTTP/1.1 200 OK\r\n\r\nearly"),
    )

    def prop(data: bytes, chunk: int) -> None:
        sock = FakeSocket(data, chunk)
        try:
            open_tunnel(sock, proxy, "www.google-analytics.com", 443, lambda: 1.0)  # type: ignore[arg-type]
        except ProxyError as exc:
            assert "http://****@proxy.corp:3128" in str(exc) and "secret" not in str(exc)
        else:
            head, sep, rest = data[: sock.read].partition(b"\r\n\r\n")
            assert sep and not rest and head.split(b" ")[1][:1] == b"2"
        assert sock.read <= MAX_ANSWER

    run(prop, heads, st.integers(1, 9000), examples=examples)


def test_a_status_in_other_digits_is_not_an_outcome() -> None:
    """Found by the fuzz harness: `HTTP/1.1 ²²² x` (digits to str.isdigit, read as latin-1) was
    logged as `sent: HTTP ²²²`."""
    with answering(b"HTTP/1.1 \xb2\xb2\xb2 x\r\n\r\n") as port, pytest.raises(ValueError):
        sender.post("127.0.0.1", port, False, b"POST / HTTP/1.1\r\n\r\n", 5.0)
