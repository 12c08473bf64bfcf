"""Tests written against mutants that survived (issue 12, class 11; scripts/mutate.py).

Each pins one thing a mutant changed without any test noticing: an admin lock defeated by a
policy nested too deeply, an unrecognised debug value sending instead of printing, a trace vote
flipped, the sender no longer detached into its own session, a new file with the wrong mode.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from consent.core.envgrammar import read_value
from consent.core.records import policy_locks
from consent.core.rules import decide
from consent.notice.status import Extras, status_json
from consent.store.configwrite import update_telemetry
from consent.store.paths import Locations
from consent.store.sources import gather, read_policies, recheck, resolve
from lumogon import SPEC


def locs_in(root: Path) -> Locations:
    return Locations(
        str(root / "config.toml"), (str(root / "policy.toml"),), str(root / "id"), str(root / "log")
    )


def enabled_config(root: Path) -> None:
    (root / "config.toml").write_text(
        f'[telemetry]\nenabled = true\nnotice_version = "{SPEC.notice_version}"\n'
    )


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


@pytest.mark.parametrize(
    ("doc", "locks", "names"),
    [
        ({}, False, ""),
        ({"telemetry": {}}, False, ""),
        ({"telemetry": {"enabled": True}}, False, ""),
        ({"telemetry": {"enabled": False}}, True, ""),
        ({"telemetry": {"disabled": True}}, True, "'telemetry.disabled'"),
        ({"Telemetry": {"enabled": False}}, True, "'Telemetry'"),
        ({"telemetry": {"Enabled": False}}, True, "'telemetry.Enabled'"),
        ({"enabled": False}, True, "'enabled' outside"),
        ({"telemetry": 1}, True, "must be a table"),
        ({"telemetry": {"enabled": "no"}}, True, "must be true or false"),
    ],
)
def test_policy_locks_exactly(doc: dict[str, object], locks: bool, names: str) -> None:
    got, problem = policy_locks(doc)
    assert got is locks
    assert (names in problem) if names else problem == ""


@pytest.mark.parametrize(
    ("raw", "reading"),
    [
        (None, "unset"), ("", "unset"), ("  ", "unset"), ("0", "false"), (" Off ", "false"),
        ("no", "false"), ("false", "false"), ("1", "true"), ("YES", "true"), ("on", "true"),
        ("true", "true"), ("maybe", "unknown"), ("2", "unknown"),
    ],
)  # fmt: skip
def test_every_env_word(raw: str | None, reading: str) -> None:
    assert read_value(raw) == reading


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


@pytest.fixture
def enabled_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """os.environ pointed at fresh dirs holding an enabled config; the file keyring."""
    import keyring.core

    for name, value in {
        "XDG_CONFIG_HOME": tmp_path / "config", "XDG_DATA_HOME": tmp_path / "data",
        "XDG_STATE_HOME": tmp_path / "state", "XDG_CONFIG_DIRS": tmp_path / "etc",
        "CONSENT_TEST_KEYRING": tmp_path / "keyring.json",
    }.items():  # fmt: skip
        monkeypatch.setenv(name, str(value))
    for name in (SPEC.disable_env, "DO_NOT_TRACK", SPEC.debug_env, SPEC.endpoint_env):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "consent.testing.keyring.FileKeyring")
    keyring.core.init_backend()
    (tmp_path / "config" / SPEC.name).mkdir(parents=True)
    enabled_config(tmp_path / "config" / SPEC.name)
    yield tmp_path / "state" / SPEC.name / "telemetry-log.jsonl"
    monkeypatch.undo()
    keyring.core.init_backend()


@pytest.mark.parametrize("value", ["maybe", "1", "TRUE"])
def test_a_true_or_unrecognised_debug_value_prints_and_never_sends(
    enabled_home: Path, capfd: pytest.CaptureFixture[str], value: str
) -> None:
    from consent.store.log import entries
    from consent.testing.collector import Collector
    from consent.wire import gate

    with Collector() as collector:
        environ = {SPEC.debug_env: value, SPEC.endpoint_env: collector.url}
        result = gate.submit(SPEC, "screenview", command="version", environ=environ)
        assert result.outcome == "printed", result
        assert collector.hits() == []
    err = capfd.readouterr().err
    assert "POST " in err and SPEC.debug_env in err
    (item,) = entries(enabled_home)
    assert item["outcome"] == "printed, not sent"


@pytest.mark.parametrize("value", ["0", "", "off"])
def test_a_false_debug_value_sends(enabled_home: Path, value: str) -> None:
    from consent.store.log import entries
    from consent.testing.collector import Collector
    from consent.wire import gate

    with Collector() as collector:
        environ = {SPEC.debug_env: value, SPEC.endpoint_env: collector.url}
        result = gate.submit(SPEC, "screenview", command="version", environ=environ)
        assert result.outcome == "handed", result
        assert result.detail.startswith(collector.url.rstrip("/"))
        (hit,) = collector.wait_for(1, timeout=30)
    deadline = time.monotonic() + 30
    while "outcome_at" not in entries(enabled_home)[0] and time.monotonic() < deadline:
        time.sleep(0.02)
    first = json.loads(enabled_home.read_bytes().splitlines()[0])
    assert first["outcome"] == "handed to sender" and first["event"] == "screenview"
    assert len(first["id"]) == 32 and int(first["id"], 16) >= 0  # a UUID4 without dashes
    assert first["time"].endswith("Z") and first["url"] == result.detail
    (item,) = entries(enabled_home)
    assert item["event"] == "screenview" and item["url"] == result.detail
    assert item["hit"]["cid"] == gate.ID_IN_LOG and item["hit"]["cd"] == "version"
    assert item["outcome"].startswith("sent: HTTP 2")
    assert "client_id" not in item  # the log never holds the id (see `disable`)
    assert "cid=" in hit.raw_request.decode("latin-1")
    assert gate.ID_IN_LOG not in hit.raw_request.decode("latin-1")


def test_a_refused_endpoint_is_logged_and_said(
    enabled_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from consent.store.log import entries
    from consent.wire import gate

    environ = {SPEC.endpoint_env: "http://10.1.2.3"}
    result = gate.submit(SPEC, "screenview", command="version", environ=environ)
    assert result.outcome == "refused" and SPEC.endpoint_env in result.detail
    assert capfd.readouterr().err.endswith("; nothing was sent\n")
    (item,) = entries(enabled_home)
    assert item["outcome"].startswith(f"refused: {SPEC.endpoint_env}")
    assert item["event"] == "screenview"


def test_disabled_submits_nothing_and_names_the_source(enabled_home: Path) -> None:
    from consent.core import runs
    from consent.wire import gate

    result = gate.submit(SPEC, "screenview", environ={"DO_NOT_TRACK": "1"})
    assert result.outcome == "disabled" and result.detail == "DO_NOT_TRACK='1'"
    assert not enabled_home.exists()
    decision = resolve(SPEC, environ={})
    runs.start_run(SPEC, decision)
    assert runs.run_decision(SPEC) is decision


def test_new_uuid4_is_a_random_version_4_uuid() -> None:
    import uuid

    from consent.wire.gate import new_uuid4

    seen = set()
    for _ in range(200):
        text = new_uuid4()
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        seen.add(text)
    assert len(seen) == 200


def test_the_sender_runs_in_its_own_session(tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("finds the sender through /proc")
    from consent.testing.collector import Collector
    from consent.wire.gate import spawn_sender
    from consent.wire.job import Job

    with Collector(behaviour="blackhole") as collector:
        port = int(collector.url.rsplit(":", 1)[1].split("/")[0])
        marker = f"session-{os.getpid()}-{time.monotonic_ns()}"
        job = Job(
            host="127.0.0.1", port=port, tls=False, raw=b"GET / HTTP/1.0\r\n\r\n",
            log=str(tmp_path / "log"), id=marker, id_placeholder="", keyring_service="x",
            id_file=str(tmp_path / "id"), app="lumogon", mode="opt-out",
            notice_version="nope", disable_env="X_DISABLE", config_path=str(tmp_path / "c"),
            policy_paths=(), timeout=30.0,
        )  # fmt: skip
        spawn_sender(job)
        pid = None
        deadline = time.monotonic() + 30
        while pid is None and time.monotonic() < deadline:
            pid = next(iter(sender_children()), None)
            time.sleep(0.02)
        assert pid is not None, "the sender never started"
        try:
            assert os.getsid(pid) == pid != os.getsid(0)  # its own session, led by itself
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def sender_children() -> list[int]:
    """Live children of this process running the sender's bootstrap (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z" and b"consent.wire.sender" in cmd:
            found.append(int(entry.name))
    return found


@pytest.mark.parametrize(("existing", "mode"), [(None, 0o644), (0o600, 0o600), (0o640, 0o640)])
def test_config_writes_keep_or_set_the_mode(
    tmp_path: Path, existing: int | None, mode: int
) -> None:
    path = tmp_path / "config.toml"
    if existing is not None:
        path.write_text("# mine\n")
        path.chmod(existing)
    result = update_telemetry(path, {"enabled": False})
    assert stat.S_IMODE(path.stat().st_mode) == mode
    assert result.backup is None
    assert b"enabled = false" in path.read_bytes()


@pytest.mark.parametrize(
    "name",
    [
        "CI", "CONTINUOUS_INTEGRATION", "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI",
        "TRAVIS", "JENKINS_URL", "TEAMCITY_VERSION", "TF_BUILD", "BITBUCKET_BUILD_NUMBER",
        "CODEBUILD_BUILD_ID", "DRONE", "APPVEYOR", "BUILD_NUMBER",
    ],
)  # fmt: skip
def test_every_documented_ci_marker_is_read(name: str) -> None:
    from consent.core.envgrammar import ci_marker

    assert ci_marker({name: "1"}) == name
    assert ci_marker({name: "maybe"}) == name  # not a false word: counts
    assert ci_marker({name: "false"}) is None
    assert ci_marker({}) is None


def test_shown_quotes_escapes_and_cuts() -> None:
    from consent.core.envgrammar import shown

    assert shown(None) == "(unset)"
    assert shown("1") == "'1'"
    assert shown("a\x1b") == "'a\\x1b'"
    exact = "x" * 58  # repr adds two quotes: 60 characters, the limit, kept whole
    assert shown(exact) == repr(exact)
    assert shown(exact + "y") == "'" + "x" * 54 + "…' (cut)"
    assert len(shown("z" * 1000)) == 55 + len("…' (cut)")


@pytest.mark.parametrize(
    ("reading", "disables"),
    [("unset", False), ("false", False), ("true", True), ("unknown", True)],
)
def test_which_readings_disable(reading: str, disables: bool) -> None:
    from consent.core.envgrammar import EnvReading

    assert EnvReading("X", "v", reading).disables is disables


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
