"""Ownership and the sender's own start, with real users (issue 12, classes 5 and 9).

As root the tests play both parts of `sudo lumogon telemetry enable` with the user's HOME: root
writes, then the user (uid 65534, through setpriv) must still own everything and be able to
`disable`. A sender that cannot be started (the user's process limit reached) is logged as such;
a module shadowing a stdlib name beside consent does not break the sender.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from consent._store.log import entries
from consent.testing.collector import Collector
from lumogon import SPEC
from tests.e2e.faults import hand_written

USER = 65534
pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None,
    reason="needs root and setpriv to act as two users",
)
AS_USER = ["setpriv", f"--reuid={USER}", f"--regid={USER}", "--clear-groups"]


@pytest.fixture
def user_home() -> Iterator[dict[str, str]]:
    """A home owned by the user, in a directory every user can reach (not root's 0700 tmp)."""
    base = Path(tempfile.mkdtemp(prefix="consent-users-", dir="/tmp"))
    try:
        base.chmod(0o755)
        home = base / "home"
        home.mkdir()
        os.chown(home, USER, USER)
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("XDG_", "LUMOGON_", "PYTHON_KEYRING", "CONSENT_"))
            and k not in ("DO_NOT_TRACK", "CI")
        }
        env.update(
            HOME=str(home),
            XDG_CONFIG_DIRS=str(base / "etc"),
            PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
        )
        yield env
    finally:
        shutil.rmtree(base, ignore_errors=True)


def lumogon(
    env: dict[str, str], *args: str, prefix: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*prefix, sys.executable, "-m", "lumogon", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def owners(root: Path) -> dict[str, tuple[int, int]]:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        for name in [*dirnames, *filenames]:
            st = os.lstat(os.path.join(dirpath, name))
            out[os.path.relpath(os.path.join(dirpath, name), root)] = (st.st_uid, st.st_gid)
    return out


def test_root_writes_keep_the_users_ownership_and_the_user_can_disable(
    user_home: dict[str, str],
) -> None:
    home = Path(user_home["HOME"])
    enabled = lumogon(user_home, "telemetry", "enable")  # as root: `sudo` with the user's HOME
    assert enabled.returncode == 0, enabled.stderr
    made = owners(home)
    assert made, "enable wrote nothing"
    assert {k: v for k, v in made.items() if v != (USER, USER)} == {}
    with Collector() as collector:  # `sudo lumogon version`: the id, the log, their dirs
        env = {**user_home, SPEC.endpoint_env: collector.url}
        host = lumogon(env, "version")
        assert host.returncode == 0, host.stderr
        assert len(collector.wait_for(1, timeout=30)) == 1
        log = home / ".local" / "state" / "lumogon" / "telemetry-log.jsonl"
        wait_for_outcome(log)
    assert {k: v for k, v in owners(home).items() if v != (USER, USER)} == {}
    disabled = lumogon(user_home, "telemetry", "disable", prefix=tuple(AS_USER))
    assert disabled.returncode == 0, disabled.stderr
    assert b"enabled = false" in (home / ".config" / "lumogon" / "config.toml").read_bytes()
    assert not (home / ".local" / "share" / "lumogon" / "client-id").exists()
    assert {k: v for k, v in owners(home).items() if v != (USER, USER)} == {}


def wait_for_outcome(log: Path) -> None:
    deadline = time.monotonic() + 30
    while not all("outcome_at" in e for e in entries(log)) or not entries(log):
        assert time.monotonic() < deadline, "the sender never logged its outcome"
        time.sleep(0.02)


def test_a_root_owned_lock_file_does_not_stop_the_users_disable(user_home: dict[str, str]) -> None:
    home = Path(user_home["HOME"])
    config = home / ".config" / "lumogon" / "config.toml"
    config.parent.mkdir(parents=True)
    shutil.chown(home / ".config", USER, USER)
    shutil.chown(config.parent, USER, USER)
    config.write_bytes(hand_written(True))
    shutil.chown(config, USER, USER)
    lock = config.parent / ".config.toml.lock"
    lock.write_bytes(b"")
    lock.chmod(0o600)  # left by an older version run with sudo: root's, unreadable to the user
    disabled = lumogon(user_home, "telemetry", "disable", prefix=tuple(AS_USER))
    assert disabled.returncode == 0, disabled.stderr
    assert b"enabled = false" in config.read_bytes()
    assert os.stat(config).st_uid == USER


def test_a_sender_that_cannot_start_is_logged(user_home: dict[str, str]) -> None:
    """One process allowed for the user: the host runs, its sender cannot be forked."""
    home = Path(user_home["HOME"])
    with Collector() as collector:
        env = {**user_home, SPEC.endpoint_env: collector.url}
        assert lumogon(env, "telemetry", "enable", prefix=tuple(AS_USER)).returncode == 0
        host = lumogon(env, "version", prefix=("prlimit", "--nproc=1:1", *AS_USER))
        assert host.returncode == 0 and host.stdout == "lumogon 0.1.0\n", host.stderr
        assert host.stderr == ""
        log = home / ".local" / "state" / "lumogon" / "telemetry-log.jsonl"
        (item,) = entries(log)
        assert item["outcome"].startswith("failed: the sender could not be started"), item
        assert item["event"] == "screenview"
        assert collector.hits() == []


def test_a_module_shadowing_the_stdlib_beside_consent_does_not_break_the_sender(
    user_home: dict[str, str], tmp_path: Path
) -> None:
    """consent installed in a directory that also holds a `socket.py` (as site-packages may):
    the sender takes the standard library's socket, sends, and logs the outcome."""
    site = tmp_path / "site"
    root = Path(__file__).resolve().parents[2]
    shutil.copytree(root / "consent", site / "consent")
    shutil.copytree(root / "lumogon" / "src" / "lumogon", site / "lumogon")
    (site / "socket.py").write_text("raise ImportError('a shadowing socket module')\n")
    import typer

    deps = str(Path(typer.__file__).parent.parent)  # typer, click, keyring… where pip put them
    run_host = (
        "import sys; sys.path[:] = [p for p in sys.path if p and 'site-packages' not in p]"
        f"; sys.path += [{deps!r}, {str(site)!r}]"
        "; sys.argv[0] = 'lumogon'; from lumogon.cli import main; main()"
    )
    home = Path(user_home["HOME"])
    with Collector() as collector:
        env = {**user_home, SPEC.endpoint_env: collector.url, "PYTHONNOUSERSITE": "1"}
        assert lumogon(env, "telemetry", "enable").returncode == 0
        host = subprocess.run(
            [sys.executable, "-S", "-c", run_host, "version"],
            env=env, capture_output=True, text=True, timeout=60, check=False, cwd=tmp_path,
        )  # fmt: skip
        assert host.returncode == 0 and host.stdout == "lumogon 0.1.0\n", host.stderr
        assert len(collector.wait_for(1, timeout=30)) == 1
    log = home / ".local" / "state" / "lumogon" / "telemetry-log.jsonl"
    outcomes = [json.loads(line).get("outcome") for line in log.read_text().splitlines()]
    assert str(outcomes[-1]).startswith("sent: HTTP 2"), outcomes
