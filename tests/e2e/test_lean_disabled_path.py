"""A run that is off imports nothing beyond consent/_start.py: no spec given as a reference, no
store, rules, keyring, TOML writer, HTTP or sender (each case of the start, on every adapter)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

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
# One-command programs on each adapter, the spec given as a lazy reference to lumogon's spec
# module: a run that is off must import neither that module nor consent beyond its start.
REF = '"lumogon.spec:SPEC", name="lumogon", env_prefix="LUMOGON"'
PROGRAMS = {
    "typer": f"""import typer
from consent import install

app = typer.Typer()

@app.callback()
def main():
    pass

@app.command()
def version():
    print("lumogon 0.1.0")

install(app, {REF})
app()
""",
    "click": f"""import click
from consent.click import install

@click.group()
def main():
    pass

@main.command()
def version():
    click.echo("lumogon 0.1.0")

install(main, {REF})
main()
""",
    "argparse": f"""import argparse
from consent.argparse import install, run

parser = argparse.ArgumentParser(prog="lumogon")
parser.add_subparsers(dest="command", required=True).add_parser("version")
install(parser, {REF})
run(parser, parser.parse_args())
print("lumogon 0.1.0")
""",
}
# The same programs with the spec object imported (lumogon's main is the typer one).
OBJECT_PROGRAMS = {
    "typer": LUMOGON,
    **{
        k: v.replace("from consent", "from lumogon.spec import SPEC\nfrom consent", 1).replace(
            REF, "SPEC"
        )
        for k, v in PROGRAMS.items()
        if k != "typer"
    },
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
# A run that consent/_start.py turns off loads its adapter's start path and the start, nothing
# else of consent (docs/architecture.md): the files' reader only when the flag and the variables
# did not decide.
START = {
    "consent",
    "consent._start",
    "consent._glance",  # the policy, project and config files, read at a glance
    "consent._tree",  # typer and click
    "consent._typer",
    "consent.click",
    "consent.argparse",
}
# Off by the flag or a variable: not even the files' reader.
QUICK = ("env", "dnt", "unknown-value", "flag-after-the-command")
# Each framework's start path, exactly (docs/architecture.md, tests/test_architecture.py).
PATHS = {
    "argparse": {"consent", "consent._start", "consent.argparse"},
    "click": {"consent", "consent._start", "consent._tree", "consent.click"},
    "typer": {"consent", "consent._start", "consent._tree", "consent._typer"},
}
# What an off run given the spec object loads beyond: the spec's own modules.
SPEC_MODULES = {"consent._core", "consent._core.spec", "consent._core.value"}


def modules(
    iso: Iso,
    env: dict[str, str],
    before: str = "",
    *args: str,
    program: str = LUMOGON,
    cwd: Path | None = None,
) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE.format(before=before, program=program), "version", *args],
        env={**iso.env, **env},
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        check=True,
        cwd=cwd,
    )
    assert proc.stdout == "lumogon 0.1.0\n"
    return set(proc.stderr.strip().splitlines()[-1].split())


def heavy(loaded: set[str]) -> list[str]:
    return sorted(m for m in loaded if any(m == f or m.startswith(f + ".") for f in FORBIDDEN))


def ours(loaded: set[str]) -> set[str]:
    return {m for m in loaded if m == "consent" or m.startswith("consent.")}


# Every off case of consent/_start.py: (variables, arguments, how to prepare the files).
CASES = {
    "env": ({"LUMOGON_DISABLE_ANALYTICS": "1"}, ()),
    "dnt": ({"DO_NOT_TRACK": "yes"}, ()),
    "unknown-value": ({"LUMOGON_DISABLE_ANALYTICS": "maybe"}, ()),
    "flag-after-the-command": ({}, ("--disable-analytics",)),
    "policy-lock": ({}, ()),
    "project-opt-out": ({}, ()),  # HOME is set to the isolated home's (see `prepare`)
    "config-disabled": ({}, ()),
    "awaiting-notice": ({}, ()),  # nothing recorded, no terminal (stdin is /dev/null)
}


def prepare(iso: Iso, case: str) -> Path | None:
    """Write the files of `case`; the working directory to run in."""
    if case == "policy-lock":
        iso.write_policy("[telemetry]\nenabled = false\n")
    elif case == "config-disabled":
        record_choice(SPEC, iso.locs, enabled=False, via="test")
    elif case == "project-opt-out":
        record_choice(SPEC, iso.locs, enabled=True, via="test")  # the project file overrides
        project = iso.root / "home" / "work" / "repo"
        (project / ".lumogon").mkdir(parents=True)
        (project / ".lumogon" / "telemetry.toml").write_text("[telemetry]\nenabled = false\n")
        (project / "src").mkdir()
        return project / "src"
    return None


@pytest.mark.parametrize("framework", sorted(PROGRAMS))
@pytest.mark.parametrize("case", sorted(CASES))
def test_an_off_run_loads_neither_the_spec_nor_consent_beyond_its_start(
    iso: Iso, framework: str, case: str
) -> None:
    env, args = CASES[case]
    cwd = prepare(iso, case)
    if cwd is not None:
        env = {**env, "HOME": str(iso.root / "home")}
    loaded = modules(iso, env, "", *args, program=PROGRAMS[framework], cwd=cwd)
    assert "lumogon.spec" not in loaded
    assert heavy(loaded) == []
    assert ours(loaded) <= START, sorted(ours(loaded) - START)
    glance = set() if case in QUICK else {"consent._glance"}
    assert ours(loaded) == PATHS[framework] | glance


BARE_ARGPARSE = """import argparse

parser = argparse.ArgumentParser(prog="lumogon")
parser.add_subparsers(dest="command", required=True).add_parser("version")
parser.parse_args()
print("lumogon 0.1.0")
"""


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_start_imports_nothing_a_bare_program_does_not(iso: Iso, case: str) -> None:
    """Beside its own modules, an off run of an argparse program imports only what the same
    program without consent imports (not even `__future__`, which `from __future__ import
    annotations` loads)."""
    env, args = CASES[case]
    cwd = prepare(iso, case)
    if cwd is not None:
        env = {**env, "HOME": str(iso.root / "home")}
    bare = modules(iso, env, "", program=BARE_ARGPARSE, cwd=cwd)
    loaded = modules(iso, env, "", *args, program=PROGRAMS["argparse"], cwd=cwd)
    assert sorted(loaded - bare - START) == []


@pytest.mark.parametrize("framework", sorted(OBJECT_PROGRAMS))
@pytest.mark.parametrize("case", ["env", "config-disabled", "awaiting-notice"])
def test_an_off_run_given_the_spec_object_loads_only_the_spec_beside(
    iso: Iso, framework: str, case: str
) -> None:
    env, args = CASES[case]
    cwd = prepare(iso, case)
    loaded = modules(iso, env, "", *args, program=OBJECT_PROGRAMS[framework], cwd=cwd)
    assert heavy(loaded) == []
    assert ours(loaded) <= START | SPEC_MODULES, sorted(ours(loaded) - START - SPEC_MODULES)


@pytest.mark.parametrize("framework", sorted(PROGRAMS))
def test_a_run_that_may_send_loads_the_spec(iso: Iso, framework: str) -> None:
    """Control: with consent recorded the run decides fully, the referenced spec loaded."""
    record_choice(SPEC, iso.locs, enabled=True, via="test")
    loaded = modules(iso, {"LUMOGON_TELEMETRY_DEBUG": "1"}, program=PROGRAMS[framework])
    assert {"lumogon.spec", "consent._core.rules", "consent._wire.gate"} <= loaded


UNDECIDED = ("consent._cli.hostrun", "consent._store", "consent._core.rules", "consent._wire")


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
