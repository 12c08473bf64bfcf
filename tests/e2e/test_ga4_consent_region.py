"""GA4 destinations: every hit carries the consent object with both ad signals DENIED, and
`region="eu"` sends to Google's EU endpoint; the local collector checks both."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from consent._store.choices import record_choice
from consent.testing.collector import Collector
from tests.apps import acme
from tests.helpers import SENDER_TIMEOUT, Iso

ACME = str(Path(__file__).resolve().parents[1] / "apps" / "acme.py")
DENIED = {"ad_user_data": "DENIED", "ad_personalization": "DENIED"}
EU = "https://region1.google-analytics.com/mp/collect?measurement_id=G-TEST000000&api_secret="


def run_acme(iso: Iso, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, ACME, *args],
        env={**iso.env, **env},
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("region", ["", "eu"])
def test_every_ga4_hit_carries_the_consent_object(iso: Iso, region: str) -> None:
    record_choice(acme.SPEC, iso.home.locations(acme.SPEC), enabled=True, via="test")
    with Collector() as collector:
        env = {"ACME_TELEMETRY_ENDPOINT": collector.url, "ACME_REGION": region}
        if region:  # the eu spec is another notice version: consent must cover it
            subprocess.run(
                [sys.executable, ACME, "telemetry", "enable"],
                env={**iso.env, **env},
                capture_output=True,
                check=True,
                timeout=60,
            )
        assert run_acme(iso, "deploy", "run", "prod", env=env).returncode == 0
        hits = collector.wait_for(2, timeout=SENDER_TIMEOUT)
    assert len(hits) == 2
    for hit in hits:
        assert hit.protocol == "ga4" and hit.valid, hit.messages
        assert isinstance(hit.payload, dict) and hit.payload["consent"] == DENIED


def test_show_payload_of_an_eu_app_prints_the_region1_url_and_bytes(iso: Iso) -> None:
    proc = run_acme(iso, "telemetry", "show-payload", "build", env={"ACME_REGION": "eu"})
    assert proc.returncode == 0, proc.stderr
    assert EU.encode() in proc.stderr  # where it would go
    raw = proc.stdout
    assert raw.startswith(b"POST /mp/collect?measurement_id=G-TEST000000&api_secret=")
    assert b"\r\nHost: region1.google-analytics.com\r\n" in raw
    body = json.loads(raw.split(b"\r\n\r\n", 1)[1])
    assert body["consent"] == DENIED
    as_json = run_acme(
        iso, "telemetry", "show-payload", "build", "--json", env={"ACME_REGION": "eu"}
    )
    (request,) = json.loads(as_json.stdout)
    assert request["url"].startswith(EU) and request["raw"].encode() == raw


def replay(collector: Collector, raw: bytes) -> None:
    """Write request bytes to the collector as they are, and read its answer."""
    host, port = collector.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as sock:
        sock.sendall(raw)
        while sock.recv(4096):
            pass


def test_the_collector_accepts_the_eu_bytes_and_refuses_a_wrong_host(iso: Iso) -> None:
    raw = run_acme(iso, "telemetry", "show-payload", "build", env={"ACME_REGION": "eu"}).stdout
    wrong = raw.replace(b"Host: region1.", b"Host: region-1.")
    denied = raw.replace(b'"ad_user_data":"DENIED"', b'"ad_user_data":"denied"')
    with Collector() as collector:
        for request in (raw, wrong, denied):
            replay(collector, request)
        good, bad_host, bad_value = collector.wait_for(3, timeout=SENDER_TIMEOUT)
    assert good.valid, good.messages
    assert isinstance(good.payload, dict) and good.payload["consent"] == DENIED
    assert not bad_host.valid and "region1.google-analytics.com" in bad_host.messages[0]
    assert not bad_value.valid and "consent.ad_user_data" in bad_value.messages[0]
