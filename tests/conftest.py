"""Shared fixtures, built on the consent.testing plugin: lumogon's view of the isolated home.

The helpers these fixtures use, and the ones tests call directly, are in tests/helpers.py.
"""

from __future__ import annotations

import os
from importlib.metadata import entry_points

import pytest

from consent.testing.home import Home
from tests.helpers import NO_FILE_MODES, Iso, file_modes_bite


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
