"""Property: garbage never enables. Real files, random bytes, random env values."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_spec import opt_in_spec

from consent.core.records import consent_record
from consent.core.spec import AppSpec
from consent.store.paths import Locations
from consent.store.sources import resolve
from consent.store.tomlread import parse_toml
from lumogon import SPEC


def config_bytes(current: str) -> st.SearchStrategy[bytes]:
    versions = st.sampled_from([current, "0000000000", "", current.upper(), current + " "])
    lines = st.one_of(
        st.sampled_from(
            ["[telemetry]", "[other]", "telemetry = 1", "[[telemetry]]", "# c", "", "x = 1"]
        ),
        st.builds(
            lambda b: f"enabled = {b}", st.sampled_from(["true", "false", '"yes"', "1", "True"])
        ),
        st.builds(lambda v: f'notice_version = "{v}"', versions),
        st.builds(lambda v: f'notice_shown_version = "{v}"', versions),
        st.builds(lambda v: f"telemetry.enabled = {v}", st.sampled_from(["true", "false"])),
        st.text(max_size=20),
    )
    return st.one_of(
        st.binary(max_size=200),
        st.lists(lines, max_size=8).map(lambda ls: "\n".join(ls).encode("utf-8", "surrogatepass")),
    )


POLICY = st.one_of(
    st.none(),
    st.binary(max_size=60),
    st.sampled_from(
        [
            b"[telemetry]\nenabled = true\n",
            b"[telemetry]\nenabled = false\n",
            b"[telemetry]\nenabled = 0\n",
            b"",
            b"[other]\n",
        ]
    ),
)
ENV_VALUE = st.one_of(
    st.none(), st.sampled_from(["", "0", "1", "no", " off ", "x"]), st.text(max_size=8)
)


def explicit_enable(data: bytes, spec: AppSpec) -> bool:
    try:
        record = consent_record(parse_toml(data))
    except (ValueError, RecursionError):
        return False
    if record.enabled is True and record.notice_version == spec.notice_version:
        return True
    # An opt-out app also runs once its current notice was shown and nothing disables.
    return (
        spec.mode == "opt-out"
        and record.enabled is not False
        and (record.notice_shown_version == spec.notice_version)
    )


def policy_allows(data: bytes | None) -> bool:
    if data is None:
        return True
    try:
        doc = parse_toml(data)
    except (ValueError, RecursionError):
        return False
    if set(doc) - {"telemetry"}:
        return False  # any key outside the table is ambiguous: a lock (issue 12)
    table = doc.get("telemetry")
    if table is None:
        return True
    return (
        isinstance(table, dict) and set(table) <= {"enabled"} and table.get("enabled", True) is True
    )


def check(
    spec: AppSpec, config: bytes, policy: bytes | None, dnt: str | None, app: str | None
) -> None:
    root = Path(tempfile.mkdtemp(prefix="consent-prop-"))
    try:
        locs = Locations(
            str(root / "config.toml"),
            (str(root / "policy.toml"),),
            str(root / "id"),
            str(root / "log"),
        )
        locs.config_file.write_bytes(config)
        if policy is not None:
            locs.policy_files[0].write_bytes(policy)
        environ = {
            k: v for k, v in (("DO_NOT_TRACK", dnt), (spec.disable_env, app)) if v is not None
        }
        before = sorted(os.listdir(root))
        decision = resolve(spec, environ=environ, locs=locs)
        assert sorted(os.listdir(root)) == before  # reading never writes
        env_quiet = all(
            v is None or v.strip().lower() in ("", "0", "false", "no", "off") for v in (dnt, app)
        )
        allowed = explicit_enable(config, spec) and policy_allows(policy) and env_quiet
        if decision.enabled:
            assert allowed, (config, policy, environ, decision.decided_by)
        else:
            assert not allowed, (config, policy, environ, decision.decided_by)
    finally:
        shutil.rmtree(root)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config_bytes(SPEC.notice_version), POLICY, ENV_VALUE, ENV_VALUE)
def test_opt_out_enabled_only_with_explicit_reason(
    config: bytes, policy: bytes | None, dnt: str | None, app: str | None
) -> None:
    check(SPEC, config, policy, dnt, app)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config_bytes(opt_in_spec().notice_version), POLICY, ENV_VALUE, ENV_VALUE)
def test_opt_in_enabled_only_with_explicit_enable(
    config: bytes, policy: bytes | None, dnt: str | None, app: str | None
) -> None:
    check(opt_in_spec(), config, policy, dnt, app)
