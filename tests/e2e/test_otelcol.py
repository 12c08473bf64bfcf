"""Real hits through a real OpenTelemetry Collector: docs/examples/acme_otlp, after
`telemetry enable`, sends through the detached sender to the collector's OTLP/HTTP receiver on
127.0.0.1; the batch processor and the file exporter write them out, and they are read back.

The collector is the one scripts/build_otelcol.sh builds (build/otelcol/otelcol-consent, or the
binary OTELCOL_BINARY names), with the configuration docs/otlp.md shows. Without one the test is
skipped, saying so: building it takes Go and the Go module proxy, and minutes.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
from pathlib import Path

import pytest

from consent.testing.collector import otlp as collector_otlp
from consent.testing.home import Home
from tests.e2e.test_otlp import SPEC, acme, enable
from tests.helpers import PROCESS_TIMEOUT, ROOT, SENDER_TIMEOUT, logged_hits

BINARY = Path(os.environ.get("OTELCOL_BINARY") or ROOT / "build" / "otelcol" / "otelcol-consent")

CONFIG = """\
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:{port}
processors:
  batch:
    timeout: 200ms
exporters:
  file:
    path: {out}
    flush_interval: 100ms
service:
  telemetry:
    metrics:
      level: none
  pipelines:
    logs:
      receivers: [otlp]
      processors: [batch]
      exporters: [file]
"""

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.access(BINARY, os.X_OK),
        reason=f"no OpenTelemetry Collector at {BINARY}: build one with scripts/build_otelcol.sh "
        "(Go 1.21 or later and the Go module proxy), or name one in OTELCOL_BINARY",
    ),
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def until(condition: object, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.05)


def accepts(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
        return True
    return False


def exported(out: Path) -> list[collector_otlp.LogEntry]:
    if not out.exists():
        return []
    lines = out.read_text("utf-8").splitlines()
    return [
        entry for line in lines if line.strip() for entry in collector_otlp.decode(json.loads(line))
    ]


def test_real_hits_arrive_through_a_real_collector(consent_home: Home, tmp_path: Path) -> None:
    port = free_port()
    out = tmp_path / "exported.jsonl"
    config = tmp_path / "otelcol.yaml"
    config.write_text(CONFIG.format(port=port, out=out), "utf-8")
    collector = subprocess.Popen(
        [str(BINARY), "--config", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "otelcol.log").open("wb"),
    )
    try:
        until(lambda: accepts(port) or collector.poll() is not None, "the collector", 60.0)
        assert collector.poll() is None, (tmp_path / "otelcol.log").read_text("utf-8", "replace")
        enable(consent_home)
        env = {SPEC.endpoint_env: f"http://127.0.0.1:{port}"}
        proc = acme(consent_home, "deploy", "prod", "--dry-run", "--retries", "3", env=env)
        assert proc.returncode == 0, proc.stderr
        items = logged_hits(consent_home.locations(SPEC).log_file, count=2)
        assert {str(i["outcome"]) for i in items} == {"sent: HTTP 200"}, items
        until(lambda: len(exported(out)) >= 2, "the file exporter's output", SENDER_TIMEOUT)
    finally:
        collector.terminate()
        try:
            collector.wait(timeout=PROCESS_TIMEOUT)
        except subprocess.TimeoutExpired:
            collector.kill()
            collector.wait()
    records = {r.event_name: r for r in exported(out)}
    assert records.keys() == {"acme.command_run", "acme.deploy_finished"}
    (client_id,) = consent_home.client_ids().values()
    for record in records.values():
        assert (record.service_name, record.service_version) == ("acme-otlp", "1.0.0")
        assert record.resource == {"service.name": "acme-otlp", "service.version": "1.0.0"}
        assert record.attributes["acme.installation.id"] == client_id
    assert records["acme.command_run"].attributes == {
        "acme.installation.id": client_id,
        "acme.command": "acme-otlp deploy",
    }
    assert records["acme.deploy_finished"].attributes == {
        "acme.installation.id": client_id,
        "acme.outcome": "ok",
        "acme.dry_run": True,
        "acme.retries": 3,
    }
