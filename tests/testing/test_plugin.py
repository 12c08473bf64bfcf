"""The consent.testing pytest plugin: used by this suite, and by a host app's suite via pytester."""

from __future__ import annotations

import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import keyring
import pytest
import tomlkit

from consent import decide
from consent._wire.gate import submit
from consent.testing.collector import Collector
from consent.testing.home import Home, isolated_env
from consent.testing.sockets import SocketWatch
from lumogon import SPEC as LUMOGON
from tests.apps import acme
from tests.helpers import PROCESS_TIMEOUT, ROOT, SENDER_TIMEOUT


def test_isolated_env_drops_every_deciding_variable(tmp_path: Path) -> None:
    base = {
        "PATH": "/bin",
        "DO_NOT_TRACK": "1",
        "ACME_DISABLE_ANALYTICS": "1",
        "ZED_TELEMETRY_ENDPOINT": "http://127.0.0.1:1",
        "LUMOGON_TELEMETRY_DEBUG": "1",
        "GITHUB_ACTIONS": "true",
        "NO_COLOR": "1",
        "XDG_CONFIG_HOME": "/home/ada/.config",
    }
    env = isolated_env(tmp_path, base)
    assert env["PATH"] == "/bin"
    for name in set(base) - {"PATH", "XDG_CONFIG_HOME"}:
        assert name not in env
    assert env["XDG_CONFIG_HOME"] == str(tmp_path / "config")
    assert env["PYTHON_KEYRING_BACKEND"] == "consent.testing.keyring.FileKeyring"


def test_each_app_gets_its_own_files_under_the_root(consent_home: Home) -> None:
    mine, theirs = consent_home.locations(acme.SPEC), consent_home.locations(LUMOGON)
    for locs in (mine, theirs):
        # The OS's fixed policy location comes first and no variable moves it (docs/admin.md).
        system, *added = locs.policy_files
        assert system.parts[:3] == ("/", "etc", "xdg")
        for path in (locs.config_file, locs.id_file, locs.log_file, *added):
            assert consent_home.root in path.parents
    assert mine.config_file != theirs.config_file
    assert mine.policy_files[0].parent.name == "acme"


def test_an_app_built_with_a_system_root_reads_its_fixed_policy_there(consent_home: Home) -> None:
    spec = acme.SPEC.replace(system_root=str(consent_home.system_root))
    system = consent_home.write_system_policy(spec, "[telemetry]\nenabled = false\n")
    assert consent_home.locations(spec).policy_files[0] == system
    assert consent_home.root in system.parents
    with pytest.raises(ValueError, match="machine's own system policy"):
        consent_home.write_system_policy(acme.SPEC, "")


def test_keyring_in_process_is_the_test_file(consent_home: Home) -> None:
    keyring.set_password("acme-telemetry", "client-id", "x")
    assert consent_home.client_ids() == {"acme-telemetry/client-id": "x"}


def test_enable_then_a_real_hit_reaches_the_collector(
    consent_home: Home, consent_collector: Collector
) -> None:
    consent_home.enable(acme.SPEC)
    assert decide(acme.SPEC).enabled
    environ = {**consent_home.env, "ACME_TELEMETRY_ENDPOINT": consent_collector.url}
    assert (
        submit(
            acme.SPEC, "deployed", values={"outcome": "ok", "retries": 0}, environ=environ
        ).outcome
        == "handed"
    )
    (hit,) = consent_collector.wait_for(1, timeout=SENDER_TIMEOUT)
    assert hit.protocol == "ga4" and hit.valid, hit.messages
    assert list(consent_home.client_ids()) == ["acme-telemetry/client-id"]
    assert consent_home.log(acme.SPEC)[0]["event"] == "deployed"


def test_socket_watch_in_process(consent_sockets: SocketWatch) -> None:
    with consent_sockets:
        pass
    socket.socket().close()  # outside the block: not recorded
    consent_sockets.assert_no_sockets()
    with consent_sockets:
        socket.socket().close()
    with pytest.raises(AssertionError, match=r"socket\.__new__"):
        consent_sockets.assert_no_sockets()


def test_socket_watch_in_a_child(consent_sockets: SocketWatch, consent_home: Home) -> None:
    code = "import socket; socket.getaddrinfo('127.0.0.1', 80)"
    env = consent_sockets.env(consent_home.env, refuse=True)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        capture_output=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 1 and b"PermissionError" in proc.stderr
    assert [e["event"] for e in consent_sockets.network()] == ["socket.getaddrinfo"]


def test_socket_watch_refuses_only_what_leaves_loopback(
    consent_sockets: SocketWatch, consent_home: Home
) -> None:
    """`refuse="remote"`: a loopback server stays usable, any other host is refused unresolved."""
    code = (
        "import socket\n"
        "socket.getaddrinfo('127.0.0.1', 80)\n"
        "try: socket.getaddrinfo('example.com', 443)\n"
        "except PermissionError: print('refused')\n"
        "try: socket.socket().connect(('192.0.2.1', 443))\n"
        "except PermissionError: print('refused')\n"
    )
    env = consent_sockets.env(consent_home.env, refuse="remote")
    proc = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True,
        timeout=PROCESS_TIMEOUT, check=True,
    )  # fmt: skip
    assert proc.stdout == "refused\nrefused\n"
    assert [e["host"] for e in consent_sockets.network() if e["event"] != "socket.__new__"] == [
        "127.0.0.1",
        "example.com",
        "192.0.2.1",
    ]


HOST_APP = """
import typer
from consent import AppSpec, Destination, Event, Field, install

SPEC = AppSpec(
    name="hostapp", display_name="Hostapp", version="1.0", env_prefix="HOSTAPP", mode="opt-in",
    destination=Destination("ga4", "G-HOST", api_secret="s"),
    fields=(
        Field("client_id", "Pseudonymous id.", "x", "client_id"),
        Field("name", "Event name.", "command_run", "hit_type"),
        Field("command", "Command path.", "hostapp go", "command"),
    ),
    common=("client_id", "name"),
    events=(Event("command", "A command ran.", "command_run", ("command",)),),
    purpose="Testing.", access="Nobody.",
    controller="Nobody: a benchmark", contact="https://example.invalid",
    legal_basis="None needed: nothing leaves a loopback sink.", retention="0 days",
    recipients="None: a loopback sink.", notice_date="2026-12-01",
)
app = typer.Typer()

@app.command()
def go() -> None:
    typer.echo("went")

install(app, SPEC)
if __name__ == "__main__":
    app(prog_name="hostapp")
"""

HOST_TESTS = """
import socket, subprocess, sys

from consent import decide
from hostapp import SPEC

def test_machine_settings_do_not_leak(consent_home):
    decision = decide(SPEC)
    assert decision.decided_by.source == "default"  # not DO_NOT_TRACK, not HOSTAPP_DISABLE_...
    assert decision.pending == "question"

def test_disabled_host_command_opens_no_socket(consent_home, consent_sockets):
    consent_home.enable(SPEC)
    env = {**consent_sockets.env(consent_home.env), "HOSTAPP_DISABLE_ANALYTICS": "1"}
    proc = subprocess.run([sys.executable, "-m", "hostapp"], env=env)  # one command: typer runs it
    assert proc.returncode == 0
    consent_sockets.assert_no_sockets()

def test_a_socket_is_caught(consent_sockets):
    with consent_sockets:
        socket.socket().close()
    consent_sockets.assert_no_sockets()
"""


def test_plugin_in_a_host_suite(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {"DO_NOT_TRACK": "1", "HOSTAPP_DISABLE_ANALYTICS": "1", "CI": "1"}.items():
        monkeypatch.setenv(name, value)
    # Load the plugin by name whether or not this install registered its entry point.
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(hostapp=HOST_APP, test_host=HOST_TESTS)
    result = pytester.runpytest_subprocess("-p", "consent.testing", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["*test_a_socket_is_caught*", "*socket.__new__*"])


def test_entry_point_is_declared() -> None:
    project = tomlkit.parse((ROOT / "pyproject.toml").read_text())["project"]
    assert project["entry-points"]["pytest11"] == {"consent": "consent.testing"}  # type: ignore[index]


def test_lumogon_never_imports_the_test_helpers(consent_home: Home) -> None:
    code = textwrap.dedent(
        """
        import sys
        from lumogon import main
        try:
            main()
        except SystemExit:
            pass
        print(" ".join(sorted(sys.modules)), file=sys.stderr)
        """
    )
    env = {**consent_home.env, "LUMOGON_DISABLE_ANALYTICS": "1"}
    proc = subprocess.run(
        [sys.executable, "-c", code, "version"],
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=True,
    )
    loaded = set(proc.stderr.split())
    assert "lumogon" in loaded
    heavy = {
        "consent.testing",
        "consent.testing.home",
        "consent.testing.sockets",
        "pytest",
        "keyring",
    }
    assert not heavy & loaded


LEGACY_TESTS = """
from consent import AppSpec, Destination, Event, Field


def build():
    return AppSpec(
        name="oldapp", display_name="Oldapp", version="1", env_prefix="OLDAPP", mode="opt-in",
        destination=Destination("legacy", "UA-1-1"),
        fields=(
            Field("v", "Version.", "1", "constant", "1"),
            Field("tid", "Property.", "UA-1-1", "constant", "UA-1-1"),
            Field("cid", "Id.", "x", "client_id"),
            Field("t", "Type.", "screenview", "hit_type"),
            Field("cd", "Screen.", "oldapp run", "command"),
        ),
        common=("v", "tid", "cid", "t"), events=(Event("run", "A run.", "screenview", ("cd",)),),
        purpose="Testing.", access="Nobody.", controller="Nobody", contact="https://x.invalid",
        legal_basis="Consent.", retention="1 day", recipients="Nobody.", notice_date="2026-12-01",
    )


def test_a_legacy_spec_builds():
    assert build().destination.protocol == "legacy"
"""


@pytest.mark.slow
def test_a_legacy_spec_warns_in_a_host_suite(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 25: Google stopped processing the legacy protocol; an adopter who picks it is told,
    at the line that builds the spec, in the suite's warnings; filtering it is one line."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    pytester.makepyfile(test_old=LEGACY_TESTS)
    result = pytester.runpytest_subprocess("-p", "consent.testing", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*test_old.py:5: LegacyProtocolWarning: oldapp: Destination('legacy', …) sends the "
            "Universal Analytics Measurement Protocol v1. Google stopped processing Universal "
            "Analytics hits on 2023-07-01*",
        ]
    )
    quiet = pytester.runpytest_subprocess(
        "-p", "consent.testing", "-p", "no:cacheprovider",
        "-W", "ignore::consent.testing.LegacyProtocolWarning",
    )  # fmt: skip
    quiet.assert_outcomes(passed=1)
    assert "LegacyProtocolWarning" not in quiet.stdout.str()
