"""Property: garbage never enables. Real files, random bytes, random env values."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent.core.spec import AppSpec
from consent.store.paths import Locations
from consent.store.sources import resolve
from lumogon import SPEC
from tests.helpers import config_bytes, explicit_enable, opt_in_spec, policy_allows, policy_bytes

ENV_VALUE = st.one_of(
    st.none(), st.sampled_from(["", "0", "1", "no", " off ", "x"]), st.text(max_size=8)
)


POLICY = policy_bytes()


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
