"""The rules (consent/core/rules.py) for readings that `decide` may get from any caller, not
only from consent's own readers: a policy in error locks even when it states no problem."""

from __future__ import annotations

import pytest

from consent.core.rules import ConfigReading, Inputs, PolicyReading, decide
from lumogon import SPEC


def inputs(policy: PolicyReading | None, config: ConfigReading | None) -> Inputs:
    return Inputs(
        app=SPEC.name,
        mode=SPEC.mode,
        notice_version=SPEC.notice_version,
        flag=False,
        env=(),
        policies=(policy,) if policy is not None else (),
        config=config,
    )


ENABLED = ConfigReading("/c.toml", "ok")


@pytest.mark.parametrize("problem", ["", "is not valid TOML"])
def test_a_policy_in_error_locks_whatever_its_problem_says(problem: str) -> None:
    from consent.core.records import ConsentRecord

    config = ENABLED.replace(record=ConsentRecord(enabled=True, notice_version=SPEC.notice_version))
    assert decide(inputs(None, config)).enabled  # the control: enabled without a policy
    decision = decide(inputs(PolicyReading("/p.toml", "error", False, problem), config))
    assert not decision.enabled
    assert decision.decided_by.source == "policy"
    assert decision.decided_by.detail.endswith("treated as an admin lock (fail closed)")
    assert any(v.source == "policy" and v.vote == "disable" for v in decision.trace)


def test_a_config_in_error_disables_whatever_its_problem_says() -> None:
    decision = decide(inputs(None, ConfigReading("/c.toml", "error")))
    assert not decision.enabled and decision.decided_by.source == "error"
    assert decision.decided_by.origin["path"] == "/c.toml"


def test_local_mode_is_the_decisions_and_the_trace_names_every_purpose() -> None:
    from consent.core.records import ConsentRecord

    purposes = ("usage", "health")
    local = ConfigReading("/c.toml", "ok", ConsentRecord(True, SPEC.notice_version, mode="local"))
    decision = decide(inputs(None, local).replace(purposes=purposes))
    assert decision.local and not decision.enabled
    assert decide(inputs(None, ENABLED).replace(purposes=purposes)).local is False
    shown = ConsentRecord(
        notice_shown_version=SPEC.notice_version, disabled_purposes="usage health"
    )
    config = ConfigReading("/c.toml", "ok", shown)
    (vote,) = [v for v in decide(inputs(None, config)).trace if v.source == "config"]
    assert vote.detail == "/c.toml: (disabled: health, usage)"
