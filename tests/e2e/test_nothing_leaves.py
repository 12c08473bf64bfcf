"""Nothing leaves the machine when disabled: zero connections, lookups and spawns.

Each case runs the real CLI in a subprocess under the consent_sockets audit hook
(a sitecustomize on PYTHONPATH), which records every socket, lookup and process
spawn. A positive control proves the hook sees a send when consent is enabled.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import pytest

from consent._store.choices import record_choice, record_notice_shown
from consent.testing.sockets import SocketWatch
from lumogon import SPEC
from tests.helpers import SENDER_TIMEOUT, Iso

ENDPOINT = "http://127.0.0.1:9"  # discard port: nothing is expected to get there anyway


def run(
    iso: Iso, watch: SocketWatch, *args: str, extra: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {**watch.env(iso.env), "LUMOGON_TELEMETRY_ENDPOINT": ENDPOINT, **(extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "lumogon", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def enabled(iso: Iso) -> None:
    record_choice(SPEC, iso.locs, enabled=True, via="test")


CASES: dict[str, tuple[Callable[[Iso], None], list[str], dict[str, str]]] = {
    "flag": (enabled, ["--disable-analytics"], {}),
    "env-app": (enabled, [], {"LUMOGON_DISABLE_ANALYTICS": "1"}),
    "env-dnt": (enabled, [], {"DO_NOT_TRACK": "1"}),
    "env-unknown": (enabled, [], {"DO_NOT_TRACK": "perhaps"}),
    "config": (lambda iso: record_choice(SPEC, iso.locs, enabled=False, via="test"), [], {}),
    "policy": (
        lambda iso: (enabled(iso), iso.write_policy("[telemetry]\nenabled = false\n")),
        [],
        {},
    ),
    "awaiting-notice": (lambda iso: None, [], {}),
    "corrupt-config": (lambda iso: iso.write_config(b"\x00garbage [["), [], {}),
    "stale-consent": (
        lambda iso: iso.write_config(
            '[telemetry]\nenabled = true\nnotice_version = "0000000000"\n'
        ),
        [],
        {},
    ),
}


@pytest.mark.parametrize("case", CASES, ids=CASES)
def test_disabled_means_zero_connections_and_spawns(
    iso: Iso, consent_sockets: SocketWatch, case: str
) -> None:
    setup, flags, env = CASES[case]
    setup(iso)
    proc = run(iso, consent_sockets, *flags, "version", extra=env)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "lumogon 0.1.0\n"
    consent_sockets.assert_no_sockets()
    assert not iso.locs.log_file.exists()  # nothing logged while disabled
    assert not iso.locs.id_file.exists()


def test_control_enabled_run_is_seen_by_the_hook(iso: Iso, consent_sockets: SocketWatch) -> None:
    enabled(iso)
    proc = run(iso, consent_sockets, "version")
    assert proc.returncode == 0, proc.stderr
    deadline = time.monotonic() + SENDER_TIMEOUT  # until the detached sender has connected
    while time.monotonic() < deadline and not any(
        e["event"] == "socket.connect" for e in consent_sockets.events()
    ):
        time.sleep(0.05)
    events = [e["event"] for e in consent_sockets.events()]
    assert {"os.posix_spawn", "subprocess.Popen"} & set(events)  # the sender was started
    assert "socket.connect" in events
    with pytest.raises(AssertionError, match=r"socket\.connect"):
        consent_sockets.assert_no_sockets()


@pytest.mark.parametrize(
    "args",
    [
        ["telemetry", "status"],
        ["telemetry", "show-payload", "version"],
        ["telemetry", "log"],
        ["--help"],
        ["version", "--help"],
    ],
)
def test_telemetry_commands_and_help_never_send(
    iso: Iso, consent_sockets: SocketWatch, args: list[str]
) -> None:
    record_notice_shown(SPEC, iso.locs)
    enabled(iso)
    proc = run(iso, consent_sockets, *args)
    assert proc.returncode == 0, proc.stderr
    consent_sockets.assert_no_sockets()
