"""The detached sender checks an organisation's managed endpoint once more just before it
connects (issue 16): a hit addressed elsewhere than the endpoint the policy now names is not sent."""

from __future__ import annotations

from consent._store.log import entries
from consent._wire.job import Job
from consent._wire.sender import run
from consent.testing.collector import Collector
from consent.testing.home import Home
from lumogon import SPEC

RAW = b"POST /collect HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def job_to(home: Home, url: str) -> Job:
    spec = SPEC.replace(system_root=str(home.system_root))
    locs = home.locations(spec)
    host, port = url.removeprefix("http://").split(":")
    return Job(
        host=host, port=int(port), tls=False, raw=RAW, log=locs.log_path, id="hit1",
        id_placeholder="", keyring_service=spec.keyring_service, id_file=locs.id_path,
        app=spec.name, mode=spec.mode, notice_version=spec.notice_version,
        disable_env=spec.disable_env, config_path=locs.config_path,
        policy_paths=locs.policy_paths, purpose="usage", purposes=spec.purpose_names,
    )  # fmt: skip


def test_a_hit_addressed_before_the_policy_changed_its_endpoint_is_not_sent(
    consent_home: Home,
) -> None:
    spec = SPEC.replace(system_root=str(consent_home.system_root))
    consent_home.enable(spec)
    with Collector() as old, Collector() as new:
        consent_home.write_system_policy(spec, f'[telemetry]\nendpoint = "{new.url}"\n')
        run(job_to(consent_home, old.url))
        (entry,) = entries(consent_home.locations(spec).log_file)
        assert str(entry["outcome"]).startswith("not sent: the admin policy's endpoint is now")
        run(job_to(consent_home, new.url))  # addressed where the policy says: sent
        assert len(new.wait_for(1, timeout=60)) == 1 and old.received() == []


def test_a_hit_addressed_to_another_path_of_the_managed_host_is_not_sent(
    consent_home: Home,
) -> None:
    """The managed endpoint's path prefix is part of where a hit goes: one organisation's
    collector may serve several teams under one host."""
    spec = SPEC.replace(system_root=str(consent_home.system_root))
    consent_home.enable(spec)
    with Collector() as collector:
        consent_home.write_system_policy(spec, f'[telemetry]\nendpoint = "{collector.url}/b"\n')
        job = job_to(consent_home, collector.url)
        for i, target in enumerate((b"/a/collect", b"/collect", b"/b/collectx", b"/b/mp/x")):
            run(job.replace(id=f"o{i}", raw=RAW.replace(b"/collect", target, 1)))
        log = consent_home.locations(spec).log_file
        outcomes = [str(e["outcome"]) for e in entries(log)]
        assert outcomes == [f"not sent: the admin policy's endpoint is now {collector.url}/b"] * 4
        assert collector.received() == []
        # A request line that is not `METHOD target version` is addressed nowhere.
        run(job.replace(id="line", raw=RAW.replace(b"/collect HTTP/1.1", b"/b/collect", 1)))
        assert str(entries(log)[-1]["outcome"]).startswith("not sent: the admin policy's")
        targets = (b"/b/collect", b"/b/mp/collect?measurement_id=x", b"/b/v1/logs")
        for i, target in enumerate(targets):
            run(job.replace(id=f"i{i}", raw=RAW.replace(b"/collect", target, 1)))
        assert sorted(r.path for r in collector.wait_for(3, timeout=60)) == [
            "/b/collect",
            "/b/mp/collect",
            "/b/v1/logs",
        ]


def test_a_hit_addressed_to_the_managed_host_over_another_scheme_or_port_is_not_sent(
    consent_home: Home,
) -> None:
    spec = SPEC.replace(system_root=str(consent_home.system_root))
    consent_home.enable(spec)
    with Collector() as collector:
        consent_home.write_system_policy(spec, f'[telemetry]\nendpoint = "{collector.url}"\n')
        job = job_to(consent_home, collector.url)
        run(job.replace(id="a", tls=True))
        run(job.replace(id="b", port=job.port + 1))
        run(job.replace(id="c", host="localhost"))
        outcomes = [str(e["outcome"]) for e in entries(consent_home.locations(spec).log_file)]
        assert outcomes == [f"not sent: the admin policy's endpoint is now {collector.url}"] * 3
        assert collector.received() == []


def test_a_managed_https_endpoint_lets_a_hit_addressed_there_through(consent_home: Home) -> None:
    """The recheck compares the scheme: an https hit to the managed https endpoint goes on to
    connect (here to a plain-HTTP collector, so the TLS handshake fails: an outcome, not a
    refusal by the policy)."""
    spec = SPEC.replace(system_root=str(consent_home.system_root))
    consent_home.enable(spec)
    with Collector() as collector:
        https = collector.url.replace("http://", "https://")
        consent_home.write_system_policy(spec, f'[telemetry]\nendpoint = "{https}"\n')
        run(job_to(consent_home, collector.url).replace(tls=True, timeout=5.0))
        (entry,) = entries(consent_home.locations(spec).log_file)
        assert str(entry["outcome"]).startswith("failed: ")


def test_a_long_managed_endpoint_is_cut_in_the_outcome(consent_home: Home) -> None:
    spec = SPEC.replace(system_root=str(consent_home.system_root))
    consent_home.enable(spec)
    with Collector() as collector:
        long = f"{collector.url}/{'p' * 300}"
        consent_home.write_system_policy(spec, f'[telemetry]\nendpoint = "{long}"\n')
        run(job_to(consent_home, collector.url))
        (entry,) = entries(consent_home.locations(spec).log_file)
        expected = f"not sent: the admin policy's endpoint is now {long}"[:300]
        assert entry["outcome"] == expected and collector.received() == []


def test_an_https_hit_whose_proxy_cannot_be_used_is_not_sent_at_all(consent_home: Home) -> None:
    """A proxy the sender cannot use refuses the hit; it never connects directly instead.
    (0.0.0.0 is not a loopback name, so the proxy variables apply; connecting to it would
    reach this machine and fail, a different outcome.)"""
    spec = SPEC.replace(system_root=str(consent_home.system_root))
    consent_home.enable(spec)
    with Collector() as collector:
        job = job_to(consent_home, collector.url).replace(
            host="0.0.0.0", tls=True, proxy_env=(("HTTPS_PROXY", "socks5://127.0.0.1:1"),)
        )
        run(job)
        (entry,) = entries(consent_home.locations(spec).log_file)
        assert entry["outcome"] == (
            "not sent: HTTPS_PROXY names a socks5:// proxy, and the sender supports only "
            "http:// proxies"
        )
    scheme = "s" * 300  # a proxy's scheme is named in the refusal: the outcome is cut
    run(job.replace(id="long", proxy_env=(("HTTPS_PROXY", f"{scheme}://127.0.0.1:1"),)))
    outcomes = [str(e["outcome"]) for e in entries(consent_home.locations(spec).log_file)]
    assert outcomes[-1] == f"not sent: HTTPS_PROXY names a {scheme}"[:300]


def test_a_plain_http_hit_never_goes_through_a_proxy(consent_home: Home) -> None:
    """Only https is tunnelled: a plain-http hit goes directly, whatever the proxy variables
    (0.0.0.0 is not a loopback name, so only the scheme keeps the proxy out; connecting to it
    reaches this machine's collector)."""
    spec = SPEC.replace(system_root=str(consent_home.system_root))
    consent_home.enable(spec)
    with Collector() as collector:
        job = job_to(consent_home, collector.url).replace(
            host="0.0.0.0", proxy_env=(("HTTPS_PROXY", "socks5://127.0.0.1:1"),)
        )
        run(job)
        assert len(collector.wait_for(1, timeout=60)) == 1
    (entry,) = entries(consent_home.locations(spec).log_file)
    assert entry["outcome"] == "sent: HTTP 200"
