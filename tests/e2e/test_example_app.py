"""The example app of the integration guide (docs/examples/acme_cli), run as a person would run it.

It declares the prefix ACME and gets its own variables, files and keyring entry: nothing of
lumogon's reaches it, and nothing of its own reaches lumogon.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from consent.testing.collector import Collector
from consent.testing.home import Home
from consent.testing.sockets import SocketWatch
from lumogon import SPEC as LUMOGON
from tests.helpers import PROCESS_TIMEOUT, ROOT, SENDER_TIMEOUT

EXAMPLE = ROOT / "docs" / "examples" / "acme_cli"


def with_example(env: dict[str, str]) -> dict[str, str]:
    return {
        **env,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(EXAMPLE), env.get("PYTHONPATH")])),
    }


def acme(
    home: Home, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "acme_cli", *args],
        env=with_example({**home.env, **(env or {})}),
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def lumogon(
    home: Home, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "lumogon", *args],
        env={**home.env, **(env or {})},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def status(home: Home, env: dict[str, str] | None = None) -> dict[str, object]:
    proc = acme(home, "telemetry", "status", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, object] = json.loads(proc.stdout)
    return data


def test_its_own_names_and_files(consent_home: Home) -> None:
    data = status(consent_home)
    assert data["app"] == "acme" and data["mode"] == "opt-in" and data["enabled"] is False
    assert data["config_path"] == str(consent_home.root / "config" / "acme" / "config.toml")
    assert data["policy_paths"] == [
        "/etc/xdg/acme/telemetry.toml",  # the fixed system location, first
        str(consent_home.root / "etc" / "acme" / "telemetry.toml"),
    ]
    names = [s.get("name") for s in data["sources"]]  # type: ignore[union-attr]
    assert "ACME_DISABLE_ANALYTICS" in names and "LUMOGON_DISABLE_ANALYTICS" not in names


def test_lumogon_settings_do_not_reach_it(consent_home: Home) -> None:
    assert acme(consent_home, "telemetry", "enable").returncode == 0
    consent_home.write_policy(LUMOGON, "[telemetry]\nenabled = false\n")
    assert lumogon(consent_home, "telemetry", "disable").returncode == 0
    data = status(consent_home, env={"LUMOGON_DISABLE_ANALYTICS": "1"})
    assert data["enabled"] is True
    assert data["decided_by"]["path"] == data["config_path"]  # type: ignore[index]
    assert "/lumogon/" not in json.dumps(data)  # no lumogon file was consulted


def test_its_settings_do_not_reach_lumogon(consent_home: Home) -> None:
    assert lumogon(consent_home, "telemetry", "enable").returncode == 0
    assert acme(consent_home, "telemetry", "disable").returncode == 0
    proc = lumogon(
        consent_home, "telemetry", "status", "--json", env={"ACME_DISABLE_ANALYTICS": "1"}
    )
    assert json.loads(proc.stdout)["enabled"] is True


@pytest.mark.parametrize(
    ("name", "value"), [("ACME_DISABLE_ANALYTICS", "1"), ("DO_NOT_TRACK", "yes")]
)
def test_its_own_off_switches(consent_home: Home, name: str, value: str) -> None:
    assert acme(consent_home, "telemetry", "enable").returncode == 0
    data = status(consent_home, env={name: value})
    assert data["enabled"] is False
    assert data["decided_by"] == {
        "source": "env",
        "detail": f"{name}={value!r}",
        "name": name,
        "value": value,
    }


def test_its_policy_locks_it_and_not_lumogon(consent_home: Home) -> None:
    policy = consent_home.root / "etc" / "acme" / "telemetry.toml"
    policy.parent.mkdir(parents=True)
    policy.write_text("[telemetry]\nenabled = false\n")
    proc = acme(consent_home, "telemetry", "enable")
    assert proc.returncode == 1 and str(policy) in proc.stderr
    assert lumogon(consent_home, "telemetry", "enable").returncode == 0


def test_enable_send_show_payload_disable(consent_home: Home, consent_collector: Collector) -> None:
    enabled = acme(consent_home, "telemetry", "enable")
    assert enabled.returncode == 0 and enabled.stdout.startswith("Telemetry enabled"), (
        enabled.stderr
    )
    assert status(consent_home)["decided_by"]["source"] == "config"  # type: ignore[index]
    endpoint = {"ACME_TELEMETRY_ENDPOINT": consent_collector.url}
    proc = acme(consent_home, "deploy", "prod", "--dry-run", env=endpoint)
    assert proc.returncode == 0 and proc.stdout == "Would deploy to prod.\n" and proc.stderr == ""
    hits = consent_collector.wait_for(2, timeout=SENDER_TIMEOUT)
    assert all(h.protocol == "ga4" and h.valid for h in hits), [h.messages for h in hits]
    events = {h.payload["events"][0]["name"]: h for h in hits}  # type: ignore[index]
    assert events["command_run"].payload["events"][0]["params"]["command"] == "acme deploy"  # type: ignore[index]
    assert events["deploy_finished"].payload["events"][0]["params"]["outcome"] == "ok"  # type: ignore[index]
    assert "prod" not in str([h.body for h in hits])
    assert list(consent_home.client_ids()) == ["acme-telemetry/client-id"]

    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "acme_cli",
            "telemetry",
            "show-payload",
            "deploy",
            "--event",
            "command",
            "--with-id",
        ],
        env=with_example({**consent_home.env, **endpoint}),
        capture_output=True,
        timeout=60,
        check=True,
    )
    assert shown.stdout == events["command_run"].raw_request

    disabled = acme(consent_home, "telemetry", "disable")
    assert disabled.returncode == 0 and "Deleted the pseudonymous id" in disabled.stdout
    assert consent_home.client_ids() == {}
    assert status(consent_home)["enabled"] is False


def test_flag_sends_nothing(consent_home: Home, consent_sockets: SocketWatch) -> None:
    assert acme(consent_home, "telemetry", "enable").returncode == 0
    env = consent_sockets.env(with_example(consent_home.env))
    proc = subprocess.run(
        [sys.executable, "-m", "acme_cli", "--disable-analytics", "hello", "ada"],
        env={**env, "ACME_TELEMETRY_ENDPOINT": "http://127.0.0.1:9"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout == "Hello, ada!\n"
    consent_sockets.assert_no_sockets()


def test_its_own_test_suite_passes(consent_home: Home) -> None:
    # Named explicitly, with autoload off: the same run whether or not the entry point is installed.
    env = with_example({**consent_home.env, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"})
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
    assert "6 passed" in proc.stdout
