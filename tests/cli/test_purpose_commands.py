"""The CLI of issue 14 in subprocesses: `enable`/`disable [PURPOSE...]`, `local`, status per
purpose, the policy's single-purpose lock, old single-key configs, receipts of purposes changed."""

from __future__ import annotations

import json

from consent._store.receipts import read
from lumogon import SPEC
from tests.helpers import Iso, run_lumogon


def status(iso: Iso, *args: str, env: dict[str, str] | None = None) -> dict[str, object]:
    proc = run_lumogon(iso, *args, "telemetry", "status", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, object] = json.loads(proc.stdout)
    return data


def purposes(data: dict[str, object]) -> dict[str, dict[str, object]]:
    p = data["purposes"]
    assert isinstance(p, dict)
    return p


def test_a_policy_locking_usage_wins_over_the_persons_enable_and_is_named(iso: Iso) -> None:
    assert run_lumogon(iso, "telemetry", "enable", "usage").returncode == 0
    iso.write_policy('[telemetry]\ndisabled_purposes = ["usage"]\n')
    data = status(iso)
    usage = purposes(data)["usage"]
    assert usage["enabled"] is False
    assert usage["decided_by"] == {
        "source": "policy",
        "detail": f"{iso.policy}: telemetry.disabled_purposes includes 'usage' (admin lock)",
        "path": str(iso.policy),
        "key": "telemetry.disabled_purposes",
    }
    text = run_lumogon(iso, "telemetry", "status").stdout
    assert f"usage           disabled  policy: {iso.policy}" in text
    # Nothing is sent for usage: the run hands nothing to a sender.
    assert run_lumogon(iso, "version").returncode == 0
    assert not iso.locs.log_file.exists()
    # Enabling the locked purpose again is refused, naming the file; nothing is recorded.
    before = iso.config.read_bytes()
    proc = run_lumogon(iso, "telemetry", "enable", "usage")
    assert proc.returncode == 1
    assert str(iso.policy) in proc.stderr and "disabled_purposes" in proc.stderr
    assert iso.config.read_bytes() == before


def test_enable_without_names_under_a_purpose_lock_records_and_says_what_stays_off(
    iso: Iso,
) -> None:
    iso.write_policy('[telemetry]\ndisabled_purposes = ["usage"]\n')
    proc = run_lumogon(iso, "telemetry", "enable")
    assert proc.returncode == 0, proc.stderr
    assert "usage: still disabled by policy" in proc.stderr
    p = purposes(status(iso))
    assert p["usage"]["enabled"] is False and p["service-health"]["enabled"] is True


def test_an_unknown_purpose_is_a_usage_error_naming_the_purposes(iso: Iso) -> None:
    for command in ("enable", "disable"):
        proc = run_lumogon(iso, "telemetry", command, "marketing")
        assert proc.returncode == 2
        assert "usage, service-health" in proc.stderr
    assert not iso.config.exists()


def test_disable_one_purpose_then_the_other(iso: Iso) -> None:
    assert run_lumogon(iso, "telemetry", "enable").returncode == 0
    proc = run_lumogon(iso, "telemetry", "disable", "usage")
    assert proc.returncode == 0, proc.stderr
    assert "Telemetry disabled for usage" in proc.stdout
    p = purposes(status(iso))
    assert p["usage"]["enabled"] is False and p["usage"]["decided_by"]["source"] == "config"
    assert p["usage"]["decided_by"]["key"] == "telemetry.disabled_purposes"
    assert p["service-health"]["enabled"] is True
    proc = run_lumogon(iso, "telemetry", "disable", "service-health")
    assert proc.returncode == 0
    assert "Telemetry disabled (recorded" in proc.stdout  # every purpose is off now
    data = status(iso)
    assert data["enabled"] is False
    assert "enabled = false" in iso.config.read_text()
    assert "disabled_purposes" not in iso.config.read_text()


def test_enable_one_purpose_adds_to_what_is_enabled(iso: Iso) -> None:
    assert run_lumogon(iso, "telemetry", "enable", "usage").returncode == 0
    assert run_lumogon(iso, "telemetry", "enable", "service-health").returncode == 0
    p = purposes(status(iso))
    assert p["usage"]["enabled"] is True and p["service-health"]["enabled"] is True
    assert "enabled_purposes" not in iso.config.read_text()  # every purpose: the single key


def test_an_old_config_with_a_single_enabled_key_decides_every_purpose(iso: Iso) -> None:
    version = SPEC.notice_version
    iso.write_config(f'[telemetry]\nenabled = true\nnotice_version = "{version}"\n')
    data = status(iso)
    assert data["enabled"] is True
    for p in purposes(data).values():
        assert p["enabled"] is True and p["decided_by"]["key"] == "telemetry.enabled"
    iso.write_config(f'[telemetry]\nenabled = false\nnotice_version = "{version}"\n')
    for p in purposes(status(iso)).values():
        assert p["enabled"] is False and p["decided_by"]["source"] == "config"


def test_the_flag_and_the_env_vars_disable_every_purpose(iso: Iso) -> None:
    assert run_lumogon(iso, "telemetry", "enable").returncode == 0
    for p in purposes(status(iso, "--disable-analytics")).values():
        assert p["enabled"] is False and p["decided_by"]["source"] == "flag"
    for env in ({"DO_NOT_TRACK": "1"}, {"LUMOGON_DISABLE_ANALYTICS": "yes"}):
        for p in purposes(status(iso, env=env)).values():
            assert p["enabled"] is False and p["decided_by"]["source"] == "env"


def test_status_json_keeps_its_fields_and_documents_schema_7(iso: Iso) -> None:
    data = status(iso)
    # 4 added managed, endpoint, project_path; 5 the packager's defaults; 6 ci; 7 each
    # purpose's verdict (each additive)
    assert data["schema"] == 7
    assert {p["verdict"] for p in purposes(data).values()} == {"drop"}
    for key in (
        "app", "enabled", "decided_by", "sources", "mode", "notice_version", "pending",
        "config_path", "policy_paths", "client_id", "warnings", "latest_receipt",
    ):  # fmt: skip
        assert key in data
    assert set(purposes(data)) == {"usage", "service-health"}
    assert data["local"] == {"active": False, "decided_by": None}
    assert data["managed"] == [] and data["endpoint"] is None and data["project_path"] is None
    assert data["packager_defaults"] == [] and data["mode"] == data["app_mode"] == "opt-out"
    assert str(data["packager_path"]).endswith("/share/lumogon/telemetry-defaults.toml")


def test_local_then_enable_then_local_then_disable(iso: Iso) -> None:
    proc = run_lumogon(iso, "telemetry", "local")
    assert proc.returncode == 0, proc.stderr
    data = status(iso)
    assert data["enabled"] is False and data["local"]["active"] is True  # type: ignore[index]
    assert all(p["local"] is True for p in purposes(data).values())
    assert "local: nothing leaves this machine" in run_lumogon(iso, "telemetry", "status").stdout
    assert run_lumogon(iso, "telemetry", "enable").returncode == 0
    assert status(iso)["local"] == {"active": False, "decided_by": None}
    assert run_lumogon(iso, "telemetry", "local").returncode == 0
    assert run_lumogon(iso, "telemetry", "disable").returncode == 0
    data = status(iso)
    assert data["local"] == {"active": False, "decided_by": None} and data["enabled"] is False


def test_local_under_an_admin_lock_is_refused(iso: Iso) -> None:
    iso.write_policy("[telemetry]\nenabled = false\n")
    proc = run_lumogon(iso, "telemetry", "local")
    assert proc.returncode == 1 and str(iso.policy) in proc.stderr


def test_receipts_record_the_purposes_changed(iso: Iso) -> None:
    assert run_lumogon(iso, "telemetry", "enable", "usage").returncode == 0
    assert run_lumogon(iso, "telemetry", "local").returncode == 0
    first, second = (json.loads(line) for line in read(iso.locs.receipts_path))
    assert first["purposes_changed"] == ["usage"] and first["action"] == "given"
    assert {p["name"]: p["changed"] for p in first["purposes"]} == {
        "usage": True,
        "service-health": False,
    }
    assert second["action"] == "local" and second["state"] == "local only"
    assert second["purposes_changed"] == ["usage", "service-health"]
    assert run_lumogon(iso, "telemetry", "receipts", "--verify").returncode == 0


def test_show_payload_says_per_request_whether_its_purpose_would_send(iso: Iso) -> None:
    assert run_lumogon(iso, "telemetry", "enable", "usage").returncode == 0
    proc = run_lumogon(iso, "telemetry", "show-payload", "--json")
    assert proc.returncode == 0, proc.stderr
    sent = {r["event"]: r["would_send_now"] for r in json.loads(proc.stdout)}
    assert sent == {"screenview": True, "upload": False}
    assert "except upload: its purpose service-health is disabled" in proc.stderr
    assert not iso.home.keyring_file.exists()  # show-payload creates no id
