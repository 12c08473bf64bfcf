"""The one-hit API from a plain script (`record_event`, no CLI), as a whole process: the host
decides, hands the request over and exits; every socket is the detached sender's, whatever the
endpoint does, and the bytes that arrive are the ones the host logged as handed over."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from consent.testing.collector import Collector, refused_url
from consent.testing.home import Home
from consent.testing.sockets import SocketWatch
from tests.helpers import PROCESS_TIMEOUT, SENDER_TIMEOUT, logged_hits

SCRIPT = """\
import os, sys
from consent import AppSpec, Destination, Event, Field, record_event

if os.environ.get("ONEHIT_GA4"):
    destination = Destination("ga4", "G-TEST000000", api_secret="secret")
    fields = (
        Field("client_id", "Pseudonymous id.", "35009a79-1a05-49d7-b876-2b884d0f825b", "client_id"),
        Field("name", "Event name.", "script_run", "hit_type"),
        Field("ea", "How it went.", "ran", "runtime", allowed=("ran", "failed")),
    )
    common, event = ("client_id", "name"), Event("run", "The script ran.", "script_run", ("ea",))
else:
    destination = Destination("legacy", "UA-1-1")
    fields = (
        Field("v", "Protocol version.", "1", "constant", "1"),
        Field("tid", "Tracking id.", "UA-1-1", "constant", "UA-1-1"),
        Field("cid", "Pseudonymous id.", "35009a79-1a05-49d7-b876-2b884d0f825b", "client_id"),
        Field("t", "Hit type.", "event", "hit_type"),
        Field("ec", "Event category.", "test", "constant", "test"),
        Field("ea", "Event action.", "ran", "runtime", allowed=("ran", "failed")),
    )
    common, event = ("v", "tid", "cid", "t"), Event("run", "The script ran.", "event", ("ec", "ea"))
SPEC = AppSpec(
    name="onehit", display_name="Onehit", version="1.0.0", env_prefix="ONEHIT", mode="opt-in",
    destination=destination, fields=fields, common=common, events=(event,),
    purpose="Test the one-hit API.", access="Nobody.", controller="Nobody",
    contact="https://example.invalid", legal_basis="None.", retention="0 days",
    recipients="None: a loopback collector.", notice_date="2026-12-05",
)
if sys.argv[1:] == ["enable"]:
    from consent import enable  # the store's writers: not on the sending path

    enable(SPEC, via="test setup")
else:
    record_event(SPEC, "run", {"ea": "ran"})
    print("done")
    print(" ".join(sorted(sys.modules)), file=sys.stderr)
"""
# What the host of one hit must not import (each would cost it several million instructions,
# docs/benchmarks.md, "One hit from a plain script"): subprocess and what it loads, json, and
# the helpers consent's own modules keep off this path.
HEAVY = frozenset(
    {"subprocess", "locale", "re", "enum", "signal", "threading", "selectors", "json",
     "contextlib", "collections", "functools", "math", "typing", "dataclasses", "pathlib",
     "uuid", "urllib", "ipaddress", "keyring", "tomllib", "tomlkit", "platformdirs"}
)  # fmt: skip


@pytest.fixture
def script(tmp_path: Path, consent_home: Home) -> Path:
    path = tmp_path / "onehit_script.py"
    path.write_text(SCRIPT, "utf-8")
    subprocess.run(
        [sys.executable, str(path), "enable"],
        env=consent_home.env,
        check=True,
        capture_output=True,
        timeout=PROCESS_TIMEOUT,
    )
    return path


def _log(home: Home) -> Path:
    return Path(home.env["XDG_STATE_HOME"]) / "onehit" / "telemetry-log.jsonl"


@pytest.mark.parametrize("behaviour", ["ok", "blackhole", "refused"])
def test_the_host_only_spawns_and_the_sender_alone_touches_the_network(
    script: Path, consent_home: Home, consent_sockets: SocketWatch, behaviour: str
) -> None:
    with Collector(behaviour="ok" if behaviour == "refused" else behaviour) as collector:
        url = refused_url() if behaviour == "refused" else collector.url
        env = consent_sockets.env({**consent_home.env, "ONEHIT_TELEMETRY_ENDPOINT": url})
        # Pipes for stdout and stderr: communicate returns once every holder closed them, so a
        # sender that held one would make the host's run last as long as the sender's.
        proc = subprocess.Popen(
            [sys.executable, str(script)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        out, err = proc.communicate(timeout=PROCESS_TIMEOUT)
        assert proc.returncode == 0 and out == b"done\n", err
        host = [e for e in consent_sockets.events() if e["pid"] == proc.pid]
        assert [e["event"] for e in host] in (["os.posix_spawn"], ["subprocess.Popen"])
        if behaviour == "ok":
            (hit,) = collector.wait_for(1, timeout=SENDER_TIMEOUT)
            assert hit.params is not None and hit.params["ea"] == "ran"
            (item,) = logged_hits(_log(consent_home))
            assert hit.raw_request.split(b"\r\n", 1)[0] == b"POST /collect HTTP/1.1"
            assert item["url"].rstrip("/") == url.rstrip("/") + "/collect"
    # Every socket event came from another process: the sender the host spawned.
    assert all(e["pid"] != proc.pid for e in consent_sockets.network())


@pytest.mark.parametrize("protocol", ["legacy", "ga4"])
def test_the_host_of_one_hit_imports_nothing_heavy(
    script: Path, consent_home: Home, protocol: str
) -> None:
    """By the modules loaded: the verdict, the request, the log line and the spawn, with none
    of the modules that made a one-hit script cost 1.36 times the stdlib floor (1.41 for GA4)."""
    env = {**consent_home.env, "ONEHIT_TELEMETRY_ENDPOINT": refused_url()}
    if protocol == "ga4":
        env["ONEHIT_GA4"] = "1"
        subprocess.run(
            [sys.executable, str(script), "enable"],
            env=env,
            check=True,
            capture_output=True,
            timeout=PROCESS_TIMEOUT,
        )
    bare = subprocess.run(
        [sys.executable, "-c", "import sys; print(' '.join(sorted(sys.modules)))"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=PROCESS_TIMEOUT,
    )
    proc = subprocess.run(
        [sys.executable, str(script)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=PROCESS_TIMEOUT,
    )
    loaded = set(proc.stderr.split()) - set(bare.stdout.split())
    assert "consent._wire.job" in loaded  # the hit was handed over, not dropped
    (item,) = logged_hits(_log(consent_home))
    assert item["outcome"] != "handed to sender" and item["event"] == "run"
    assert loaded & HEAVY == set()
