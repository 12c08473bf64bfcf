"""End to end, issue 16: the organisation's policy from the OS's fixed location, managed settings
(mode, endpoint) shown as such, and the per-project opt-out, as a person and a fleet see them.

The fixed location is moved by no variable: tests/apps/fleet.py builds lumogon's commands with
`AppSpec(system_root=...)` pointing into the isolated home. Hits go to loopback collectors.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from consent._core.names import KEPT_LOCAL
from consent._core.spec import AppSpec
from consent._store.log import entries
from consent.testing.collector import Collector
from consent.testing.home import Home
from lumogon import SPEC
from tests.helpers import (
    LUMOGON,
    PROCESS_TIMEOUT,
    ROOT,
    SENDER_TIMEOUT,
    logged_hits,
    run_in_pty,
)

FLEET = [sys.executable, str(ROOT / "tests" / "apps" / "fleet.py")]
LOCK = "[telemetry]\nenabled = false\n"


def fleet_spec(home: Home) -> AppSpec:
    return SPEC.replace(system_root=str(home.system_root))


def run(
    home: Home, *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """lumogon with its system root in the isolated home, run from `cwd` (the home's root)."""
    return subprocess.run(
        [*FLEET, str(home.system_root), *args],
        env={**home.env, **(env or {})},
        cwd=cwd or home.root,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def status(home: Home, env: dict[str, str] | None = None, cwd: Path | None = None) -> dict:  # type: ignore[type-arg]
    proc = run(home, "telemetry", "status", "--json", env=env, cwd=cwd)
    assert proc.returncode == 0, proc.stderr
    data: dict = json.loads(proc.stdout)  # type: ignore[type-arg]
    return data


def test_an_empty_xdg_config_dirs_does_not_remove_the_system_lock(consent_home: Home) -> None:
    spec = fleet_spec(consent_home)
    consent_home.enable(spec)  # the person said yes; the organisation says no
    system = consent_home.write_system_policy(spec, LOCK)
    empty = consent_home.root / "empty"
    empty.mkdir()
    env = {"XDG_CONFIG_DIRS": str(empty)}
    data = status(consent_home, env)
    assert data["enabled"] is False
    assert data["decided_by"]["source"] == "policy" and data["decided_by"]["path"] == str(system)
    assert data["policy_paths"] == [str(system), str(empty / "lumogon" / "telemetry.toml")]
    assert data["managed"] == [
        {
            "key": "telemetry.enabled",
            "value": "false",
            "path": str(system),
            "note": None,
            "target": None,
        }
    ]
    text = run(consent_home, "telemetry", "status", env=env).stdout
    assert "managed by your organization" in text and str(system) in text
    with Collector() as collector:
        proc = run(
            consent_home, "version", env={**env, "LUMOGON_TELEMETRY_ENDPOINT": collector.url}
        )
        assert proc.returncode == 0 and proc.stdout == "lumogon 0.1.0\n", proc.stderr
        assert collector.received() == []
    assert not consent_home.locations(spec).log_file.exists()  # never handed to a sender
    refused = run(consent_home, "telemetry", "enable", env=env)
    assert refused.returncode == 1
    assert str(system) in refused.stderr and "telemetry.enabled = false" in refused.stderr
    assert "enable cannot override" in refused.stderr


def test_a_managed_endpoint_wins_over_the_override_and_is_reported(consent_home: Home) -> None:
    spec = fleet_spec(consent_home)
    consent_home.enable(spec)
    with Collector() as org, Collector() as mine:
        system = consent_home.write_system_policy(spec, f'[telemetry]\nendpoint = "{org.url}"\n')
        env = {"LUMOGON_TELEMETRY_ENDPOINT": mine.url}
        data = status(consent_home, env)
        assert data["enabled"] is True
        assert data["endpoint"]["source"] == "policy" and data["endpoint"]["url"] == org.url
        assert data["endpoint"]["path"] == str(system)
        assert any("LUMOGON_TELEMETRY_ENDPOINT" in w and "ignored" in w for w in data["warnings"])
        policy = run(consent_home, "telemetry", "policy", "--json", env=env)
        assert policy.returncode == 0, policy.stderr
        assert json.loads(policy.stdout)["endpoint"] == {"url": org.url, "path": str(system)}
        shown = run(consent_home, "telemetry", "show-payload", "version", "--json", env=env)
        assert shown.returncode == 0, shown.stderr
        assert all(r["url"].startswith(org.url + "/") for r in json.loads(shown.stdout))
        proc = run(consent_home, "version", env=env)
        assert proc.returncode == 0, proc.stderr
        org.wait_for(1, timeout=SENDER_TIMEOUT)
        items = logged_hits(consent_home.locations(spec).log_file)
        assert [str(i.get("outcome")) for i in items] == ["sent: HTTP 200"]
        assert len(org.received()) == 1 and mine.received() == []


def test_a_managed_endpoint_that_is_not_https_fails_closed(consent_home: Home) -> None:
    spec = fleet_spec(consent_home)
    consent_home.enable(spec)
    system = consent_home.write_system_policy(
        spec, '[telemetry]\nendpoint = "http://collector.example.org"\n'
    )
    data = status(consent_home)
    assert data["enabled"] is False and data["decided_by"]["path"] == str(system)
    assert any(str(system) in w and "telemetry.endpoint" in w for w in data["warnings"])
    proc = run(consent_home, "version")
    assert proc.returncode == 0 and proc.stdout == "lumogon 0.1.0\n", proc.stderr
    assert not consent_home.locations(spec).log_file.exists()
    policy = run(consent_home, "telemetry", "policy")
    assert policy.returncode == 1 and "fail closed" in policy.stdout


def test_managed_local_mode_keeps_hits_and_sends_nothing(consent_home: Home) -> None:
    spec = fleet_spec(consent_home)
    consent_home.enable(spec)
    system = consent_home.write_system_policy(spec, '[telemetry]\nmode = "local"\n')
    with Collector() as collector:
        env = {"LUMOGON_TELEMETRY_ENDPOINT": collector.url}
        data = status(consent_home, env)
        assert data["local"]["active"] is True and data["local"]["decided_by"]["path"] == str(
            system
        )
        assert data["managed"][0]["key"] == "telemetry.mode"
        proc = run(consent_home, "version", env=env)
        assert proc.returncode == 0, proc.stderr
        assert collector.received() == []
    items = entries(consent_home.locations(spec).log_file)
    assert [i["outcome"] for i in items] == [KEPT_LOCAL]
    again = run(consent_home, "telemetry", "enable", env=env)
    assert again.returncode == 0 and "kept local by policy" in again.stderr


def project(root: Path, body: str) -> Path:
    """A project with `.lumogon/telemetry.toml`, and a directory three levels inside it."""
    (root / ".lumogon").mkdir(parents=True)
    (root / ".lumogon" / "telemetry.toml").write_text(body)
    inner = root / "src" / "pkg" / "deep"
    inner.mkdir(parents=True)
    return inner


def test_a_project_file_disables_runs_inside_it_on_a_terminal(consent_home: Home) -> None:
    consent_home.enable(SPEC)
    inner = project(consent_home.root / "repo", LOCK)
    with Collector() as collector:
        env = {**consent_home.env, "LUMOGON_TELEMETRY_ENDPOINT": collector.url}
        argv = ["sh", "-c", f'cd "{inner}" && exec "$@"', "sh", *LUMOGON]
        shown = run_in_pty([*argv, "telemetry", "status"], env)
        assert shown.returncode == 0
        assert str(consent_home.root / "repo" / ".lumogon" / "telemetry.toml") in shown.stdout
        assert "decided by: project" in shown.stdout
        ran = run_in_pty([*argv, "version"], env)
        assert ran.returncode == 0 and ran.stdout.strip() == "lumogon 0.1.0"
        assert "notice" not in ran.terminal.lower()
        assert collector.received() == []
    assert not consent_home.locations(SPEC).log_file.exists()
    # Outside the project the person's own choice applies again.
    outside = subprocess.run(
        [*LUMOGON, "telemetry", "status", "--json"], env=consent_home.env, cwd=consent_home.root,
        capture_output=True, text=True, timeout=PROCESS_TIMEOUT, check=False,
    )  # fmt: skip
    assert json.loads(outside.stdout)["enabled"] is True


def test_a_project_file_cannot_enable(consent_home: Home) -> None:
    spec = fleet_spec(consent_home)
    consent_home.write_config(spec, "[telemetry]\nenabled = false\n")
    inner = project(consent_home.root / "repo", "[telemetry]\nenabled = true\n")
    data = status(consent_home, cwd=inner)
    assert data["enabled"] is False and data["decided_by"]["source"] == "config"
    path = str(consent_home.root / "repo" / ".lumogon" / "telemetry.toml")
    assert data["project_path"] == path
    assert any(path in w and "ignored" in w for w in data["warnings"])
    proc = run(consent_home, "version", cwd=inner)
    assert proc.returncode == 0, proc.stderr
    assert not consent_home.locations(spec).log_file.exists()


def test_a_broken_project_file_restricts_with_a_warning(consent_home: Home) -> None:
    spec = fleet_spec(consent_home)
    consent_home.enable(spec)
    inner = project(consent_home.root / "repo", "[telemetry]\nenabled = 'no'\n")
    data = status(consent_home, cwd=inner)
    assert data["enabled"] is False and data["decided_by"]["source"] == "project"
    assert any("fail closed" in w for w in data["warnings"])
