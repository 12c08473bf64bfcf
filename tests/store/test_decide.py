"""The decision rules: every adjacent pair of sources, provenance, and fail-closed states."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from consent._store.choices import record_choice, record_notice_shown
from consent._store.sources import resolve
from lumogon import SPEC
from tests.helpers import Iso


def enable_in_config(iso: Iso) -> None:
    record_choice(SPEC, iso.locs, enabled=True, via="test")


def test_nothing_recorded_opt_out_awaits_notice(iso: Iso) -> None:
    d = resolve(SPEC, environ={})
    assert not d.enabled
    assert d.decided_by.source == "notice"
    assert d.pending == "notice"
    assert SPEC.notice_version in d.decided_by.detail


def test_explicit_enable_decides_by_config(iso: Iso) -> None:
    enable_in_config(iso)
    d = resolve(SPEC, environ={})
    assert d.enabled
    assert d.decided_by.source == "config"
    assert d.decided_by.origin["path"] == str(iso.config)


def test_notice_shown_enables_opt_out_by_default(iso: Iso) -> None:
    record_notice_shown(SPEC, iso.locs)
    d = resolve(SPEC, environ={})
    assert d.enabled
    assert d.decided_by.source == "default"
    assert SPEC.notice_version in d.decided_by.detail


# Adjacent pairs, strongest first: policy > flag > env > config > default.
def test_policy_beats_flag(iso: Iso) -> None:
    iso.write_policy("[telemetry]\nenabled = false\n")
    d = resolve(SPEC, flag=True, environ={})
    assert d.decided_by.source == "policy"
    assert d.decided_by.origin["path"] == str(iso.policy)


def test_flag_beats_env(iso: Iso) -> None:
    d = resolve(SPEC, flag=True, environ={"LUMOGON_DISABLE_ANALYTICS": "1"})
    assert d.decided_by.source == "flag"


def test_app_env_beats_do_not_track(iso: Iso) -> None:
    d = resolve(SPEC, environ={"LUMOGON_DISABLE_ANALYTICS": "1", "DO_NOT_TRACK": "1"})
    assert d.decided_by.origin["name"] == "LUMOGON_DISABLE_ANALYTICS"


def test_env_beats_config_enable(iso: Iso) -> None:
    enable_in_config(iso)
    d = resolve(SPEC, environ={"DO_NOT_TRACK": "1"})
    assert not d.enabled
    assert d.decided_by.source == "env"


def test_env_false_leaves_config_enable(iso: Iso) -> None:
    enable_in_config(iso)
    d = resolve(SPEC, environ={"DO_NOT_TRACK": "0", "LUMOGON_DISABLE_ANALYTICS": "false"})
    assert d.enabled


def test_config_disable_beats_notice_shown(iso: Iso) -> None:
    record_notice_shown(SPEC, iso.locs)
    record_choice(SPEC, iso.locs, enabled=False, via="test")
    d = resolve(SPEC, environ={})
    assert not d.enabled
    assert d.decided_by.source == "config"


def test_policy_beats_config_enable(iso: Iso) -> None:
    enable_in_config(iso)
    iso.write_policy("[telemetry]\nenabled = false\n")
    d = resolve(SPEC, environ={})
    assert not d.enabled
    assert d.decided_by.source == "policy"


def test_policy_that_allows_is_no_vote(iso: Iso) -> None:
    enable_in_config(iso)
    iso.write_policy("# fleet default\n[telemetry]\nenabled = true\n")
    assert resolve(SPEC, environ={}).enabled


@pytest.mark.parametrize(
    "policy",
    [b"garbage [[[", b"\xff\xfe\x00", b"[telemetry]\nenabled = 'no'\n", b"telemetry = 1\n"],
    ids=["garbage", "binary", "wrong-type", "not-a-table"],
)
def test_broken_policy_is_a_lock_and_warns(iso: Iso, policy: bytes) -> None:
    enable_in_config(iso)
    iso.write_policy(policy)
    d = resolve(SPEC, environ={})
    assert not d.enabled
    assert d.decided_by.source == "policy"
    assert any(str(iso.policy) in w for w in d.warnings)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_policy_is_a_lock(iso: Iso) -> None:
    iso.write_policy("[telemetry]\nenabled = true\n").chmod(0)
    d = resolve(SPEC, environ={})
    assert d.decided_by.source == "policy"


def test_policy_in_second_xdg_config_dir(
    iso: Iso, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    second = tmp_path / "etc2"
    (second / "lumogon").mkdir(parents=True)
    (second / "lumogon" / "telemetry.toml").write_text("[telemetry]\nenabled = false\n")
    enable_in_config(iso)
    monkeypatch.setenv("XDG_CONFIG_DIRS", f"{iso.root / 'etc'}{os.pathsep}{second}")
    d = resolve(SPEC, environ={})
    assert d.decided_by.source == "policy"
    assert d.decided_by.origin["path"] == str(second / "lumogon" / "telemetry.toml")


CORRUPT = {
    "garbage": b"this is [[ not toml",
    "empty-key": b"[telemetry]\nenabled =\n",
    "binary": bytes(range(256)),
    "truncated": b'[telemetry]\nenabled = true\nnotice_version = "ab',
    "wrong-type": b'[telemetry]\nenabled = "yes"\n',
    "not-a-table": b"telemetry = true\n",
}


@pytest.mark.parametrize("data", CORRUPT.values(), ids=CORRUPT.keys())
def test_corrupt_config_is_error_and_disabled(iso: Iso, data: bytes) -> None:
    record_notice_shown(SPEC, iso.locs)  # would enable, were the file readable
    iso.write_config(data)
    d = resolve(SPEC, environ={})
    assert not d.enabled
    assert d.decided_by.source == "error"
    assert str(iso.config) in d.decided_by.detail
    assert d.warnings


def test_empty_config_is_no_decision(iso: Iso) -> None:
    iso.write_config(b"")
    d = resolve(SPEC, environ={})
    assert d.decided_by.source == "notice"
    assert not d.warnings


def test_fifo_instead_of_config_never_blocks(iso: Iso) -> None:
    iso.config.parent.mkdir(parents=True)
    os.mkfifo(iso.config)
    d = resolve(SPEC, environ={})
    assert d.decided_by.source == "error"
    assert "not a regular file" in d.decided_by.detail


def test_directory_instead_of_config(iso: Iso) -> None:
    iso.config.mkdir(parents=True)
    d = resolve(SPEC, environ={})
    assert not d.enabled
    assert d.decided_by.source == "error"
    assert "directory" in d.decided_by.detail


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads files whatever their mode")
def test_unreadable_config(iso: Iso) -> None:
    enable_in_config(iso)
    iso.config.chmod(0)
    d = resolve(SPEC, environ={})
    assert d.decided_by.source == "error"


def test_stale_consent_awaits_new_notice(iso: Iso) -> None:
    iso.write_config('[telemetry]\nenabled = true\nnotice_version = "0000000000"\n')
    d = resolve(SPEC, environ={})
    assert not d.enabled
    assert d.decided_by.source == "notice"
    assert (
        f"consent given for notice 0000000000, current is {SPEC.notice_version}"
        in d.decided_by.detail
    )


def test_hand_written_enable_without_version_is_not_consent(iso: Iso) -> None:
    iso.write_config("[telemetry]\nenabled = true\n")
    d = resolve(SPEC, environ={})
    assert not d.enabled
    assert any("without a notice version" in w for w in d.warnings)


def test_recorded_disable_holds_across_versions(iso: Iso) -> None:
    iso.write_config(
        '[telemetry]\nenabled = false\nnotice_version = "0000000000"\n'
        f'notice_shown_version = "{SPEC.notice_version}"\n'
    )
    d = resolve(SPEC, environ={})
    assert not d.enabled
    assert d.decided_by.source == "config"


def test_resolving_creates_nothing(iso: Iso) -> None:
    before = iso.tree()
    for environ in ({}, {"DO_NOT_TRACK": "1"}, {"LUMOGON_DISABLE_ANALYTICS": "maybe"}):
        resolve(SPEC, environ=environ)
        resolve(SPEC, environ=environ, full=False)
    assert iso.tree() == before


def test_fast_path_skips_files_once_env_disables(iso: Iso) -> None:
    iso.write_config(b"garbage [[[")
    d = resolve(SPEC, environ={"DO_NOT_TRACK": "1"}, full=False)
    assert not d.enabled
    assert d.decided_by.source == "env"
    config = next(v for v in d.trace if v.source == "config")
    assert config.detail.startswith("not consulted")


ESCAPES = "\x1b]0;pwned\x07\x1b[2J\r"


@pytest.mark.parametrize(
    "table",
    [
        f'enabled = false\ndecided_via = "{ESCAPES!s}"\ndecided_at = "{ESCAPES!s}"',
        f'enabled = true\nnotice_version = "{ESCAPES!s}"',
        f'notice_shown_version = "{SPEC.notice_version}"\nnotice_shown_at = "{ESCAPES!s}"',
    ],
    ids=["decision", "stale-version", "notice-shown-at"],
)
def test_strings_from_the_config_cannot_drive_the_terminal(iso: Iso, table: str) -> None:
    """A config from someone else's dotfiles must not put escape sequences on the screen."""
    iso.write_config(
        f"[telemetry]\n{table}\n".replace("\x1b", "\\u001b")
        .replace("\x07", "\\u0007")
        .replace("\r", "\\r")
    )
    d = resolve(SPEC, environ={})
    texts = [d.decided_by.detail, *(v.detail for v in d.trace), *d.warnings]
    assert all(ch.isprintable() for text in texts for ch in text), texts
    assert "\\x1b" in " ".join(texts)  # shown escaped, not dropped
