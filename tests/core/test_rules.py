"""The rules (consent/_core/rules.py) for readings that `decide` may get from any caller, not
only from consent's own readers: a policy in error locks even when it states no problem."""

from __future__ import annotations

import pytest

from consent._core.rules import ConfigReading, Inputs, PolicyReading, ProjectReading, decide
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
    from consent._core.records import ConsentRecord

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
    from consent._core.records import ConsentRecord

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


# The fleet rules, exactly: the per-project vote (it only restricts), the managed endpoint (a
# policy's wins over the override variable; two different ones lock), what `status` lists as
# managed, and the admin lock's key. Each trace entry and warning is pinned: they are what a
# person reads to learn why telemetry is off.
P = "/p/.lumogon/telemetry.toml"
A, B = "https://a.example/c", "https://b.example/c"


def fleet(policies: tuple[PolicyReading, ...] = (), **extra: object) -> Inputs:
    from consent._core.records import ConsentRecord

    config = ENABLED.replace(record=ConsentRecord(enabled=True, notice_version=SPEC.notice_version))
    return inputs(None, config).replace(policies=policies, **extra)


def test_a_project_reading_in_error_disables_whatever_its_problem_says() -> None:
    decision = decide(fleet(project=ProjectReading(P, "error", False)))
    assert not decision.enabled and decision.decided_by.source == "project"
    assert decision.decided_by.detail.endswith("treated as a project opt-out (fail closed)")


@pytest.mark.parametrize(
    ("project", "enabled", "vote", "detail", "warning"),
    [
        (None, True, None, "not consulted", ""),
        (
            ProjectReading("", "missing", False, searched="(x)"),
            True,
            None,
            "no project file (x)",
            "",
        ),
        (ProjectReading("", "missing", False), True, None, "no project file", ""),
        (
            ProjectReading(P, "error", True, "cannot be read (x)"),
            False,
            "disable",
            f"{P} cannot be read (x); treated as a project opt-out (fail closed)",
            f"project file {P} cannot be read (x); treated as a project opt-out (fail closed)",
        ),
        (
            ProjectReading(P, "error", False, "cannot be read (x)"),
            False,
            "disable",
            f"{P} cannot be read (x); treated as a project opt-out (fail closed)",
            f"project file {P} cannot be read (x); treated as a project opt-out (fail closed)",
        ),
        (
            ProjectReading(P, "ok", False, "bad"),
            False,
            "disable",
            f"{P}: bad; treated as a project opt-out (fail closed)",
            f"project file {P}: bad; treated as a project opt-out (fail closed)",
        ),
        (
            ProjectReading(P, "ok", True),
            False,
            "disable",
            f"{P}: telemetry.enabled = false (this project opts out)",
            "",
        ),
        (
            ProjectReading(P, "ok", False, enable_ignored=True),
            True,
            None,
            f"{P}: telemetry.enabled = true is ignored (a project can only opt out)",
            f"{P}: telemetry.enabled = true is ignored: a project file can only turn telemetry "
            "off (use `lumogon telemetry enable` for your own choice)",
        ),
        (ProjectReading(P, "ok", False), True, None, f"{P} does not opt out", ""),
    ],
)
def test_the_project_vote_exactly(
    project: ProjectReading | None, enabled: bool, vote: str | None, detail: str, warning: str
) -> None:
    decision = decide(fleet(project=project))
    (entry,) = [v for v in decision.trace if v.source == "project"]
    assert (decision.enabled, entry.vote, entry.detail) == (enabled, vote, detail)
    assert decision.warnings == ((warning,) if warning else ())
    where = {"path": P, "key": "telemetry.enabled"} if project is not None and project.path else {}
    assert entry.origin == where
    if vote:
        assert decision.decided_by.source == "project" and decision.decided_by.detail == detail
        assert decision.decided_by.origin == where


def test_a_policys_endpoint_wins_over_the_override_with_a_warning() -> None:
    policy = PolicyReading("/a", "ok", False, endpoint=A, settings=(("telemetry.endpoint", '"x"'),))
    decision = decide(fleet((policy,), endpoint_override=("E", " https://o/ ")))
    assert decision.enabled and decision.endpoint_url == A
    assert decision.endpoint is not None and decision.endpoint.source == "policy"
    assert decision.endpoint.detail == f"/a: telemetry.endpoint = {A}"
    assert decision.endpoint.origin == {"path": "/a", "key": "telemetry.endpoint", "url": A}
    assert decision.warnings == (
        f"E=' https://o/ ' is ignored: the admin policy /a sets telemetry.endpoint = {A}",
    )
    (vote,) = [v for v in decision.trace if v.source == "policy"]
    assert vote.vote is None
    assert vote.detail == f"/a: telemetry.endpoint = {A}: hits go there, if sent"
    from consent._core.rules import Managed

    assert decision.managed == (Managed("telemetry.endpoint", '"x"', "/a"),)
    # The same URL in the variable (spaces aside) is no conflict: no warning.
    same = decide(fleet((policy,), endpoint_override=("E", f" {A} ")))
    assert same.warnings == () and same.endpoint_url == A


def test_policies_naming_different_endpoints_lock() -> None:
    a, b = (
        PolicyReading("/a", "ok", False, endpoint=A),
        PolicyReading("/b", "ok", False, endpoint=B),
    )
    decision = decide(fleet((a, b)))
    detail = (
        f"admin policies name different endpoints (/a: {A}; /b: {B}); treated as an admin "
        "lock (fail closed)"
    )
    assert not decision.enabled and decision.endpoint is None and decision.endpoint_url == ""
    assert decision.decided_by.source == "policy" and decision.decided_by.detail == detail
    assert decision.decided_by.origin == {"key": "telemetry.endpoint"}
    assert decision.warnings == (detail,)
    agreeing = decide(fleet((a, b.replace(endpoint=A))))
    assert agreeing.enabled and agreeing.endpoint_url == A and agreeing.warnings == ()
    # A policy with a problem locks on its own account; its endpoint is not one of the two.
    broken = decide(fleet((a, b.replace(locks=True, problem="prob"))))
    assert not broken.enabled and broken.endpoint_url == A
    assert broken.decided_by.detail == "/b: prob; treated as an admin lock (fail closed)"


@pytest.mark.parametrize(
    ("override", "source", "url", "detail"),
    [
        (("E", " https://o/ "), "env", "https://o/", "E=' https://o/ '"),
        (("E", "  "), None, "", ""),
        (("E",), None, "", ""),
        ((), None, "", ""),
    ],
)
def test_the_override_variable_names_the_endpoint_only_when_set(
    override: tuple[str, ...], source: str | None, url: str, detail: str
) -> None:
    decision = decide(fleet(endpoint_override=override))
    assert decision.endpoint_url == ""  # only a policy's endpoint is the managed one
    if source is None:
        assert decision.endpoint is None
    else:
        assert decision.endpoint is not None
        assert (decision.endpoint.source, decision.endpoint.detail) == (source, detail)
        assert decision.endpoint.origin == {"name": "E", "url": url}


@pytest.mark.parametrize(
    ("lock_key", "detail", "key"),
    [
        ("telemetry.mode", '/a: telemetry.mode = "off" (admin lock)', "telemetry.mode"),
        ("", "/a: telemetry.enabled = false (admin lock)", "telemetry.enabled"),
        ("telemetry.enabled", "/a: telemetry.enabled = false (admin lock)", "telemetry.enabled"),
    ],
)
def test_the_admin_lock_names_its_key(lock_key: str, detail: str, key: str) -> None:
    decision = decide(fleet((PolicyReading("/a", "ok", True, lock_key=lock_key),)))
    assert not decision.enabled
    assert decision.decided_by.detail == detail
    assert decision.decided_by.origin == {"path": "/a", "key": key}


def test_an_unreadable_policy_is_listed_as_managing_enabled_false() -> None:
    from consent._core.rules import Managed

    # In error with no problem stated (a caller's reading): listed all the same.
    (silent,) = decide(fleet((PolicyReading("/a", "error", False),))).managed
    assert (silent.key, silent.value, silent.path) == ("telemetry.enabled", "false", "/a")

    note = "unreadable; treated as an admin lock (fail closed)"
    got = decide(fleet((PolicyReading("/a", "error", False, "unreadable"),))).managed
    assert got == (Managed("telemetry.enabled", "false", "/a", note),)
    problem = PolicyReading("/b", "ok", True, "prob", settings=(("telemetry.mode", '"x"'),))
    got = decide(fleet((problem, PolicyReading("/m", "missing", False)))).managed
    assert got == (
        Managed("telemetry.enabled", "false", "/b", "prob; treated as an admin lock (fail closed)"),
    )


# --- the edges scripts/mutate.py found unpinned (issue 24) --------------------------------------


def test_a_reading_that_is_missing_or_in_error_carries_nothing_of_what_it_would_set() -> None:
    """Whatever a caller's reading of an absent or unreadable file also holds, it sets nothing:
    no managed setting, purpose lock, local mode or endpoint (a policy in error only locks), no
    packager default (one in error only stops sending), no local mode or shown notice from a
    config in error."""
    from consent._core.records import ConsentRecord

    settings = (("telemetry.mode", '"local"'),)
    purposes = ("usage", "health")
    enabled = fleet().replace(purposes=purposes)
    policy = PolicyReading(
        "/p", "missing", False, "", ("usage",), True, endpoint=A, settings=settings
    )
    absent = decide(enabled.replace(policies=(policy,)))
    assert absent.verdict("usage") == absent.verdict("health") == "send"
    assert absent.managed == () and absent.local_by is None and absent.endpoint is None
    broken = decide(enabled.replace(policies=(policy.replace(state="error"),)))
    assert broken.verdict("usage") == broken.verdict("health") == "drop"
    assert broken.decided_by.source == "policy" and broken.local_by is None
    assert [m.key for m in broken.managed] == ["telemetry.enabled"] and broken.endpoint is None
    unclear = policy.replace(state="ok", problem="has the unknown key 'telemetry.x'")
    broken = decide(enabled.replace(policies=(unclear,)))
    assert broken.verdict("usage") == "drop" and broken.local_by is None

    from consent._core.rules import PackagerReading

    packager = PackagerReading("/d", "missing", "", "opt-in", ("usage",), A, settings)
    absent = decide(enabled.replace(packager=packager))
    assert absent.verdict("usage") == "send" and absent.defaults == ()
    assert absent.endpoint is None and absent.default_url == ""
    undecided = enabled.replace(mode="opt-in", config=ConfigReading("/c.toml", "missing"))
    asked = decide(undecided.replace(packager=packager)).for_purpose("usage")
    assert asked is not None and asked.decided_by.source == "default"

    record = ConsentRecord(mode="local", notice_shown_version=SPEC.notice_version)
    config = ConfigReading("/c.toml", "error", record, "is not valid TOML")
    unreadable = decide(enabled.replace(config=config))
    assert unreadable.verdict("usage") == "drop" and unreadable.local_by is None
    (default,) = [v for v in unreadable.trace if v.source == "default"]
    assert default.vote is None


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("v1", "v1"),
        ("v1\x07", "v1\\x07"),
        ("a\\b'c\x1b", "a\\b'c\\x1b"),  # a backslash or quote of its own stays as it is
    ],
)
def test_printable_escapes_control_characters_only(text: str, shown: str) -> None:
    from consent._core.rules import printable

    assert printable(text) == shown
