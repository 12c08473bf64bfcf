"""Shared fixtures: isolated XDG dirs, a real file-backed keyring, and the CLI as a subprocess."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from consent.envvalues import CI_MARKERS
from consent.lumogon import SPEC
from consent.paths import Locations, locations

# Variables that would let the machine's own setup leak into a test's decision.
SCRUB = (
    "LUMOGON_DISABLE_ANALYTICS",
    "DO_NOT_TRACK",
    "LUMOGON_TELEMETRY_DEBUG",
    "LUMOGON_TELEMETRY_ENDPOINT",
    "ACME_DISABLE_ANALYTICS",
    "NO_COLOR",
    *CI_MARKERS,
)


@dataclass
class Iso:
    root: Path
    env: dict[str, str]

    @property
    def locs(self) -> Locations:
        return locations(SPEC)

    @property
    def config(self) -> Path:
        return self.locs.config_file

    @property
    def policy(self) -> Path:
        return self.locs.policy_files[0]

    def write_config(self, data: bytes | str) -> Path:
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_bytes(data.encode() if isinstance(data, str) else data)
        return self.config

    def write_policy(self, data: bytes | str) -> Path:
        self.policy.parent.mkdir(parents=True, exist_ok=True)
        self.policy.write_bytes(data.encode() if isinstance(data, str) else data)
        return self.policy

    def tree(self) -> set[str]:
        """Every path under the isolated root, for proving that nothing was created."""
        return {str(p.relative_to(self.root)) for p in self.root.rglob("*")}


@pytest.fixture
def iso(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Iso]:
    root = tmp_path / "home"
    for name in ("config", "data", "state", "etc", "cache"):
        (root / name).mkdir(parents=True)
    for name in SCRUB:
        monkeypatch.delenv(name, raising=False)
    settings = {
        "XDG_CONFIG_HOME": str(root / "config"),
        "XDG_DATA_HOME": str(root / "data"),
        "XDG_STATE_HOME": str(root / "state"),
        "XDG_CACHE_HOME": str(root / "cache"),
        "XDG_CONFIG_DIRS": str(root / "etc"),
        "PYTHON_KEYRING_BACKEND": "consent.testkeyring.FileKeyring",
        "CONSENT_TEST_KEYRING": str(tmp_path / "keyring.json"),
    }
    for key, value in settings.items():
        monkeypatch.setenv(key, value)
    yield Iso(root, dict(os.environ))


def run_lumogon(
    iso: Iso,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess with the isolated environment (plus `env`)."""
    full = {**iso.env, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "consent.lumogon", *args],
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
        [*unprivileged_prefix(), sys.executable, "-m", "consent.lumogon", *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


AUDIT_DIR = Path(__file__).resolve().parent / "audit"


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
