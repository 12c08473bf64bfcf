"""Issue 16, part 4: the real CLI and its detached sender behind an HTTPS_PROXY, loopback only.

The proxy is consent.testing.proxy.ConnectProxy on 127.0.0.1. It tunnels only to loopback
targets it is given (`routes`), so a destination such as `collector.test` is reached only
through it: the sender never resolves that name itself, as with a real proxy. The audit hook
(consent.testing.sockets) records every socket operation of the host and the sender.
"""

from __future__ import annotations

import ssl
import subprocess
from pathlib import Path

import pytest

from consent._store.choices import record_choice
from consent.testing.collector import Collector
from consent.testing.proxy import ConnectProxy
from consent.testing.sockets import SocketWatch
from lumogon import SPEC
from tests.helpers import LUMOGON, PROCESS_TIMEOUT, SENDER_TIMEOUT, Iso, logged_hits, self_signed

GA = "www.google-analytics.com"
NAME = "collector.test"  # reserved (RFC 2606): no resolver answers it, only the proxy's route


@pytest.fixture
def enabled(iso: Iso) -> Iso:
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    return iso


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [*LUMOGON, *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc


def hosts(watch: SocketWatch) -> set[str]:
    """Every address or name the processes connected to or looked up."""
    return {str(e["host"]) for e in watch.network() if e["event"] != "socket.__new__"}


def test_a_real_hit_goes_to_the_proxy_as_connect_and_nothing_else_leaves(
    enabled: Iso, consent_sockets: SocketWatch
) -> None:
    """The app's own destination (Google's), HTTPS_PROXY at a loopback proxy: the proxy is asked
    for `CONNECT www.google-analytics.com:443` and the only connection is the one to it."""
    with ConnectProxy(behaviour="refuse", status=403) as proxy:
        # The hook refuses anything beyond loopback: should the sender ever go directly, it
        # fails here instead of reaching Google.
        env = {**consent_sockets.env(enabled.env, refuse="remote"), "HTTPS_PROXY": proxy.url}
        proc = run(env, "version")
        (item,) = logged_hits(enabled.locs.log_file)
        (seen,) = proxy.seen()
    assert proc.stdout == "lumogon 0.1.0\n" and proc.stderr == ""
    assert seen.line == f"CONNECT {GA}:443 HTTP/1.1"
    assert seen.headers == (("Host", f"{GA}:443"),)
    assert hosts(consent_sockets) == {"127.0.0.1"}  # no lookup of Google's name, no other peer
    assert item["outcome"] == (
        f"failed: ProxyError: the proxy {proxy.url} refused the tunnel (HTTP 403)"
    )


@pytest.fixture
def tls_collector(tmp_path: Path) -> tuple[Collector, str]:
    """A collector speaking https with a certificate for `collector.test`, and that certificate,
    which the sender trusts through OpenSSL's own SSL_CERT_FILE (no code path of ours)."""
    pair = self_signed(tmp_path, NAME)
    if pair is None:
        pytest.skip("neither the openssl CLI nor cryptography to make a certificate")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*pair)
    return Collector(tls=context), pair[0]


def test_a_full_hit_tunnels_through_the_proxy_with_credentials(
    enabled: Iso, tls_collector: tuple[Collector, str], consent_sockets: SocketWatch
) -> None:
    """TLS with the real host inside the tunnel, verified; Proxy-Authorization from the URL;
    the collector receives exactly the bytes show-payload prints; no credential is written."""
    collector, cafile = tls_collector
    with collector:
        port = int(collector.url.rsplit(":", 1)[1])
        routes = {f"{NAME}:443": ("127.0.0.1", port)}
        with ConnectProxy(routes=routes, credentials=("ada@home", "s3cr:t pw")) as proxy:
            env = {
                **consent_sockets.env(enabled.env, refuse="remote"),
                SPEC.endpoint_env: f"https://{NAME}",
                "https_proxy": f"http://ada%40home:s3cr%3At%20pw@127.0.0.1:{proxy.port}",
                "SSL_CERT_FILE": cafile,
            }
            run(env, "version")
            (hit,) = collector.wait_for(1, timeout=SENDER_TIMEOUT)
            (item,) = logged_hits(enabled.locs.log_file)
            shown = subprocess.run(
                [*LUMOGON, "telemetry", "show-payload", "version", "--event", "screenview", "--with-id"],
                env=env, capture_output=True, timeout=PROCESS_TIMEOUT, check=True,
            )  # fmt: skip
            (seen,) = proxy.seen()
    assert seen.line == f"CONNECT {NAME}:443 HTTP/1.1"
    assert seen.header("Proxy-Authorization") == "Basic YWRhQGhvbWU6czNjcjp0IHB3"
    assert hit.valid and hit.raw_request == shown.stdout
    assert hit.raw_request.startswith(b"POST /collect HTTP/1.1\r\nHost: collector.test\r\n")
    masked = f"http://****@127.0.0.1:{proxy.port}"
    assert item["outcome"] == f"sent: HTTP 200 (through the proxy {masked})"
    said = shown.stderr.decode()
    assert f"# connects through the proxy {masked} (from https_proxy): CONNECT {NAME}:443" in said
    assert hosts(consent_sockets) == {"127.0.0.1"}  # collector.test was never looked up
    for where in (said, enabled.locs.log_file.read_text("utf-8")):
        assert "s3cr" not in where and "ada" not in where


def test_no_proxy_bypasses_the_proxy(enabled: Iso, consent_sockets: SocketWatch) -> None:
    """NO_PROXY names Google's domain: the sender goes directly (the audit hook refuses the
    lookup, so nothing leaves) and the proxy is never asked."""
    with ConnectProxy() as proxy:
        env = {
            **consent_sockets.env(enabled.env, refuse=True),
            "HTTPS_PROXY": proxy.url,
            "NO_PROXY": "localhost,.google-analytics.com",
        }
        shown = run(env, "telemetry", "show-payload", "version", "--event", "screenview")
        run(env, "version")
        (item,) = logged_hits(enabled.locs.log_file)
        assert proxy.seen() == []
    assert GA in hosts(consent_sockets)  # tried directly, refused by the hook
    assert str(item["outcome"]).startswith("failed: PermissionError")
    assert (
        f"# connects directly to {GA}:443 (NO_PROXY lists '.google-analytics.com')" in shown.stderr
    )


def test_an_unsupported_proxy_scheme_sends_nothing(
    enabled: Iso, consent_sockets: SocketWatch
) -> None:
    """socks5 is not spoken: the sender neither connects to it nor goes directly, creates no
    id, and logs why; show-payload says nothing would be sent."""
    env = {
        **consent_sockets.env(enabled.env, refuse="remote"),
        "ALL_PROXY": "socks5h://user:hunter2@127.0.0.1:9",
    }
    run(env, "version")
    (item,) = logged_hits(enabled.locs.log_file)
    shown = run(env, "telemetry", "show-payload", "version", "--event", "screenview")
    assert consent_sockets.network() == []
    assert item["outcome"] == (
        "not sent: ALL_PROXY names a socks5h:// proxy, and the sender supports only http:// proxies"
    )
    assert enabled.home.client_ids() == {} and not enabled.locs.id_file.exists()
    assert "# connects nowhere: nothing would be sent: ALL_PROXY names a socks5h://" in shown.stderr
    assert "would NOT be sent now" in shown.stderr
    assert "hunter2" not in shown.stderr + enabled.locs.log_file.read_text("utf-8")


def test_consent_is_rechecked_before_the_proxy_is_reached(
    enabled: Iso, consent_sockets: SocketWatch
) -> None:
    """The sender waits on the id's lock while `disable` records its choice; it then finds
    consent withdrawn and never connects to the proxy."""
    import fcntl
    import os

    lock = enabled.locs.id_file.parent / f".{enabled.locs.id_file.name}.lock"
    lock.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    with ConnectProxy() as proxy:
        env = {**consent_sockets.env(enabled.env, refuse="remote"), "HTTPS_PROXY": proxy.url}
        try:
            run(env, "version")
            disable = subprocess.Popen(
                [*LUMOGON, "telemetry", "disable"], env=env, stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            )  # fmt: skip
            from tests.e2e.test_sender_race import recorded_disable, until

            until(lambda: recorded_disable(enabled), "`disable` to record the choice")
        finally:
            os.close(fd)
        assert disable.wait(timeout=PROCESS_TIMEOUT) == 0
        (item,) = logged_hits(enabled.locs.log_file)
        assert proxy.seen() == []
    assert str(item["outcome"]).startswith("not sent: disabled before sending")


@pytest.mark.slow  # the sender spends its 3 s budget on the hanging proxy
def test_a_hanging_proxy_neither_slows_nor_holds_the_host(
    enabled: Iso, consent_sockets: SocketWatch
) -> None:
    with ConnectProxy(behaviour="hang") as proxy:
        env = {**consent_sockets.env(enabled.env, refuse="remote"), "HTTPS_PROXY": proxy.url}
        host = subprocess.Popen(
            [*LUMOGON, "version"], env=env, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        )  # fmt: skip
        out, err = host.communicate(timeout=PROCESS_TIMEOUT)  # EOF: nobody else holds them
        assert host.returncode == 0 and out == b"lumogon 0.1.0\n" and err == b""
        # The host is gone while the proxy still holds the sender's connection, unanswered.
        (seen,) = proxy.wait_for(1, timeout=SENDER_TIMEOUT)
        (item,) = logged_hits(enabled.locs.log_file)
    assert seen.line == f"CONNECT {GA}:443 HTTP/1.1"
    assert str(item["outcome"]).startswith("failed: TimeoutError")


def test_debug_output_names_the_proxy_without_credentials(enabled: Iso) -> None:
    env = {
        **enabled.env,
        "LUMOGON_TELEMETRY_DEBUG": "1",
        "HTTPS_PROXY": "http://me:topsecret@proxy.corp:3128",
    }
    proc = run(env, "version")
    assert (
        f"telemetry: it would connect through the proxy http://****@proxy.corp:3128 "
        f"(from HTTPS_PROXY): CONNECT {GA}:443" in proc.stderr
    )
    assert "topsecret" not in proc.stderr and "me:" not in proc.stderr
