"""`lumogon telemetry status | enable | disable | reset` as a person and a script use them."""

from __future__ import annotations

import json

import pytest

from lumogon import SPEC, VERSION
from tests.helpers import Iso, run_lumogon, run_unprivileged


def status_json(iso: Iso, *args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    proc = run_lumogon(iso, *args, "telemetry", "status", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, object] = json.loads(proc.stdout)
    return data


def test_version_command_and_option(iso: Iso) -> None:
    for args in (["version"], ["--version"]):
        proc = run_lumogon(iso, *args)
        assert proc.returncode == 0
        assert proc.stdout == f"lumogon {VERSION}\n"


@pytest.mark.parametrize("name", ["LUMOGON_DISABLE_ANALYTICS", "DO_NOT_TRACK"])
def test_env_var_decides_with_its_value(iso: Iso, name: str) -> None:
    data = status_json(iso, env={name: "1"})
    assert data["enabled"] is False
    assert data["decided_by"] == {
        "source": "env",
        "detail": f"{name}='1'",
        "name": name,
        "value": "1",
    }


def test_flag_is_reported(iso: Iso) -> None:
    data = status_json(iso, "--disable-analytics")
    assert data["decided_by"]["source"] == "flag"  # type: ignore[index]


def test_json_schema_fields(iso: Iso) -> None:
    data = status_json(iso)
    assert set(data) >= {
        "enabled",
        "decided_by",
        "sources",
        "config_path",
        "policy_paths",
        "notice_version",
        "warnings",
        "client_id",
        "mode",
        "pending",
    }
    assert [s["source"] for s in data["sources"]] == [
        "policy",  # the OS's fixed location, which no variable removes
        "policy",  # the one XDG_CONFIG_DIRS adds
        "flag",
        "env",
        "env",
        "project",
        "config",
        "packager",
        "default",
    ]  # type: ignore[index, union-attr]
    assert data["config_path"] == str(iso.config)
    assert data["policy_paths"] == ["/etc/xdg/lumogon/telemetry.toml", str(iso.policy)]
    assert data["notice_version"] == SPEC.notice_version


def test_status_text_names_the_decider_first(iso: Iso) -> None:
    proc = run_lumogon(iso, "telemetry", "status", env={"DO_NOT_TRACK": "yes"})
    lines = proc.stdout.splitlines()
    assert lines[0] == "Telemetry for lumogon is disabled."
    assert lines[1] == "decided by: env: DO_NOT_TRACK='yes'"
    assert str(iso.config) in proc.stdout and str(iso.policy) in proc.stdout


def test_enable_then_status_reports_config(iso: Iso) -> None:
    proc = run_lumogon(iso, "telemetry", "enable")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("Telemetry enabled")
    data = status_json(iso)
    assert data["enabled"] is True
    assert data["decided_by"]["source"] == "config"  # type: ignore[index]
    assert data["decided_by"]["path"] == str(iso.config)  # type: ignore[index]


@pytest.mark.parametrize("name", ["LUMOGON_DISABLE_ANALYTICS", "DO_NOT_TRACK"])
def test_enable_under_env_names_the_variable(iso: Iso, name: str) -> None:
    proc = run_lumogon(iso, "telemetry", "enable", env={name: "1"})
    assert proc.returncode == 0
    assert "Telemetry enabled" not in proc.stdout
    assert "stays disabled" in proc.stdout
    assert name in proc.stderr


def test_enable_under_admin_lock_is_refused(iso: Iso) -> None:
    iso.write_policy("[telemetry]\nenabled = false\n")
    proc = run_lumogon(iso, "telemetry", "enable")
    assert proc.returncode == 1
    assert str(iso.policy) in proc.stderr
    assert not iso.config.exists()
    assert "Traceback" not in proc.stderr


def test_garbage_config_status_disable_and_backup(iso: Iso) -> None:
    garbage = b"\x00\x01 this is not [[ toml \xff"
    iso.write_config(garbage)
    data = status_json(iso)
    assert data["enabled"] is False
    assert data["decided_by"]["source"] == "error"  # type: ignore[index]
    assert data["warnings"]
    proc = run_lumogon(iso, "telemetry", "disable")
    assert proc.returncode == 0, proc.stderr
    backups = list(iso.config.parent.glob("config.toml.bak-*"))
    assert len(backups) == 1 and backups[0].read_bytes() == garbage
    assert str(backups[0]) in proc.stderr
    assert status_json(iso)["decided_by"]["source"] == "config"  # type: ignore[index]


def test_directory_config_status_and_refusal(iso: Iso) -> None:
    iso.config.mkdir(parents=True)
    data = status_json(iso)
    assert data["enabled"] is False and "directory" in data["decided_by"]["detail"]  # type: ignore[index, operator]
    for command in ("enable", "disable"):
        proc = run_lumogon(iso, "telemetry", command)
        assert proc.returncode == 1
        assert str(iso.config) in proc.stderr and "Traceback" not in proc.stderr
        assert "LUMOGON_DISABLE_ANALYTICS=1" in proc.stderr or command == "enable"
    assert iso.config.is_dir()


def test_telemetry_commands_create_nothing_when_reading(iso: Iso) -> None:
    before = iso.tree()
    run_lumogon(iso, "telemetry", "status")
    run_lumogon(iso, "telemetry", "status", "--json")
    assert iso.tree() == before


def test_unknown_env_value_warns_in_status(iso: Iso) -> None:
    data = status_json(iso, env={"LUMOGON_DISABLE_ANALYTICS": "sometimes"})
    assert data["enabled"] is False
    assert any("not understood" in w for w in data["warnings"])  # type: ignore[union-attr]


def test_unreadable_config_status_and_disable(unprivileged: Iso) -> None:
    iso = unprivileged
    iso.write_config("# mine\n[telemetry]\nenabled = true\n")
    iso.config.chmod(0)
    proc = run_unprivileged(iso, "telemetry", "status", "--json")
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert data["enabled"] is False
    assert data["decided_by"]["source"] == "error"
    assert "cannot be read" in data["decided_by"]["detail"]
    proc = run_unprivileged(iso, "telemetry", "disable")
    assert proc.returncode == 0, proc.stderr
    backups = list(iso.config.parent.glob("config.toml.bak-*"))
    assert len(backups) == 1
    backups[0].chmod(0o600)
    assert backups[0].read_text() == "# mine\n[telemetry]\nenabled = true\n"
    assert str(backups[0]) in proc.stderr


def test_unreadable_policy_locks(unprivileged: Iso) -> None:
    iso = unprivileged
    iso.write_policy("[telemetry]\nenabled = true\n").chmod(0)
    proc = run_unprivileged(iso, "telemetry", "status", "--json")
    data = json.loads(proc.stdout)
    assert data["decided_by"]["source"] == "policy"
    assert any("cannot be read" in w for w in data["warnings"])
    assert run_unprivileged(iso, "telemetry", "enable").returncode == 1


def test_read_only_config_dir_disable_says_what_to_do(unprivileged: Iso) -> None:
    iso = unprivileged
    iso.write_config("# mine\n[other]\nx = 1\n")
    iso.config.parent.chmod(0o500)
    try:
        proc = run_unprivileged(iso, "telemetry", "disable")
    finally:
        iso.config.parent.chmod(0o700)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert "LUMOGON_DISABLE_ANALYTICS=1" in proc.stderr
    assert iso.config.read_text() == "# mine\n[other]\nx = 1\n"


def test_help_and_completion_list_the_lazy_telemetry_group(iso: Iso) -> None:
    assert "telemetry" in run_lumogon(iso, "--help").stdout
    env = {
        "COMP_WORDS": "lumogon telemetry s",
        "COMP_CWORD": "2",
        "_LUMOGON_COMPLETE": "complete_bash",
    }
    proc = run_lumogon(iso, env=env)
    assert proc.stdout.split() == ["status", "show-payload"]
