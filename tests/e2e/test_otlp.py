"""The OpenTelemetry destination end to end: docs/examples/acme_otlp as a person runs it, the real
detached sender, the local collector's strict `POST /v1/logs`, and every promise of the toolkit
for this destination (the off switches, show-payload, the notice, local mode, debug, purposes,
an admin's managed endpoint, a proxy, refusals).
"""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import sys
from pathlib import Path

import pytest
from google.protobuf import json_format
from opentelemetry.proto.collector.logs.v1.logs_service_pb2 import ExportLogsServiceRequest

from consent._core.names import LOCAL_ID
from consent.testing.collector import Collector, Received, refused_url
from consent.testing.home import Home
from consent.testing.proxy import ConnectProxy
from consent.testing.sockets import SocketWatch
from tests.helpers import PROCESS_TIMEOUT, ROOT, SENDER_TIMEOUT, logged_hits, self_signed

EXAMPLE = ROOT / "docs" / "examples" / "acme_otlp"
sys.path.insert(0, str(EXAMPLE))
from acme_otlp.telemetry import SPEC  # noqa: E402

HOST = "otel.acme.example"
TIME = re.compile(rb'"timeUnixNano":"(\d+)"')


def acme(
    home: Home, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[bytes]:
    path = os.pathsep.join(filter(None, [str(EXAMPLE), home.env.get("PYTHONPATH")]))
    return subprocess.run(
        [sys.executable, "-m", "acme_otlp", *args],
        env={**home.env, "PYTHONPATH": path, **(env or {})},
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )


def enable(home: Home, *purposes: str) -> None:
    proc = acme(home, "telemetry", "enable", *purposes)
    assert proc.returncode == 0, proc.stderr


def strictly_parsed(hit: Received) -> ExportLogsServiceRequest:
    parsed = ExportLogsServiceRequest()
    json_format.Parse(hit.body.decode("utf-8"), parsed, ignore_unknown_fields=False)
    return parsed


def test_after_enable_each_hit_is_one_valid_export_logs_service_request(
    consent_home: Home, consent_collector: Collector
) -> None:
    enable(consent_home)
    env = {SPEC.endpoint_env: consent_collector.url}
    proc = acme(consent_home, "deploy", "prod", "--dry-run", "--retries", "2", env=env)
    assert proc.returncode == 0 and proc.stdout == b"Would deploy to prod.\n", proc.stderr
    hits = consent_collector.wait_for(2, timeout=SENDER_TIMEOUT)
    items = logged_hits(consent_home.locations(SPEC).log_file, count=2)
    assert {str(i["outcome"]) for i in items} == {"sent: HTTP 200"}
    (client_id,) = consent_home.client_ids().values()
    events = {}
    for hit in hits:
        assert hit.protocol == "otlp" and hit.valid, hit.messages
        assert hit.raw_request.startswith(b"POST /v1/logs HTTP/1.1\r\nHost: 127.0.0.1:")
        assert ("Content-Type", "application/json") in hit.headers
        assert ("X-Acme-Source", "acme-otlp-cli") in hit.headers
        (resource_logs,) = strictly_parsed(hit).resource_logs
        resource = {a.key: a.value.string_value for a in resource_logs.resource.attributes}
        assert resource == {"service.name": "acme-otlp", "service.version": "1.0.0"}
        ((record,),) = [s.log_records for s in resource_logs.scope_logs]
        events[record.event_name] = {a.key: a.value for a in record.attributes}
    assert events.keys() == {"acme.command_run", "acme.deploy_finished"}
    ran, deployed = events["acme.command_run"], events["acme.deploy_finished"]
    assert ran.keys() == {"acme.installation.id", "acme.command"}
    assert ran["acme.command"].string_value == "acme-otlp deploy"
    assert ran["acme.installation.id"].string_value == client_id
    assert deployed.keys() == {
        "acme.installation.id",
        "acme.outcome",
        "acme.dry_run",
        "acme.retries",
    }
    assert deployed["acme.retries"].WhichOneof("value") == "int_value"
    assert deployed["acme.retries"].int_value == 2
    assert deployed["acme.dry_run"].WhichOneof("value") == "bool_value"
    assert deployed["acme.dry_run"].bool_value is True
    assert deployed["acme.outcome"].string_value == "ok"


def test_show_payload_is_the_bytes_that_arrive_once_the_time_is_fixed(
    consent_home: Home, consent_collector: Collector
) -> None:
    """`deploy prod` records the declared examples (ok, not a dry run, 0 retries): show-payload
    with the stored id prints, byte for byte, what the collector read, but the time it was made."""
    enable(consent_home)
    env = {SPEC.endpoint_env: consent_collector.url}
    assert acme(consent_home, "deploy", "prod", env=env).returncode == 0
    hits = consent_collector.wait_for(2, timeout=SENDER_TIMEOUT)
    logged_hits(consent_home.locations(SPEC).log_file, count=2)
    for name in ("command", "deployed"):
        shown = acme(
            consent_home, "telemetry", "show-payload", "deploy", "--event", name, "--with-id",
            env=env,
        )  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        (hit,) = [h for h in hits if h.logs()[0].event_name == SPEC.event(name).hit_type]
        (arrived,) = TIME.findall(hit.raw_request)
        assert TIME.sub(b'"timeUnixNano":"' + arrived + b'"', shown.stdout) == hit.raw_request
        assert f"POST {consent_collector.url}/v1/logs".encode() in shown.stderr


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("hello", "ada", "--disable-analytics"), {}),
        (("hello", "ada"), {"DO_NOT_TRACK": "1"}),
        (("hello", "ada"), {"ACME_OTLP_DISABLE_ANALYTICS": "1"}),
    ],
)
def test_each_off_switch_sends_nothing(
    consent_home: Home,
    consent_collector: Collector,
    consent_sockets: SocketWatch,
    args: tuple[str, ...],
    env: dict[str, str],
) -> None:
    enable(consent_home)
    home = Home(consent_home.root, consent_sockets.env(consent_home.env))
    proc = acme(home, *args, env={SPEC.endpoint_env: consent_collector.url, **env})
    assert proc.returncode == 0 and proc.stdout == b"Hello, ada!\n"
    consent_sockets.assert_no_sockets()
    assert consent_collector.received() == [] and consent_home.log(SPEC) == []


def test_the_notice_names_the_endpoint_and_the_organisation(consent_home: Home) -> None:
    from consent._notice.prompts import first_run_text, question_text

    notice = acme(consent_home, "telemetry", "notice").stdout.decode()
    facts = json.loads(acme(consent_home, "telemetry", "notice", "--json").stdout)
    assert facts["destination"]["host"] == HOST
    assert facts["destination"]["url"] == f"https://{HOST}/v1/logs"
    assert facts["destination"]["protocol"] == "OpenTelemetry OTLP/HTTP logs"
    assert {e["wire"] for e in facts["envelope"]} >= {"eventName", "timeUnixNano", "attributes"}
    assert "Acme Ltd itself" in notice  # the recipients, in the full notice
    for text in (notice, question_text(SPEC), first_run_text(SPEC)):
        # The first layer (issue 25) names the endpoint's host and who runs it, the controller.
        assert HOST in text and "Acme Ltd" in text
        assert "Google" not in text and "GA4" not in text
    assert f"`POST https://{HOST}/v1/logs` (OpenTelemetry OTLP/HTTP logs)" in notice
    assert "X-Acme-Source" in notice and "Sent as an attribute, as intValue" in notice


def test_local_mode_keeps_the_otlp_request_and_opens_no_socket(
    consent_home: Home, consent_sockets: SocketWatch
) -> None:
    assert acme(consent_home, "telemetry", "local").returncode == 0
    home = Home(consent_home.root, consent_sockets.env(consent_home.env))
    assert acme(home, "hello", "ada").returncode == 0
    consent_sockets.assert_no_sockets()
    (item,) = consent_home.log(SPEC)
    assert item["url"] == f"https://{HOST}/v1/logs" and item["local"] is True
    payload = json.loads(str(item["payload"]))
    (record,) = payload["resourceLogs"][0]["scopeLogs"][0]["logRecords"]
    assert record["eventName"] == "acme.command_run"
    assert {"key": "acme.installation.id", "value": {"stringValue": LOCAL_ID}} in record[
        "attributes"
    ]
    assert consent_home.client_ids() == {}


def test_debug_prints_the_request_and_sends_nothing(
    consent_home: Home, consent_collector: Collector
) -> None:
    enable(consent_home)
    env = {SPEC.endpoint_env: consent_collector.url, SPEC.debug_env: "1"}
    proc = acme(consent_home, "hello", "ada", env=env)
    assert proc.stdout == b"Hello, ada!\n"
    assert b"POST /v1/logs HTTP/1.1\r\nHost: 127.0.0.1:" in proc.stderr
    assert b'"eventName":"acme.command_run"' in proc.stderr
    (item,) = consent_home.log(SPEC)
    assert item["outcome"] == "printed, not sent" and consent_collector.received() == []


def test_purposes_choose_which_events_go(consent_home: Home, consent_collector: Collector) -> None:
    enable(consent_home, "usage")
    proc = acme(consent_home, "deploy", "prod", env={SPEC.endpoint_env: consent_collector.url})
    assert proc.returncode == 0
    (item,) = logged_hits(consent_home.locations(SPEC).log_file)
    (hit,) = consent_collector.received()
    assert [r.event_name for r in hit.logs()] == ["acme.command_run"]
    assert item["event"] == "command"


def test_an_admins_endpoint_wins_over_the_variable(
    consent_home: Home, consent_collector: Collector
) -> None:
    consent_home.write_policy(SPEC, f'[telemetry]\nendpoint = "{consent_collector.url}"\n')
    enable(consent_home)
    proc = acme(consent_home, "hello", "ada", env={SPEC.endpoint_env: refused_url()})
    assert proc.returncode == 0
    (item,) = logged_hits(consent_home.locations(SPEC).log_file)
    assert item["outcome"] == "sent: HTTP 200"
    (hit,) = consent_collector.received()
    assert hit.path == "/v1/logs" and hit.valid, hit.messages


def test_plain_http_beyond_loopback_is_refused(
    consent_home: Home, consent_sockets: SocketWatch
) -> None:
    enable(consent_home)
    home = Home(consent_home.root, consent_sockets.env(consent_home.env))
    proc = acme(home, "hello", "ada", env={SPEC.endpoint_env: "http://otel.acme.example"})
    assert proc.stdout == b"Hello, ada!\n" and b"only https://" in proc.stderr
    consent_sockets.assert_no_sockets()
    (item,) = consent_home.log(SPEC)
    assert str(item["outcome"]).startswith("refused: ")


def test_a_hit_tunnels_through_a_proxy_to_the_real_host(
    consent_home: Home, consent_sockets: SocketWatch, tmp_path: Path
) -> None:
    """The organisation's endpoint by name, reached through HTTPS_PROXY: TLS inside the tunnel,
    and the collector reads what show-payload prints, but the time."""
    pair = self_signed(tmp_path, HOST)
    if pair is None:
        pytest.skip("neither the openssl CLI nor cryptography to make a certificate")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*pair)
    enable(consent_home)
    with Collector(tls=context) as collector:
        routes = {f"{HOST}:443": ("127.0.0.1", int(collector.url.rsplit(":", 1)[1]))}
        with ConnectProxy(routes=routes) as proxy:
            env = {
                **consent_sockets.env(consent_home.env, refuse="remote"),
                "HTTPS_PROXY": proxy.url,
                "SSL_CERT_FILE": pair[0],
            }
            home = Home(consent_home.root, env)
            assert acme(home, "hello", "ada").returncode == 0
            (hit,) = collector.wait_for(1, timeout=SENDER_TIMEOUT)
            shown = acme(home, "telemetry", "show-payload", "hello", "--with-id")
            (seen,) = proxy.seen()
    assert seen.line == f"CONNECT {HOST}:443 HTTP/1.1"
    assert hit.valid and hit.raw_request.startswith(
        f"POST /v1/logs HTTP/1.1\r\nHost: {HOST}\r\n".encode()
    )
    (arrived,) = TIME.findall(hit.raw_request)
    assert TIME.sub(b'"timeUnixNano":"' + arrived + b'"', shown.stdout) == hit.raw_request


def test_a_refused_value_sends_nothing_and_is_reported(
    consent_home: Home, capsys: pytest.CaptureFixture[str]
) -> None:
    """Out of the declared values: nothing of the event leaves; the debug variable says why, and
    strict mode raises."""
    from consent._errors import HitError
    from consent._start import STRICT_ENV
    from consent._wire.gate import submit

    consent_home.enable(SPEC)
    debug = {**consent_home.env, SPEC.debug_env: "1"}
    values = {"acme.outcome": "ok", "acme.dry_run": False, "acme.retries": 99}
    assert submit(SPEC, "deployed", values=values, environ=debug).outcome == "refused"
    said = capsys.readouterr().err
    assert "refused event 'deployed', field 'acme.retries'" in said and "POST" not in said
    strict = {**consent_home.env, STRICT_ENV: str(consent_home.root / "strict.jsonl")}
    with pytest.raises(HitError, match=r"acme\.outcome"):
        submit(
            SPEC,
            "deployed",
            values={**values, "acme.retries": 0, "acme.outcome": "maybe"},
            environ=strict,
        )
    assert consent_home.log(SPEC) == []


# Lists every module loaded when the run ends (json itself is one of the modules looked for).
PROBE = """
import atexit, runpy, sys
atexit.register(lambda: print(" ".join(sorted(sys.modules)), file=sys.stderr))
sys.argv = ["acme-otlp", "hello", "ada"]
runpy.run_module("acme_otlp", run_name="__main__")
"""
HEAVY = ("json", "socket", "ssl", "keyring", "tomlkit", "platformdirs", "consent._errors",
         "consent._core.endpoint", "consent._wire.hits", "consent._wire.http", "consent._wire.otlp",
         "consent._store.identity", "consent._notice.document")  # fmt: skip


@pytest.mark.parametrize("off", [{"DO_NOT_TRACK": "1"}, {"ACME_OTLP_DISABLE_ANALYTICS": "1"}, {}])
def test_the_disabled_path_stays_lean(consent_home: Home, off: dict[str, str]) -> None:
    """Turned off (or not yet agreed to, without a terminal), an OTLP app's run is decided by
    the start (consent/_start.py): its spec, named lazily, is not even imported, nor the OTLP
    checks, the endpoint rules, errors, wire or store."""
    path = os.pathsep.join(filter(None, [str(EXAMPLE), consent_home.env.get("PYTHONPATH")]))
    proc = subprocess.run(
        [sys.executable, "-c", PROBE],
        env={**consent_home.env, "PYTHONPATH": path, **off},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert proc.stdout == "Hello, ada!\n", proc.stderr
    loaded = set(proc.stderr.split())
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))
    assert "consent._start" in loaded
    assert {"acme_otlp.telemetry", "consent._core.otlp", "consent._core.spec"}.isdisjoint(loaded)


def test_its_own_test_suite_passes(consent_home: Home) -> None:
    env = {**consent_home.env, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONPATH": str(EXAMPLE)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "consent.testing", "-p", "no:cacheprovider"],
        cwd=EXAMPLE,
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 passed" in proc.stdout
