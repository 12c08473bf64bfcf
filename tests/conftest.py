"""Shared fixtures, built on the consent.testing plugin: lumogon's view of the isolated home."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from consent.store.paths import Locations
from consent.testing.home import SCRUB_NAMES, Home
from consent.testing.sockets import AUDIT_DIR as AUDIT_HOOK_DIR
from lumogon import SPEC


def _plugin_autoloaded() -> bool:
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    return any(ep.value == "consent.testing" for ep in entry_points(group="pytest11"))


# An install made before the entry point existed (an older editable one) does not autoload the
# plugin; registering it twice would be an error, so it is named here only when needed.
pytest_plugins = ["pytester", *([] if _plugin_autoloaded() else ["consent.testing"])]


class Iso:
    """The isolated home (`consent_home`), seen through lumogon's files."""

    def __init__(self, home: Home) -> None:
        self.home = home
        self.root = home.root
        self.env = home.env

    @property
    def locs(self) -> Locations:
        return self.home.locations(SPEC)

    @property
    def config(self) -> Path:
        return self.locs.config_file

    @property
    def policy(self) -> Path:
        return self.locs.policy_files[0]

    def write_config(self, data: bytes | str) -> Path:
        return self.home.write_config(SPEC, data)

    def write_policy(self, data: bytes | str) -> Path:
        return self.home.write_policy(SPEC, data)

    def tree(self) -> set[str]:
        """Every path under the isolated root, for proving that nothing was created."""
        return self.home.tree()


@pytest.fixture
def iso(consent_home: Home) -> Iso:
    return Iso(consent_home)


def run_lumogon(
    iso: Iso,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess with the isolated environment (plus `env`)."""
    full = {**iso.env, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "lumogon", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


# As root, drop the capabilities that bypass file modes, so mode 000 and read-only
# directories bite as they do for a person; no chown, no other user needed.
_NO_DAC = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]


@pytest.fixture
def unprivileged(iso: Iso) -> Iso:
    """The isolated home, for tests whose subprocesses must feel file modes (`run_unprivileged`)."""
    if os.geteuid() == 0 and shutil.which("setpriv") is None:
        pytest.skip("running as root without setpriv: file modes cannot be made to bite")
    return iso


def unprivileged_prefix() -> list[str]:
    return list(_NO_DAC) if os.geteuid() == 0 else []


def run_unprivileged(
    iso: Iso, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI so that file permissions apply even when the tests run as root."""
    full = {**iso.env, **(env or {})}
    return subprocess.run(
        [*unprivileged_prefix(), sys.executable, "-m", "lumogon", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


# Helpers for the fault matrix and the subprocess audits: the packaged audit hook
# (consent/testing/_audit/sitecustomize.py, loaded through PYTHONPATH) writing JSON lines.
AUDIT_DIR = AUDIT_HOOK_DIR
SCRUB = tuple(
    sorted(
        {
            *SCRUB_NAMES,
            "LUMOGON_DISABLE_ANALYTICS",
            "LUMOGON_TELEMETRY_DEBUG",
            "LUMOGON_TELEMETRY_ENDPOINT",
            "ACME_DISABLE_ANALYTICS",
            "ACME_TELEMETRY_DEBUG",
            "ACME_TELEMETRY_ENDPOINT",
        }
    )
)


def audited(iso: Iso, log: Path, *, refuse_network: bool = False) -> dict[str, str]:
    """Env that loads the audit hook into every Python process started with it."""
    env = {**iso.env, "CONSENT_AUDIT_LOG": str(log)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(AUDIT_DIR), iso.env.get("PYTHONPATH")]))
    if refuse_network:
        env["CONSENT_AUDIT_REFUSE_NETWORK"] = "1"
    return env


def audit_events(log: Path) -> list[dict[str, str]]:
    import json

    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]
