"""The same Acme on typer, click and argparse (docs/examples/acme_cli, acme_click, acme_argparse)
gives the same answers to the same questions.

Every case runs against the three example apps, each as a subprocess in its own isolated home
(a pseudo-terminal where a person would be), and its transcript (exit statuses, stdout,
stderr, with the home's path, ids and times normalised) must be the same for all three. Usage
errors are the one place the frameworks speak their own words: there the exit status and the
consent layer's sentence must match.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from consent.testing.collector import Collector
from consent.testing.home import Home
from consent.testing.sockets import SocketWatch
from tests.apps.frameworks import SPEC
from tests.helpers import PROCESS_TIMEOUT, ROOT, SENDER_TIMEOUT, logged_hits, run_in_pty

EXAMPLES = ROOT / "docs" / "examples"
FRAMEWORKS = {"typer": "acme_cli", "click": "acme_click", "argparse": "acme_argparse"}
SECRET = "ghp_SECRETabcdef0123456789"


class Ran:
    def __init__(self, code: int, out: bytes, err: bytes) -> None:
        self.code, self.raw, self.out, self.err = code, out, out.decode(), err.decode()


class App:
    """One example app in its own isolated home; every run is recorded in `transcript`."""

    def __init__(self, framework: str, home: Home, collector: Collector) -> None:
        self.module = FRAMEWORKS[framework]
        self.home = home
        self.collector = collector
        self.transcript: list[object] = []
        path = os.pathsep.join([str(EXAMPLES / self.module), home.env.get("PYTHONPATH", "")])
        self.env = {**home.env, "PYTHONPATH": path.rstrip(os.pathsep)}
        self.env["ACME_TELEMETRY_ENDPOINT"] = collector.url

    @property
    def argv(self) -> list[str]:
        return [sys.executable, "-m", self.module]

    def __call__(self, *args: str, env: dict[str, str] | None = None, note: bool = True) -> Ran:
        proc = subprocess.run(
            [*self.argv, *args],
            env={**self.env, **(env or {})},
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=PROCESS_TIMEOUT,
            check=False,
        )
        ran = Ran(proc.returncode, proc.stdout, proc.stderr)
        if note:
            self.transcript.append((args, ran.code, self.norm(ran.out), self.norm(ran.err)))
        return ran

    def norm(self, text: str) -> str:
        text = text.replace(str(self.home.root), "HOME")
        text = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UUID", text)
        text = re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z", "TIME", text)
        text = re.sub(r'"[0-9a-f]{64}"', '"HASH"', text)
        return re.sub(r"127\.0\.0\.1:\d+", "COLLECTOR", text)


def _log(app: App) -> list[dict[str, object]]:
    proc = app("telemetry", "log", "--json", note=False)
    assert proc.code == 0, proc.err
    items: list[dict[str, object]] = json.loads(proc.out)
    return items


# --- the cases: each returns nothing; what it runs is compared across the frameworks ----------


def status_json(app: App) -> None:
    data = json.loads(app("telemetry", "status", "--json").out)
    assert data["app"] == "acme" and data["enabled"] is False
    assert data["decided_by"]["source"] == "default"


def enable_disable(app: App) -> None:
    enabled = app("telemetry", "enable")
    assert enabled.code == 0 and enabled.out.startswith("Telemetry enabled"), enabled.err
    assert json.loads(app("telemetry", "status", "--json").out)["enabled"] is True
    disabled = app("telemetry", "disable")
    assert disabled.code == 0 and disabled.out.startswith("Telemetry disabled"), disabled.err
    assert json.loads(app("telemetry", "status", "--json").out)["enabled"] is False
    app("telemetry", "receipts")
    assert app("telemetry", "receipts", "--verify").code == 0
    assert app("telemetry", "log").out.startswith("No hits have been handed")
    assert app("telemetry", "local").code == 0
    assert app("hello", "ada").out == "Hello, ada!\n"
    assert "acme hello" in app("telemetry", "log").out  # kept local, never sent
    assert app.collector.hits() == []


def notice_and_usage_errors(app: App) -> None:
    assert app("telemetry", "notice").out.startswith("#")
    assert json.loads(app("telemetry", "notice", "--json").out)
    for args, words in (
        (("telemetry", "notice", "--format", "xml"), "choose markdown or json"),
        (("telemetry", "enable", "nope"), "'nope': not a purpose of acme"),
    ):
        # The frameworks word usage errors their own way: same status, same sentence of ours.
        bad = app(*args, note=False)
        assert bad.code == 2 and words in " ".join(bad.err.split()), bad.err
        app.transcript.append((args, bad.code))
    shown = app("telemetry", "show-payload", "nope", note=False)
    assert shown.code == 1 and "'acme nope' is not a command; choose from: deploy, hello" in (
        shown.err
    )
    app.transcript.append(("show-payload nope", shown.code, app.norm(shown.err)))


def flag_in_both_positions(app: App) -> None:
    assert app("telemetry", "enable").code == 0
    before = app("--disable-analytics", "deploy", "prod")
    after = app("deploy", "prod", "--disable-analytics")
    assert before.out == after.out == "Deployed to prod.\n" and before.err == after.err == ""
    for args in (("--disable-analytics", "telemetry", "status", "--json"),
                 ("telemetry", "status", "--json", "--disable-analytics")):  # fmt: skip
        assert json.loads(app(*args).out)["decided_by"]["source"] == "flag"
    assert _log(app) == [] and app.collector.hits() == []


def env_switches(app: App) -> None:
    assert app("telemetry", "enable").code == 0
    for env in ({"DO_NOT_TRACK": "1"}, {"ACME_DISABLE_ANALYTICS": "yes"}):
        assert app("hello", "ada", env=env).out == "Hello, ada!\n"
        data = json.loads(app("telemetry", "status", "--json", env=env).out)
        assert data["decided_by"]["source"] == "env"
    assert _log(app) == [] and app.collector.hits() == []


def ci_first_run_in_a_pty(app: App) -> None:
    ran = run_in_pty([*app.argv, "hello", "ada"], {**app.env, "CI": "true"})
    assert ran.returncode == 0 and ran.stdout == "Hello, ada!\n" and "[y/N]" not in ran.terminal
    assert json.loads(app("telemetry", "status", "--json").out)["enabled"] is False
    assert _log(app) == [] and app.collector.hits() == []


def first_run_asks_sends_nothing_then_one_screenview(app: App) -> None:
    ran = run_in_pty([*app.argv, "hello", "ada"], app.env, answer="y")
    assert ran.returncode == 0 and ran.stdout == "Hello, ada!\n"
    assert "[y/N]" in ran.terminal and "Recorded: telemetry enabled." in ran.terminal
    app.transcript.append(app.norm(ran.terminal[: ran.terminal.index("[y/N]")]))
    assert _log(app) == []  # the run that asked sent nothing
    assert app("hello", "ada").out == "Hello, ada!\n"
    logged_hits(app.home.locations(SPEC).log_file, 1)
    (hit,) = app.collector.wait_for(1, timeout=SENDER_TIMEOUT)
    assert hit.valid, hit.messages
    assert hit.payload["events"][0]["params"]["command"] == "acme hello"  # type: ignore[index]
    shown = app("telemetry", "show-payload", "hello", "--event", "command", "--with-id")
    assert shown.raw == hit.raw_request
    assert len(app.collector.hits()) == 1


def secrets_never_reach_the_wire(app: App) -> None:
    assert app("telemetry", "enable").code == 0
    app("deploy", SECRET, "--dry-run")
    hits = app.collector.wait_for(2, timeout=SENDER_TIMEOUT)
    assert sorted(h.payload["events"][0]["name"] for h in hits) == [  # type: ignore[index]
        "command_run",
        "deploy_finished",
    ]
    logged_hits(app.home.locations(SPEC).log_file, 2)
    assert SECRET not in str([h.raw_request for h in hits])
    assert SECRET not in _log_text(app)


def _log_text(app: App) -> str:
    return json.dumps(_log(app))


CASES: dict[str, Callable[[App], None]] = {
    f.__name__: f
    for f in (
        status_json,
        enable_disable,
        notice_and_usage_errors,
        flag_in_both_positions,
        env_switches,
        ci_first_run_in_a_pty,
        first_run_asks_sends_nothing_then_one_screenview,
        secrets_never_reach_the_wire,
    )
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(CASES))
def test_three_frameworks_answer_alike(tmp_path: Path, case: str) -> None:
    transcripts = {}
    for framework in FRAMEWORKS:
        home = Home.create(tmp_path / framework, os.environ)
        with Collector() as collector:
            app = App(framework, home, collector)
            CASES[case](app)
        transcripts[framework] = app.transcript
    assert transcripts["click"] == transcripts["typer"]
    assert transcripts["argparse"] == transcripts["typer"]


@pytest.mark.parametrize("framework", sorted(FRAMEWORKS))
def test_disabled_opens_no_socket(consent_home: Home, framework: str) -> None:
    watch = SocketWatch(consent_home.root / "audit.jsonl")
    with Collector() as collector:
        app = App(framework, consent_home, collector)
        assert app("telemetry", "enable").code == 0
        app.env = watch.env(app.env)
        for args in (
            ("--disable-analytics", "hello", "ada"),
            ("hello", "ada", "--disable-analytics"),
        ):
            assert app(*args).out == "Hello, ada!\n"
        assert app("hello", "ada", env={"DO_NOT_TRACK": "1"}).out == "Hello, ada!\n"
    watch.assert_no_sockets()


@pytest.mark.parametrize("framework", ["click", "argparse"])
def test_its_own_test_suite_passes_with_the_plugin(consent_home: Home, framework: str) -> None:
    """The pytest plugin serves an app on any framework: the example's own suite, as its author
    runs it (named explicitly, with autoload off, so the run is the same either way)."""
    example = EXAMPLES / FRAMEWORKS[framework]
    env = {**consent_home.env, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "PYTHONPATH": str(example)}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "consent.testing", "-p", "no:cacheprovider"],
        cwd=example,
        env=env,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "4 passed" in proc.stdout


# Lists every module loaded when the run ends (json itself is one of the modules looked for).
PROBE = """
import atexit, runpy, sys
atexit.register(lambda: print(" ".join(sorted(sys.modules)), file=sys.stderr))
sys.argv = ["acme", "hello", "ada"]
runpy.run_module("{module}", run_name="__main__")
"""
HEAVY = ("json", "keyring", "tomlkit", "platformdirs", "http", "socket", "consent._cli.table",
         "consent._cli.commands", "consent._store.identity", "consent._wire.hits")  # fmt: skip


@pytest.mark.parametrize("framework", sorted(FRAMEWORKS))
def test_the_disabled_path_imports_nothing_heavy(consent_home: Home, framework: str) -> None:
    """Disabled, each adapter stops after the decision: no telemetry commands, no JSON, no
    keyring; argparse programs load neither click nor typer (nor typing)."""
    module = FRAMEWORKS[framework]
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(module=module)],
        env={**consent_home.env, "DO_NOT_TRACK": "1", "PYTHONPATH": str(EXAMPLES / module)},
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=PROCESS_TIMEOUT,
        check=False,
    )
    assert proc.returncode == 0 and proc.stdout == "Hello, ada!\n", proc.stderr
    loaded = set(proc.stderr.split())
    # Off by an env variable, the run is decided by the start (consent/_start.py) and not loaded
    # further: neither the spec (the examples name it lazily), the store, the rules, the errors
    # nor the runs.
    assert "consent._start" in loaded
    undecided = (
        "consent._store",
        "consent._core",
        "consent._errors",
        "consent._wire",
        f"{module}.telemetry",
    )
    assert not [m for m in loaded if m.startswith(undecided)]
    heavy = sorted(m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY))
    assert heavy == []
    if framework == "argparse":
        assert not {"click", "typer", "typing"} & loaded
