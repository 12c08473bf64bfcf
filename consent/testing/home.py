"""An isolated home for tests: every file an app built on consent reads or writes, in one tmp dir.

The environment points the XDG base directories (user config, data, state and
cache, and the system config dirs where admin policies live) at subdirectories
of one root, selects the file-backed keyring of `consent.testing.keyring`, and drops
every variable that would let the machine's own setup decide: any
`*_DISABLE_ANALYTICS`, `*_TELEMETRY_DEBUG`, `*_TELEMETRY_ENDPOINT`,
`DO_NOT_TRACK`, `NO_COLOR`, the proxy variables the sender reads (a test's hits go to
loopback, or through a proxy the test starts) and the CI markers.

Only XDG platforms (Linux, the BSDs) can be isolated this way. The OS's fixed policy location
(`/etc/xdg/<app>/telemetry.toml`) is not moved by any variable: an app built with
`AppSpec(system_root=...)` looks for it under that directory instead, which is how tests give
an app a system policy (`Home.system_root`, `write_system_policy`).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Mapping
from pathlib import Path

from consent._core.envgrammar import CI_MARKERS, DO_NOT_TRACK
from consent._core.names import POLICY_NAME, PROXY_VARIABLES
from consent._core.spec import AppSpec
from consent._start import DEBUG_SUFFIX, DISABLE_SUFFIX, ENDPOINT_SUFFIX
from consent._store.paths import Locations, _xdg_locations, fixed_policy_paths, with_system

KEYRING_BACKEND = "consent.testing.keyring.FileKeyring"
SCRUB_SUFFIXES = (DISABLE_SUFFIX, DEBUG_SUFFIX, ENDPOINT_SUFFIX)
SCRUB_NAMES = (DO_NOT_TRACK, "NO_COLOR", *PROXY_VARIABLES, *CI_MARKERS)
DIRS = {
    "XDG_CONFIG_HOME": "config",
    "XDG_DATA_HOME": "data",
    "XDG_STATE_HOME": "state",
    "XDG_CACHE_HOME": "cache",
    "XDG_CONFIG_DIRS": "etc",
}


def scrubbed(name: str) -> bool:
    """Would this variable let the machine's own setup into a test's decision?"""
    return name in SCRUB_NAMES or name.endswith(SCRUB_SUFFIXES)


def isolated_env(root: Path, base: Mapping[str, str]) -> dict[str, str]:
    """`base` without the scrubbed variables, plus the isolating ones under `root`."""
    env = {k: v for k, v in base.items() if not scrubbed(k)}
    env.update({var: str(root / sub) for var, sub in DIRS.items()})
    env["PYTHON_KEYRING_BACKEND"] = KEYRING_BACKEND
    env["CONSENT_TEST_KEYRING"] = str(root / "keyring.json")
    return env


def can_isolate() -> bool:
    return _xdg_locations("probe", {"HOME": "/", "XDG_CONFIG_DIRS": "/etc"}) is not None


class Home:
    """The isolated home of one test: its root, its environment, and the app files in it."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env  # the whole environment, for subprocesses: subprocess.run(..., env=home.env)

    @classmethod
    def create(cls, root: Path, base: Mapping[str, str]) -> Home:
        for sub in DIRS.values():
            (root / sub).mkdir(parents=True, exist_ok=True)
        return cls(root, isolated_env(root, base))

    @property
    def keyring_file(self) -> Path:
        """Where the file-backed keyring keeps its entries (absent until one is stored)."""
        return Path(self.env["CONSENT_TEST_KEYRING"])

    def locations(self, spec: AppSpec) -> Locations:
        """The app's files as the app sees them in this home: config, policies (the OS's fixed
        location under `spec.system_root` first), id and log."""
        found = _xdg_locations(spec.name, self.env)
        if found is None:
            raise RuntimeError(f"cannot isolate consent's files on {sys.platform}")
        return with_system(spec, found)

    @property
    def system_root(self) -> Path:
        """A directory to build an app with, as `AppSpec(system_root=str(home.system_root))`:
        its fixed system policy location is then inside this home."""
        return self.root / "system"

    def policy_file(self, spec: AppSpec) -> Path:
        """The policy location the isolated environment adds (in `XDG_CONFIG_DIRS`)."""
        return Path(self.env["XDG_CONFIG_DIRS"]) / spec.name / POLICY_NAME

    def system_policy_file(self, spec: AppSpec) -> Path:
        """The OS's fixed policy location of `spec`, which must be built with a system_root
        inside this home (never the machine's own `/etc`)."""
        root = Path(spec.system_root or "/")
        if not root.is_relative_to(self.root):
            raise ValueError(f"{spec!r} reads the machine's own system policy, not this home's")
        return Path(fixed_policy_paths(spec)[0])

    def write_config(self, spec: AppSpec, data: str | bytes) -> Path:
        """Put `data` (TOML, or deliberately anything else) where the user config lives."""
        return _write(self.locations(spec).config_file, data)

    def write_policy(self, spec: AppSpec, data: str | bytes) -> Path:
        """Put `data` where the isolated environment adds an administrator's policy file."""
        return _write(self.policy_file(spec), data)

    def write_system_policy(self, spec: AppSpec, data: str | bytes) -> Path:
        """Put `data` in the OS's fixed policy location of `spec` (under its system_root)."""
        return _write(self.system_policy_file(spec), data)

    def enable(self, spec: AppSpec) -> None:
        """Record consent for the current notice, as `<app> telemetry enable` does."""
        from consent._store.choices import record_choice

        record_choice(spec, self.locations(spec), enabled=True, via="test: consent_home.enable")

    def client_ids(self) -> dict[str, str]:
        """The keyring's entries, `service/user -> value` (the pseudonymous ids stored)."""
        try:
            data = json.loads(self.keyring_file.read_text("utf-8"))
        except FileNotFoundError:
            return {}
        return {str(k).replace("\x00", "/"): str(v) for k, v in data.items()}

    def log(self, spec: AppSpec) -> list[dict[str, object]]:
        """The app's local telemetry log: every hit handed to the sender, with its outcome."""
        from consent._store.log import entries

        return entries(self.locations(spec).log_file)

    def tree(self) -> set[str]:
        """Every path under the root, relative: to prove that a run created nothing."""
        return {str(p.relative_to(self.root)) for p in self.root.rglob("*")}


def _write(path: Path, data: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path
