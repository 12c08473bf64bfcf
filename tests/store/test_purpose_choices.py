"""Recording choices per purpose: what `enable`/`disable [PURPOSE...]`, `local` and the question
write, and that two concurrent single-purpose choices both count."""

from __future__ import annotations

import subprocess
import sys

import pytest

from consent._errors import ConsentError
from consent._store.choices import record_choice
from consent._store.sources import read_config, resolve
from lumogon import SPEC
from tests.helpers import Iso


def table(iso: Iso) -> dict[str, object]:
    return read_config(iso.locs).record.asdict()


def test_enable_every_purpose_writes_the_single_key(iso: Iso) -> None:
    record_choice(SPEC, iso.locs, enabled=True, via="test", purposes=("usage",))
    assert table(iso)["enabled_purposes"] == "usage"
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    t = table(iso)
    assert t["enabled"] is True and t["enabled_purposes"] is None and t["disabled_purposes"] is None


def test_disable_one_purpose_of_an_opt_out_app_without_any_enable(iso: Iso) -> None:
    record_choice(SPEC, iso.locs, enabled=False, via="test", purposes=("service-health",))
    t = table(iso)
    assert t["enabled"] is None and t["disabled_purposes"] == "service-health"
    from consent._store.choices import record_notice_shown

    record_notice_shown(SPEC, iso.locs)  # opt-out: the notice enables what is not disabled
    decision = resolve(SPEC, locs=iso.locs, environ={})
    on = {p.purpose: p.enabled for p in decision.purposes}
    assert on == {"usage": True, "service-health": False}


def test_disabling_the_last_enabled_purpose_leaves_no_enable(iso: Iso) -> None:
    record_choice(SPEC, iso.locs, enabled=True, via="test", purposes=("usage",))
    rec = record_choice(SPEC, iso.locs, enabled=False, via="test", purposes=("usage",))
    assert not rec.everything_off  # service-health was never chosen either way
    t = table(iso)
    assert t["enabled"] is None and t["disabled_purposes"] == "usage"
    rec = record_choice(SPEC, iso.locs, enabled=False, via="test", purposes=("service-health",))
    assert rec.everything_off and table(iso)["enabled"] is False


def test_stale_consent_does_not_carry_over_to_a_new_purpose_choice(iso: Iso) -> None:
    iso.write_config('[telemetry]\nenabled = true\nnotice_version = "0000000000"\n')
    record_choice(SPEC, iso.locs, enabled=True, via="test", purposes=("usage",))
    assert table(iso)["enabled_purposes"] == "usage"  # not every purpose of the old consent


def test_unknown_purposes_are_refused(iso: Iso) -> None:
    with pytest.raises(ConsentError, match="has no purpose 'ads'"):
        record_choice(SPEC, iso.locs, enabled=True, via="test", purposes=("ads",))
    assert not iso.config.exists()


def test_local_then_the_question_keeps_local_mode(iso: Iso) -> None:
    record_choice(SPEC, iso.locs, enabled=True, via="test", local=True)
    assert table(iso)["mode"] == "local"
    record_choice(SPEC, iso.locs, enabled=True, via="prompt")  # yes to a re-asked question
    assert table(iso)["mode"] == "local"
    record_choice(SPEC, iso.locs, enabled=True, via="command: lumogon telemetry enable")
    assert table(iso)["mode"] is None  # enable leaves local mode


def test_disable_one_purpose_keeps_local_mode_and_disable_all_ends_it(iso: Iso) -> None:
    record_choice(SPEC, iso.locs, enabled=True, via="test", local=True)
    record_choice(SPEC, iso.locs, enabled=False, via="test", purposes=("usage",))
    t = table(iso)
    # `local` is no yes: the person's words are a no for usage and local mode, nothing else.
    assert t["mode"] == "local" and t["disabled_purposes"] == "usage"
    assert t.get("enabled") is None and t.get("enabled_purposes") is None
    record_choice(SPEC, iso.locs, enabled=False, via="test")
    assert table(iso)["mode"] is None and table(iso)["enabled"] is False


@pytest.mark.slow
def test_two_concurrent_single_purpose_enables_both_count(iso: Iso) -> None:
    for _ in range(3):
        iso.config.unlink(missing_ok=True)
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "lumogon", "telemetry", "enable", name],
                env=iso.env,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for name in ("usage", "service-health")
        ]
        assert [p.wait(timeout=60) for p in procs] == [0, 0]
        decision = resolve(SPEC, locs=iso.locs, environ={})
        assert all(p.enabled for p in decision.purposes), table(iso)
