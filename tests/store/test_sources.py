"""Reading every source and deciding from them (consent/_store/sources.py): a policy the parser
cannot read still locks, the fast path stops where the decision is already made, and the trace
`status --json` shows is what each source said."""

from __future__ import annotations

from pathlib import Path

import pytest

from consent._core.rules import decide
from consent._notice.status import Extras, status_json
from consent._store.sources import gather, read_policies, recheck, resolve
from lumogon import SPEC
from tests.helpers import Iso, enabled_config, locs_in


@pytest.mark.parametrize(
    "policy",
    [
        b"x = " + b"[" * 5000 + b"]" * 5000 + b"\n",  # beyond the parser's recursion
        b"[telemetry]\nenabled = true\nx = " + b"[" * 20 + b"]" * 20 + b"\n",  # beyond the cap
        b"[telemetry]\nenabled = true\n" + b"a" + b".a" * 20 + b" = 1\n",
    ],
)
def test_a_policy_beyond_the_parser_or_the_caps_still_locks(tmp_path: Path, policy: bytes) -> None:
    enabled_config(tmp_path)
    (tmp_path / "policy.toml").write_bytes(policy)
    locs = locs_in(tmp_path)
    (reading,) = read_policies(locs)
    assert reading.state == "error" and reading.problem
    for full in (True, False):
        decision = resolve(SPEC, environ={}, locs=locs, full=full)
        assert not decision.enabled and decision.decided_by.source == "policy"
    assert not recheck(SPEC.name, SPEC.notice_version, mode=SPEC.mode,
                       disable_env=SPEC.disable_env, locs=locs, environ={}).enabled  # fmt: skip


def test_without_a_policy_the_enabled_config_enables(tmp_path: Path) -> None:
    """The control for the test above: the same config, no policy, is enabled (so a mutant that
    disables everything is caught too)."""
    enabled_config(tmp_path)
    locs = locs_in(tmp_path)
    assert resolve(SPEC, environ={}, locs=locs).enabled
    assert recheck(SPEC.name, SPEC.notice_version, mode=SPEC.mode,
                   disable_env=SPEC.disable_env, locs=locs, environ={}).enabled  # fmt: skip
    assert not recheck(SPEC.name, "another-version", mode=SPEC.mode,
                       disable_env=SPEC.disable_env, locs=locs, environ={}).enabled  # fmt: skip
    assert not recheck(SPEC.name, SPEC.notice_version, mode=SPEC.mode,
                       disable_env=SPEC.disable_env, locs=locs,
                       environ={SPEC.disable_env: "1"}).enabled  # fmt: skip
    assert not recheck(SPEC.name, SPEC.notice_version, mode=SPEC.mode,
                       disable_env=SPEC.disable_env, locs=locs,
                       environ={"DO_NOT_TRACK": "yes"}).enabled  # fmt: skip


def test_trace_votes_are_what_the_sources_said(tmp_path: Path) -> None:
    enabled_config(tmp_path)
    locs = locs_in(tmp_path)
    inputs = gather(SPEC, flag=True, environ={"DO_NOT_TRACK": "1"}, locs=locs)
    decision = decide(inputs)
    extras = Extras(SPEC.name, SPEC.mode, "none", "none stored")
    data = status_json(decision, locs, extras)
    votes = {(v["source"], v.get("name", "")): v["vote"] for v in data["sources"]}
    assert votes[("flag", "--disable-analytics")] == "disable"
    assert votes[("env", "DO_NOT_TRACK")] == "disable"
    assert votes[("env", SPEC.disable_env)] is None
    assert votes[("config", "")] == "enable"
    assert data["enabled"] is False and data["decided_by"]["source"] == "flag"


def test_gather_defaults_to_no_flag_and_reads_everything(tmp_path: Path) -> None:
    enabled_config(tmp_path)
    inputs = gather(SPEC, environ={}, locs=locs_in(tmp_path))
    assert inputs.flag is False
    assert inputs.policies is not None and inputs.config is not None
    assert inputs.notice_version == SPEC.notice_version


@pytest.mark.parametrize(
    "policy", [b"[telemetry]\nenabled = false\n", b"not [ toml", b"[telemetry]\nx = 1\n"]
)
def test_the_fast_path_stops_at_a_locking_policy(tmp_path: Path, policy: bytes) -> None:
    enabled_config(tmp_path)
    (tmp_path / "policy.toml").write_bytes(policy)
    fast = gather(SPEC, environ={}, locs=locs_in(tmp_path), full=False)
    assert fast.config is None  # the config is not even read
    full = gather(SPEC, environ={}, locs=locs_in(tmp_path), full=True)
    assert full.config is not None and full.config.state == "ok"


def test_the_fast_path_reads_the_config_under_an_allowing_policy(tmp_path: Path) -> None:
    enabled_config(tmp_path)
    (tmp_path / "policy.toml").write_bytes(b"[telemetry]\nenabled = true\n")
    fast = gather(SPEC, environ={}, locs=locs_in(tmp_path), full=False)
    assert fast.config is not None and resolve(SPEC, environ={}, locs=locs_in(tmp_path)).enabled


@pytest.mark.parametrize(("environ", "flag"), [({"DO_NOT_TRACK": "1"}, False), ({}, True)])
def test_the_fast_path_stops_at_the_flag_or_env(
    tmp_path: Path, environ: dict[str, str], flag: bool
) -> None:
    enabled_config(tmp_path)
    fast = gather(SPEC, flag=flag, environ=environ, locs=locs_in(tmp_path), full=False)
    assert fast.policies is None and fast.config is None and fast.notice_version == ""


def test_each_policy_reading_says_exactly_what_it_found(tmp_path: Path) -> None:
    from consent._core.rules import PolicyReading

    locs = locs_in(tmp_path)
    path = locs.policy_paths[0]
    assert read_policies(locs, SPEC.purpose_names) == (PolicyReading(path, "missing", False),)
    (tmp_path / "policy.toml").write_text("[telemetry]\nenabled = false\n")
    assert read_policies(locs, SPEC.purpose_names) == (
        PolicyReading(
            path,
            "ok",
            True,
            lock_key="telemetry.enabled",
            settings=(("telemetry.enabled", "false"),),
        ),
    )
    (tmp_path / "policy.toml").write_text("not [ toml\n")
    (reading,) = read_policies(locs, SPEC.purpose_names)
    assert (reading.state, reading.locks, reading.local, reading.locked_purposes) == (
        "error",
        True,
        False,
        (),
    )  # fmt: skip  (an unreadable policy locks)
    assert reading.problem.startswith("is not valid TOML")
    (tmp_path / "policy.toml").write_text(
        '[telemetry]\ndisabled_purposes = ["usage"]\nmode = "local"\n'
    )
    (reading,) = read_policies(locs, SPEC.purpose_names)
    assert (reading.state, reading.locks, reading.locked_purposes, reading.local) == (
        "ok", False, ("usage",), True
    )  # fmt: skip


def test_a_policy_locks_single_purposes_and_forces_local_mode(tmp_path: Path) -> None:
    enabled_config(tmp_path)
    locs = locs_in(tmp_path)
    (tmp_path / "policy.toml").write_text('[telemetry]\ndisabled_purposes = ["usage"]\n')
    decision = resolve(SPEC, environ={}, locs=locs)
    usage, health = (decision.for_purpose(p) for p in ("usage", "service-health"))
    assert usage is not None and not usage.enabled and usage.decided_by.source == "policy"
    assert health is not None and health.enabled
    (tmp_path / "policy.toml").write_text('[telemetry]\nmode = "local"\n')
    decision = resolve(SPEC, environ={}, locs=locs)
    assert not decision.enabled and decision.local_by is not None
    assert decision.local_by.source == "policy"


def test_a_policy_that_is_a_link_locks_even_when_its_target_allows(tmp_path: Path) -> None:
    """A policy is read only where it is: a link there is not followed, and locks."""
    enabled_config(tmp_path)
    (tmp_path / "elsewhere.toml").write_text("[telemetry]\nenabled = true\n")
    (tmp_path / "policy.toml").symlink_to(tmp_path / "elsewhere.toml")
    decision = resolve(SPEC, environ={}, locs=locs_in(tmp_path))
    assert not decision.enabled and decision.decided_by.source == "policy"
    assert "symbolic link" in decision.decided_by.detail


def test_every_entry_point_reads_the_process_environment_by_default(
    iso: Iso, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`consent.decide` (read_decision), `resolve` and the sender's `recheck` read the process's
    variables unless given others, and the flag only when given."""
    from consent._store.sources import read_decision

    iso.write_config(f'[telemetry]\nenabled = true\nnotice_version = "{SPEC.notice_version}"\n')
    monkeypatch.delenv(SPEC.disable_env, raising=False)
    monkeypatch.delenv("DO_NOT_TRACK", raising=False)

    def rechecked() -> bool:
        return recheck(SPEC.name, SPEC.notice_version, mode=SPEC.mode,
                       disable_env=SPEC.disable_env, locs=iso.locs).enabled  # fmt: skip

    assert read_decision(SPEC).enabled and resolve(SPEC).enabled and rechecked()
    assert read_decision(SPEC, flag=True).decided_by.source == "flag"
    by_env = read_decision(SPEC, environ={"DO_NOT_TRACK": "1"}).decided_by
    assert (by_env.source, by_env.origin.get("name")) == ("env", "DO_NOT_TRACK")
    monkeypatch.setenv(SPEC.disable_env, "1")
    for decision in (read_decision(SPEC), resolve(SPEC)):
        assert not decision.enabled and decision.decided_by.source == "env"
    assert not rechecked()
    assert read_decision(SPEC, environ={}).enabled  # the variables given, not the process's


def test_recheck_decides_each_purpose_it_names(tmp_path: Path) -> None:
    enabled_config(tmp_path)
    (tmp_path / "policy.toml").write_text('[telemetry]\ndisabled_purposes = ["usage"]\n')
    decision = recheck(SPEC.name, SPEC.notice_version, mode=SPEC.mode,
                       disable_env=SPEC.disable_env, locs=locs_in(tmp_path), environ={},
                       purposes=SPEC.purpose_names)  # fmt: skip
    assert (decision.verdict("usage"), decision.verdict("service-health")) == ("drop", "send")


def test_resolve_bounds_the_project_search_by_the_home_it_is_given(tmp_path: Path) -> None:
    enabled_config(tmp_path)
    (tmp_path / ".lumogon").mkdir()
    (tmp_path / ".lumogon" / "telemetry.toml").write_text("[telemetry]\nenabled = false\n")
    home = tmp_path / "home"
    (home / "work").mkdir(parents=True)
    here = {"cwd": str(home / "work"), "environ": {}, "locs": locs_in(tmp_path)}
    assert resolve(SPEC, home=str(home), **here).enabled  # type: ignore[arg-type]
    outside = resolve(SPEC, home=str(tmp_path / "elsewhere"), **here)  # type: ignore[arg-type]
    assert outside.decided_by.source == "project"


def test_a_config_that_parses_but_cannot_be_read_exactly_names_why(tmp_path: Path) -> None:
    from consent._store.sources import read_config

    (tmp_path / "config.toml").write_text('[telemetry]\nenabled = "yes"\n')
    got = read_config(locs_in(tmp_path))
    assert (got.state, got.problem) == (
        "error",
        "is invalid: 'telemetry.enabled' must be true or false, found 'yes'",
    )


def test_the_fast_path_reads_the_packager_only_while_a_purpose_may_be_on(tmp_path: Path) -> None:
    """The packager's defaults are read last, and a host command's run skips them once the
    config turns every purpose off (unreadable, or `enabled = false` while sending); a project
    file that does not disable lets the run read on."""
    locs = locs_in(tmp_path).replace(defaults_path=str(tmp_path / "defaults.toml"))
    (tmp_path / "w" / ".lumogon").mkdir(parents=True)
    (tmp_path / "w" / ".lumogon" / "telemetry.toml").write_text("[telemetry]\n")
    where = {"cwd": str(tmp_path / "w"), "home": str(tmp_path), "environ": {}, "locs": locs}
    for config, read in (
        ("[telemetry]\nenabled = false\n", False),
        ('[telemetry]\nenabled = "no"\n', False),
        ('[telemetry]\nenabled = false\nmode = "local"\n', True),
        ("[telemetry]\n", True),
    ):
        (tmp_path / "config.toml").write_text(config)
        fast = gather(SPEC, full=False, **where)  # type: ignore[arg-type]
        assert fast.project is not None and fast.config is not None, config
        assert (fast.packager is not None) == read, config
        assert gather(SPEC, **where).packager is not None  # type: ignore[arg-type]
