"""Shared fixtures, built on the consent.testing plugin: lumogon's view of the isolated home.

The helpers these fixtures use, and the ones tests call directly, are in tests/helpers.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from consent.testing.home import Home
from lumogon import SPEC
from tests.helpers import NO_FILE_MODES, Iso, enabled_config, file_modes_bite


def _plugin_autoloaded() -> bool:
    if os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD"):
        return False
    return any(ep.value == "consent.testing" for ep in entry_points(group="pytest11"))


# An install made before the entry point existed (an older editable one) does not autoload the
# plugin; registering it twice would be an error, so it is named here only when needed.
pytest_plugins = ["pytester", *([] if _plugin_autoloaded() else ["consent.testing"])]


@pytest.fixture
def iso(consent_home: Home) -> Iso:
    return Iso(consent_home)


@pytest.fixture
def unprivileged(iso: Iso) -> Iso:
    """The isolated home, for tests whose subprocesses must feel file modes (`run_unprivileged`)."""
    if not file_modes_bite():
        pytest.skip(NO_FILE_MODES)
    return iso


@pytest.fixture
def enabled_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """os.environ pointed at fresh dirs holding an enabled config; the file keyring."""
    import keyring.core

    for name, value in {
        "XDG_CONFIG_HOME": tmp_path / "config", "XDG_DATA_HOME": tmp_path / "data",
        "XDG_STATE_HOME": tmp_path / "state", "XDG_CONFIG_DIRS": tmp_path / "etc",
        "CONSENT_TEST_KEYRING": tmp_path / "keyring.json",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, str(value))
    for name in (SPEC.disable_env, "DO_NOT_TRACK", SPEC.debug_env, SPEC.endpoint_env):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "consent.testing.keyring.FileKeyring")
    keyring.core.init_backend()
    (tmp_path / "config" / SPEC.name).mkdir(parents=True)
    enabled_config(tmp_path / "config" / SPEC.name)
    yield tmp_path / "state" / SPEC.name / "telemetry-log.jsonl"
    monkeypatch.undo()
    keyring.core.init_backend()
