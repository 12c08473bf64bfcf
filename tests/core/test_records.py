"""The admin policy's lock, exactly (consent/core/records.py): what locks, and what is named."""

from __future__ import annotations

import pytest

from consent.core.records import policy_locks


@pytest.mark.parametrize(
    ("doc", "locks", "names"),
    [
        ({}, False, ""),
        ({"telemetry": {}}, False, ""),
        ({"telemetry": {"enabled": True}}, False, ""),
        ({"telemetry": {"enabled": False}}, True, ""),
        ({"telemetry": {"disabled": True}}, True, "'telemetry.disabled'"),
        ({"Telemetry": {"enabled": False}}, True, "'Telemetry'"),
        ({"telemetry": {"Enabled": False}}, True, "'telemetry.Enabled'"),
        ({"enabled": False}, True, "'enabled' outside"),
        ({"telemetry": 1}, True, "must be a table"),
        ({"telemetry": {"enabled": "no"}}, True, "must be true or false"),
    ],
)
def test_policy_locks_exactly(doc: dict[str, object], locks: bool, names: str) -> None:
    got, problem = policy_locks(doc)
    assert got is locks
    assert (names in problem) if names else problem == ""
