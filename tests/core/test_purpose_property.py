"""Property: consent per purpose. No combination of policy, flag, env and config enables a purpose
that a policy, the flag or an env var disables, or that the person has not enabled for the current
notice version (opt-in) or been shown (opt-out); local mode never sends, and the person's local mode
keeps what they have not refused.

The oracle below is written from the rules in words (issue 14, docs/configuration.md), apart from
the production code: it parses with tomllib and reads the keys itself.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent._core.spec import AppSpec
from consent._store.paths import Locations
from consent._store.sources import resolve
from lumogon import SPEC

if sys.version_info >= (3, 11):
    import tomllib

    loads = tomllib.loads
else:  # the oracle's own parser on 3.10 (production reads with its fast path, then tomlkit)
    import tomlkit

    def loads(text: str) -> dict[str, Any]:
        parsed: dict[str, Any] = tomlkit.parse(text).unwrap()
        return parsed


PURPOSES = ("usage", "service-health")
OPT_IN = SPEC.replace(mode="opt-in")

ABSENT = None


def _names() -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from([*PURPOSES, "bogus"]), max_size=3)


def config_text(current: str) -> st.SearchStrategy[str]:
    """A `[telemetry]` table whose every managed key may be absent, right, stale or of a wrong
    type, written as TOML text."""
    # Weighted towards consent that counts, so that enabled purposes are common.
    version = st.sampled_from([current, current, current, ABSENT, "0000000000", ""])
    names_value = st.one_of(
        st.none(),
        st.none(),
        _names().map(lambda ns: '"' + " ".join(ns) + '"'),  # the shape the toolkit writes
        _names().map(lambda ns: '"' + " ".join(ns) + '"'),
        _names().map(lambda ns: "[" + ", ".join(f'"{n}"' for n in ns) + "]"),  # wrong type
    )
    keys = st.fixed_dictionaries(
        {
            "enabled": st.sampled_from([ABSENT, "true", "true", "true", "false", '"yes"']),
            "notice_version": version.map(lambda v: None if v is None else f'"{v}"'),
            "notice_shown_version": version.map(lambda v: None if v is None else f'"{v}"'),
            "enabled_purposes": names_value,
            "disabled_purposes": names_value,
            "mode": st.sampled_from([ABSENT, ABSENT, ABSENT, '"local"', '"send"', '"remote"']),
        }
    )
    return keys.map(
        lambda d: "[telemetry]\n" + "".join(f"{k} = {v}\n" for k, v in d.items() if v is not None)
    )


POLICY_TEXT = st.one_of(
    st.none(),
    st.none(),
    st.fixed_dictionaries(
        {
            "enabled": st.sampled_from([ABSENT, ABSENT, "true", "false", "0"]),
            "disabled_purposes": st.one_of(
                st.none(),
                _names().map(lambda ns: "[" + ", ".join(f'"{n}"' for n in ns) + "]"),
                st.sampled_from(['"usage"', "1", "[1]"]),
            ),
            "mode": st.sampled_from([ABSENT, ABSENT, '"local"', '"send"', '"remote"']),
        }
    ).map(
        lambda d: "[telemetry]\n" + "".join(f"{k} = {v}\n" for k, v in d.items() if v is not None)
    ),
)
ENV = st.sampled_from([None, None, None, "", "0", "off", "1", "yes", "perhaps"])
FLAG = st.sampled_from([False, False, False, True])


# -- the oracle ------------------------------------------------------------------------------
def _quiet(value: str | None) -> bool:
    return value is None or value.strip().lower() in ("", "0", "false", "no", "off")


def _policy(text: str | None) -> tuple[bool, set[str], bool]:
    """(the policy lets anything through at all, the purposes it locks, it forces local)."""
    if text is None:
        return True, set(), False
    table = loads(text).get("telemetry", {})
    if table.get("enabled", True) is not True:
        return False, set(), False
    locked = table.get("disabled_purposes", [])
    if isinstance(locked, str):
        locked = locked.split()
    if not isinstance(locked, list) or not all(n in PURPOSES for n in locked):
        return False, set(), False  # unreadable intent: everything is locked
    mode = table.get("mode", "send")
    if mode not in ("local", "send"):
        return False, set(), False
    return True, set(locked), mode == "local"


def _config(text: str) -> dict[str, object] | None:
    """The table, or None when it is not usable consent (a wrong type anywhere)."""
    table = loads(text)["telemetry"]
    if "enabled" in table and not isinstance(table["enabled"], bool):
        return None
    for key in ("notice_version", "notice_shown_version", "enabled_purposes", "disabled_purposes"):
        if key in table and not isinstance(table[key], str):
            return None
    if table.get("mode", "send") not in ("local", "send"):
        return None
    return table


def oracle(
    spec: AppSpec, config: str, policy: str | None, flag: bool, envs: tuple[str | None, ...]
) -> dict[str, str]:
    """Each purpose's verdict: "drop" when a policy, the flag, a variable or an unusable config
    blocks it or the person refused it; "keep" in the person's local mode (what they have not
    refused stays on this machine), or when it has consent that counts and a policy asks for
    local mode; "send" when it has consent that counts; else "drop"."""
    through, locked, policy_local = _policy(policy)
    table = _config(config)
    verdicts: dict[str, str] = {}
    for p in PURPOSES:
        if not through or p in locked or flag or not all(map(_quiet, envs)) or table is None:
            verdicts[p] = "drop"
            continue
        if table.get("enabled") is False or p in str(table.get("disabled_purposes", "")).split():
            verdicts[p] = "drop"
            continue
        if table.get("mode") == "local":
            verdicts[p] = "keep"
            continue
        current = spec.notice_version
        named = table.get("enabled_purposes")
        chose = (
            table.get("enabled") is True
            and table.get("notice_version") == current
            and (named is None or p in str(named).split())
        )
        shown = spec.mode == "opt-out" and table.get("notice_shown_version") == current
        consent = chose or shown
        verdicts[p] = ("keep" if policy_local else "send") if consent else "drop"
    return verdicts


# -- the property ----------------------------------------------------------------------------
def check(
    spec: AppSpec, config: str, policy: str | None, flag: bool, dnt: str | None, app: str | None
) -> None:
    root = Path(tempfile.mkdtemp(prefix="consent-purpose-prop-"))
    try:
        locs = Locations(
            str(root / "config.toml"),
            (str(root / "policy.toml"),),
            str(root / "id"),
            str(root / "log"),
        )
        locs.config_file.write_text(config)
        if policy is not None:
            locs.policy_files[0].write_text(policy)
        environ = {
            k: v for k, v in (("DO_NOT_TRACK", dnt), (spec.disable_env, app)) if v is not None
        }
        decision = resolve(spec, flag=flag, environ=environ, locs=locs)
        want = oracle(spec, config, policy, flag, (dnt, app))
        why = (config, policy, flag, environ, decision.purposes)
        assert {p: decision.verdict(p) for p in PURPOSES} == want, why
        assert decision.enabled == ("send" in want.values()), why
        for p in decision.purposes:
            assert p.verdict == decision.verdict(p.purpose), why
            if p.verdict == "keep":  # never under the flag or an env var
                assert not flag and _quiet(dnt) and _quiet(app), why
        if decision.local_by is not None:
            assert not decision.enabled, why  # local mode: nothing is sent
    finally:
        shutil.rmtree(root)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config_text(SPEC.notice_version), POLICY_TEXT, FLAG, ENV, ENV)
def test_opt_out_purposes_follow_the_rules(
    config: str, policy: str | None, flag: bool, dnt: str | None, app: str | None
) -> None:
    check(SPEC, config, policy, flag, dnt, app)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config_text(OPT_IN.notice_version), POLICY_TEXT, FLAG, ENV, ENV)
def test_opt_in_purposes_follow_the_rules(
    config: str, policy: str | None, flag: bool, dnt: str | None, app: str | None
) -> None:
    check(OPT_IN, config, policy, flag, dnt, app)


CURRENT = SPEC.notice_version
CASES = {
    # (config, policy, flag, DO_NOT_TRACK) -> which purposes are sent, which kept local
    "enable usage only": (
        f'[telemetry]\nenabled = true\nenabled_purposes = "usage"\nnotice_version = "{CURRENT}"\n',
        None, False, None, {"usage"}, set(),
    ),
    "old single enabled key covers every purpose": (
        f'[telemetry]\nenabled = true\nnotice_version = "{CURRENT}"\n',
        None, False, None, {"usage", "service-health"}, set(),
    ),
    "policy locks usage over the person's enable": (
        f'[telemetry]\nenabled = true\nnotice_version = "{CURRENT}"\n',
        '[telemetry]\ndisabled_purposes = ["usage"]\n', False, None, {"service-health"}, set(),
    ),
    "policy forces local": (
        f'[telemetry]\nenabled = true\nnotice_version = "{CURRENT}"\n',
        '[telemetry]\nmode = "local"\n', False, None, set(), {"usage", "service-health"},
    ),
    "the person's local mode": (
        f'[telemetry]\nenabled = true\nmode = "local"\nnotice_version = "{CURRENT}"\n',
        None, False, None, set(), {"usage", "service-health"},
    ),
    "local mode under the flag keeps nothing": (
        f'[telemetry]\nenabled = true\nmode = "local"\nnotice_version = "{CURRENT}"\n',
        None, True, None, set(), set(),
    ),
    "opt-out notice shown, one purpose disabled": (
        f'[telemetry]\nnotice_shown_version = "{CURRENT}"\ndisabled_purposes = "service-health"\n',
        None, False, None, {"usage"}, set(),
    ),
    "a policy naming an unknown purpose locks everything": (
        f'[telemetry]\nenabled = true\nnotice_version = "{CURRENT}"\n',
        '[telemetry]\ndisabled_purposes = ["usgae"]\n', False, None, set(), set(),
    ),
    "DO_NOT_TRACK disables every purpose": (
        f'[telemetry]\nenabled = true\nnotice_version = "{CURRENT}"\n',
        None, False, "1", set(), set(),
    ),
    "the person's local mode keeps what they did not refuse, with or without a yes": (
        '[telemetry]\nmode = "local"\ndisabled_purposes = "service-health"\n',
        None, False, None, set(), {"usage"},
    ),
    "stale consent for one purpose": (
        '[telemetry]\nenabled = true\nenabled_purposes = "usage"\nnotice_version = "0"\n',
        None, False, None, set(), set(),
    ),
}  # fmt: skip


def test_named_cases_agree_with_the_oracle_and_the_issue() -> None:
    for name, (config, policy, flag, dnt, sent, kept) in CASES.items():
        check(SPEC, config, policy, flag, dnt, None)
        verdicts = oracle(SPEC, config, policy, flag, (dnt, None))
        assert {p for p, v in verdicts.items() if v == "send"} == sent, name
        assert {p for p, v in verdicts.items() if v == "keep"} == kept, name
