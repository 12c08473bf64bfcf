"""When disabled, nothing beyond the decision is imported: no keyring, TOML writer, HTTP or sender."""

from __future__ import annotations

import subprocess
import sys

import pytest

from consent._store.choices import record_choice
from lumogon import SPEC
from tests.helpers import SENDER_TIMEOUT, Iso, logged_hits

# Lists every module loaded when the run ends. It imports nothing but atexit and sys itself (no
# json: that is one of the modules to look for), so what it reports is what the run loaded.
PROBE = """
import atexit, sys
atexit.register(lambda: print(" ".join(sorted(sys.modules)), file=sys.stderr))
{before}{program}"""
LUMOGON = "from lumogon import main\nmain()\n"
# The same one-command program on the other two adapters, with lumogon's spec.
PROGRAMS = {
    "click": """import click
from consent.click import install
from lumogon.spec import SPEC

@click.group()
def main():
    pass

@main.command()
def version():
    click.echo("lumogon 0.1.0")

install(main, SPEC)
main()
""",
    "argparse": """import argparse
from consent.argparse import install, run
from lumogon.spec import SPEC

parser = argparse.ArgumentParser(prog="lumogon")
parser.add_subparsers(dest="command", required=True).add_parser("version")
install(parser, SPEC)
run(parser, parser.parse_args())
print("lumogon 0.1.0")
""",
}
FORBIDDEN = (
    "keyring",
    "tomlkit",
    "http",
    "urllib.request",
    "ssl",
    "socket",
    "consent._wire.job",
    "consent._wire.sender",
    "consent._wire.proxy",
    "consent._store.identity",
    "consent._wire.http",
    "consent._wire.hits",
    "consent._store.configwrite",
    "consent._notice.document",
    "consent._cli.firstrun",
    "consent._store.receipts",
    "consent._cli.receipts",
    "consent._notice.changes",
    "platformdirs",
    "hashlib",
    "json",
)


# Turned off by the flag or an env variable, a run does not even decide (consent/_core/runs.py):
# it is registered undecided, and the gate decides it only if it records an event. Nothing of the
# store, the rules, the wire (the gate), the errors or consent._cli.hostrun is loaded then; every
# module of the layer it loads is listed here.
UNDECIDED = (
    "consent._cli.hostrun",  # an adapter offers the run to consent._core.runs.start_if_off first
    "consent._core.names",  # its start-path names live in spec, envgrammar and runs
    "consent._store",
    "consent._core.rules",
    "consent._core.records",
    "consent._errors",
    "consent._wire",
)
LEAN = {
    "consent",
    "consent._cli",
    "consent._core",
    "consent._core.envgrammar",
    "consent._core.spec",
    "consent._core.value",
    "consent._core.runs",
}


def modules(
    iso: Iso, env: dict[str, str], before: str = "", *args: str, program: str = LUMOGON
) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(before=before, program=program), "version", *args],
        env={**iso.env, **env},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=True,
    )
    assert proc.stdout == "lumogon 0.1.0\n"
    return set(proc.stderr.strip().splitlines()[-1].split())


def heavy(loaded: set[str]) -> list[str]:
    return sorted(m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))


@pytest.mark.parametrize("how", ["env", "dnt", "flag-free-config", "awaiting-notice"])
def test_disabled_path_imports_nothing_heavy(iso: Iso, how: str) -> None:
    env = {"env": {"LUMOGON_DISABLE_ANALYTICS": "1"}, "dnt": {"DO_NOT_TRACK": "1"}}.get(how, {})
    if how == "flag-free-config":
        record_choice(SPEC, iso.locs, enabled=False, via="test")
    loaded = modules(iso, env)
    assert heavy(loaded) == []  # json included: neither consent nor typer imports it here
    if how in ("env", "dnt"):
        assert undecided(loaded) == []
    else:
        assert "consent._core.rules" in loaded  # the decision did run
        assert "consent._wire.gate" not in loaded  # disabled, the screenview needs no gate


@pytest.mark.parametrize(
    ("env", "args"),
    [
        ({"LUMOGON_DISABLE_ANALYTICS": "1"}, ()),
        ({"DO_NOT_TRACK": "yes"}, ()),
        ({}, ("--disable-analytics",)),
    ],
    ids=["env", "dnt", "flag"],
)
def test_off_by_flag_or_env_loads_only_the_lean_layer(
    iso: Iso, env: dict[str, str], args: tuple[str, ...]
) -> None:
    loaded = modules(iso, env, "", *args)
    assert undecided(loaded) == []
    ours = {m for m in loaded if m == "consent" or m.startswith("consent.")}
    assert ours <= LEAN | {
        "consent._cli.adapters",
        "consent._cli.adapters.clicktree",
        "consent._cli.adapters.typerapp",
    }
    assert "consent._core.runs" in ours  # the run was registered


@pytest.mark.parametrize("framework", sorted(PROGRAMS))
@pytest.mark.parametrize(
    ("env", "args"),
    [({"LUMOGON_DISABLE_ANALYTICS": "1"}, ()), ({}, ("--disable-analytics",))],
    ids=["env", "flag-after-the-command"],
)
def test_click_and_argparse_runs_turned_off_load_only_the_lean_layer(
    iso: Iso, framework: str, env: dict[str, str], args: tuple[str, ...]
) -> None:
    loaded = modules(iso, env, "", *args, program=PROGRAMS[framework])
    assert heavy(loaded) == []
    assert undecided(loaded) == []  # neither hostrun, names, the store, the rules nor the gate
    ours = {m for m in loaded if m == "consent" or m.startswith("consent.")}
    adapter = {"click": "clickgroup", "argparse": "argparser"}[framework]
    assert ours <= LEAN | {
        f"consent.{framework}",
        "consent._cli.adapters",
        f"consent._cli.adapters.{adapter}",
        "consent._cli.adapters.clicktree",
    }
    assert "consent._core.runs" in ours  # the run was registered


def test_debug_mode_still_decides_at_once(iso: Iso) -> None:
    """Control: under the debug variable a disabled run checks its screenview, so it decides."""
    loaded = modules(iso, {"LUMOGON_DISABLE_ANALYTICS": "1", "LUMOGON_TELEMETRY_DEBUG": "1"})
    assert undecided(loaded) != []


def undecided(loaded: set[str]) -> list[str]:
    return sorted(m for m in loaded if any(m == f or m.startswith(f + ".") for f in UNDECIDED))


def test_the_probe_sees_what_the_run_imports(iso: Iso) -> None:
    """Control: json imported anywhere in the run (here before the app starts) is reported."""
    loaded = modules(iso, {"LUMOGON_DISABLE_ANALYTICS": "1"}, before="import json\n")
    assert heavy(loaded) == ["json", "json.decoder", "json.encoder", "json.scanner"]


def test_enabled_path_does_load_the_sender_machinery(iso: Iso) -> None:
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    loaded = modules(iso, {"LUMOGON_TELEMETRY_DEBUG": "1"})
    assert {
        "consent._wire.hits",
        "consent._store.identity",
        "consent._wire.http",
        "keyring",
    } <= loaded


def test_enabled_host_never_loads_the_keyring(iso: Iso) -> None:
    """The id is filled in by the detached sender; the host pays no keyring start-up."""
    from consent.testing.collector import Collector

    record_choice(SPEC, iso.locs, enabled=True, via="test")
    with Collector() as collector:
        loaded = modules(iso, {"LUMOGON_TELEMETRY_ENDPOINT": collector.url})
        (hit,) = collector.wait_for(1, timeout=SENDER_TIMEOUT)
        (item,) = logged_hits(iso.locs.log_file)  # the sender's outcome, with the id it used
    assert "keyring" not in loaded and "consent._wire.gate" in loaded
    # The proxy is the sender's business: the host only copies the variables into the job.
    assert "consent._wire.proxy" not in loaded
    assert hit.params is not None
    assert [hit.params["cid"]] == list(iso.home.client_ids().values())  # the sender's id
    assert item["hit"]["cid"] == "(the pseudonymous id, filled in by the sender)"  # type: ignore[index]
    assert "client_id" not in item and hit.params["cid"] not in str(item)  # never in the log
