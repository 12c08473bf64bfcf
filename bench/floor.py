"""The least an adapter's disabled path can cost: a floor, in instructions (callgrind).

Issue 15 asks for each adapter's disabled path at most 1.05 times a bare program of the same
framework. This measures what no adapter can go below, for argparse and for click, with the
public modules the issue names (`consent.argparse`, `consent.click`) and the package layout the
project keeps (adapters in consent/_cli/, the value types in consent/_core/): a prototype `consent`
package, built in a temporary directory, whose adapter does only what the issue requires of a
run disabled by env and nothing else:

- `consent/__init__.py`, `consent/_cli/__init__.py`, `consent/_core/__init__.py`,
  `consent/_core/value.py` and `consent/_core/spec.py` are this install's own files, copied;
- the public module only re-exports; the adapter adds `--disable-analytics` to the program and
  to each command, and a `telemetry` command that is built only when used (argparse: a
  subparser taking the rest of the words, as the real adapter has it; click: a group class that
  lists the name), and registers the run after checking the flag and the two variables
  (`consent/_core/runs.py`: a `ContextVar`, the run's scope that issue 21 asks for), with no
  other work;
- the app declares the smallest spec `AppSpec` accepts: three fields and one event.

A measuring tool, not an app: the prototype is a copy of consent's private layout, so its files
import private modules (`consent._cli`, `consent._core`) on purpose; bench/apps/, the programs
measured against it, use the public API only (tests/test_architecture.py holds them to it).

Each stage is one more line of the same program, so the differences are the stages' costs:

    python bench/floor.py [PYTHON] [--runs 3]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from instructions import consent_dir, count, env_for
from report import TIMES as X

APPS = Path(__file__).resolve().parent / "apps"
# The installed files the prototype keeps as they are: the package, the layout's two package
# markers and the value types every app's spec is built from.
COPIED = (
    "__init__.py",
    "_cli/__init__.py",
    "_core/__init__.py",
    "_core/value.py",
    "_core/spec.py",
)
PUBLIC = '''"""The public module: re-exports the adapter."""

from consent._cli.{module} import {names}

__all__ = [{quoted}]
'''
ARGPARSE = '''"""The least an argparse adapter does on a run disabled by env."""

import argparse
import sys

FLAG = "--disable-analytics"


def install(parser, spec):
    action = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    text = f"Send no usage data in this run (see `{spec.name} {spec.group} status`)."
    parser.add_argument(FLAG, action="store_true", dest="flag", default=False, help=text)
    parser.set_defaults(path=spec.name)
    for name, sub in action.choices.items():
        sub.add_argument(FLAG, action="store_true", dest="flag", default=argparse.SUPPRESS, help=text)
        sub.set_defaults(path=f"{spec.name} {name}")
    words = action.add_parser(spec.group, help="See and change.", add_help=False, prefix_chars="\\0")
    words.add_argument("words", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    parser.consent_spec = spec
    return parser


def run(parser, args):
    spec = parser.consent_spec
    if getattr(args, "words", None) is not None:
        sys.exit(0)
    from consent._core.runs import start_off_run

    start_off_run(spec, bool(getattr(args, "flag", False)), args.path)
'''
CLICK = '''"""The least a click adapter does on a run disabled by env."""

import click

FLAG = "--disable-analytics"


def _flag(ctx, _param, value):
    if value:
        ctx.meta["flag"] = True


def install(group, spec):
    text = f"Send no usage data in this run (see `{spec.name} {spec.group} status`)."

    def option():
        return click.Option([FLAG], is_flag=True, expose_value=False, callback=_flag, help=text)

    group.params.append(option())
    for name, command in group.commands.items():
        command.params.append(option())

        def started(*args, _callback=command.callback, _path=f"{spec.name} {name}", **kwargs):
            from consent._core.runs import start_off_run

            start_off_run(spec, bool(click.get_current_context().meta.get("flag")), _path)
            return _callback(*args, **kwargs)

        command.callback = started

    class Group(type(group)):
        def list_commands(self, ctx):
            return [*super().list_commands(ctx), spec.group]

    group.__class__ = Group
    return group
'''
RUNS = '''"""The run registry, with the env check inline."""

import os
from _contextvars import ContextVar

_runs = ContextVar("runs", default=())
_FALSE = ("", "0", "false", "no", "off")


def start_off_run(spec, flag, command):
    names = (spec.env_prefix + "_DISABLE_ANALYTICS", "DO_NOT_TRACK")
    values = {n: os.environ[n] for n in names if n in os.environ}
    if flag or any(v.strip().lower() not in _FALSE for v in values.values()):
        return _runs.set((*_runs.get(), (spec.name, values, command)))
'''
SPEC = '''"""The smallest spec AppSpec accepts: three fields (GA4's two and the command), one event."""

from consent._core.spec import AppSpec, Destination, Event, Field

SPEC = AppSpec(
    name="tiny",
    display_name="Tiny",
    version="1.0.0",
    env_prefix="LUMOGON",
    mode="opt-out",
    destination=Destination(protocol="ga4", tracking_id="G-1", api_secret="x"),
    fields=(
        Field("client_id", "Pseudonymous id.", "35009a79-1a05-49d7-b876-2b884d0f825b", "client_id"),
        Field("name", "Event name.", "command_run", "hit_type"),
        Field("command", "The command that ran.", "tiny version", "command"),
    ),
    common=("client_id", "name"),
    events=(Event("command", "A command ran.", "command_run", ("command",)),),
    purpose="To see which commands are used.",
    access="The Tiny team.",
    controller="The Tiny team",
    contact="privacy@example.org",
    legal_basis="Legitimate interest: knowing which commands are used.",
    retention="14 months",
    recipients="Google LLC, USA",
    notice_date="2026-12-01",
)
'''
# Per framework: the bare program, the prototype's own files, and the stages, each (what it
# adds, the line, whether it goes in the program's `__main__` block, before its last line).
FLOORS = {
    "argparse": (
        "bare_argparse.py",
        {
            "argparse.py": PUBLIC.format(
                module="argparser", names="install, run", quoted='"install", "run"'
            ),
            "_cli/argparser.py": ARGPARSE,
        },
        (
            (
                "import the adapter's modules (consent, consent.argparse, consent._cli, the adapter)",
                "import consent.argparse",
                False,
            ),
            (
                "import the value types (consent._core, value, spec)",
                "import consent._core.spec",
                False,
            ),
            ("build the smallest valid spec", "from tinyspec import SPEC", False),
            (
                "install: the flag on each parser, the telemetry subparser",
                "consent.argparse.install(parser, SPEC)",
                False,
            ),
            (
                "run: check the flag and the variables, register the run",
                "consent.argparse.run(parser, args)",
                True,
            ),
        ),
    ),
    "click": (
        "bare_click.py",
        {
            "click.py": PUBLIC.format(module="clickgroup", names="install", quoted='"install"'),
            "_cli/clickgroup.py": CLICK,
        },
        (
            (
                "import the adapter's modules (consent, consent.click, consent._cli, the adapter)",
                "import consent.click",
                False,
            ),
            (
                "import the value types (consent._core, value, spec)",
                "import consent._core.spec",
                False,
            ),
            ("build the smallest valid spec", "from tinyspec import SPEC", False),
            (
                "install, and the run: the flag on each command, the telemetry name, the check, the "
                "run registered",
                "consent.click.install(main, SPEC)",
                False,
            ),
        ),
    ),
}


def _program(framework: str, stages: int) -> str:
    bare, _, steps = FLOORS[framework]
    text = (APPS / bare).read_text("utf-8")
    head, _, main = text.partition('\nif __name__ == "__main__":\n')
    body = main.rstrip("\n").split("\n")
    chosen = steps[:stages]
    top = [line for _, line, inside in chosen if not inside]
    body[-1:-1] = [f"    {line}" for _, line, inside in chosen if inside]
    return "\n".join([head, *top, "", 'if __name__ == "__main__":', *body, ""])


def build(python: str, framework: str, where: Path) -> None:
    """The prototype package and one program per stage in `where`, compiled as a wheel has them."""
    installed = consent_dir(python)
    package = where / "consent"
    for name in COPIED:
        target = package / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(installed) / name, target)
    _, files, steps = FLOORS[framework]
    for name, text in files.items():
        (package / name).write_text(text, "utf-8")
    (package / "_core" / "runs.py").write_text(RUNS, "utf-8")
    (where / "tinyspec.py").write_text(SPEC, "utf-8")
    for stages in range(len(steps) + 1):
        (where / f"stage{stages}.py").write_text(_program(framework, stages), "utf-8")
    subprocess.run(
        [python, "-m", "compileall", "-q", str(package), str(where / "tinyspec.py")],
        cwd=where,
        capture_output=True,
        check=True,
        timeout=120,
    )


def floor_counts(python: str, framework: str, runs: int) -> list[float]:
    """Median instructions (millions) of the bare program and of each stage, in order."""
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp) / "floor"
        where.mkdir()
        build(python, framework, where)
        medians = []
        for stages in range(len(FLOORS[framework][2]) + 1):
            seen = []
            for _ in range(runs):
                with tempfile.TemporaryDirectory() as home:
                    env = env_for(Path(home))
                    env["LUMOGON_DISABLE_ANALYTICS"] = "1"
                    # -s -E, not -I: the script's directory (the prototype) comes first.
                    argv = [python, "-s", "-E", str(where / f"stage{stages}.py"), "version"]
                    seen.append(count(argv, env, Path(home), cwd=where))
            medians.append(statistics.median(seen) / 1e6)
        return medians


def floor_table(framework: str, medians: list[float]) -> list[str]:
    bare = medians[0]
    lines = [
        f"| stage | instructions | added | {X} bare {framework} |",
        "|---|---|---|---|",
        f"| bare {framework} program | {bare:.1f} M | | 1 |",
    ]
    steps = FLOORS[framework][2]
    for (what, _, _), before, after in zip(steps, medians, medians[1:], strict=False):
        lines.append(
            f"| + {what} | {after:.1f} M | {after - before:+.2f} M | {after / bare:.3f}{X} |"
        )
    lines.append(
        f"| the budget of 1.05{X} | {bare * 1.05:.1f} M | {bare * 0.05:+.2f} M in all | 1.050{X} |"
    )
    return lines


def verdict(framework: str, medians: list[float]) -> str:
    """What the floor says of the goal, in words."""
    bare, total = medians[0], medians[-1]
    budget = bare * 0.05
    types = medians[2] - medians[1]
    rest = total - bare - types
    if total > bare * 1.05:
        return (
            f"{framework}: the floor is {total / bare:.3f}{X} the bare program. Without the value "
            f"types it would still add {rest:.2f} M of the {budget:.2f} M that 1.05{X} allows, "
            f"leaving {budget - rest:.2f} M for importing two modules and creating their classes, "
            f"which take {types:.2f} M today; a module's import alone costs 0.3 M or more. So "
            f"1.05{X} is out of reach for {framework} with this API and layout, however the "
            "adapter is written."
        )
    return (
        f"{framework}: the floor is {total / bare:.3f}{X} the bare program, which leaves "
        f"{bare * 1.05 - total:.2f} M for everything a real adapter does beyond it (the first "
        "run, the decision when not off, the telemetry commands, debug and strict modes) and for "
        "a spec larger than the smallest: lumogon's, which the bench's programs declare, costs "
        "about 1.1 M more to build."
    )


def section(python: str, runs: int = 3) -> list[str]:
    """The report's section (bench/run.py): each framework's floor and what it shows."""
    head = [
        "## The adapters' floor",
        "",
        "The least an adapter's disabled path can cost with the public modules issue 15 names "
        "(`consent.argparse`, `consent.click`) and the project's layout (adapters in consent/_cli/, "
        "value types in consent/_core/): a prototype adapter that does only what the issue "
        "requires of a run disabled by env (the flag on the program and each command, the "
        "`telemetry` command built when used, the check, the run registered), on this install's "
        "own package, value types and spec code, with the smallest spec `AppSpec` accepts. Each "
        "stage adds one line to the bare program; instructions, medians of "
        f"{runs} runs. Made by `bench/floor.py`.",
        "",
    ]
    if shutil.which("valgrind") is None:
        return [*head, "Not measured: valgrind is not installed.", ""]
    body: list[str] = []
    for framework in FLOORS:
        medians = floor_counts(python, framework, runs)
        body += [*floor_table(framework, medians), "", verdict(framework, medians), ""]
    return [*head, *body]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("python", nargs="?", default=sys.executable)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    for framework in FLOORS:
        medians = floor_counts(args.python, framework, args.runs)
        print("\n".join([*floor_table(framework, medians), "", verdict(framework, medians), ""]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
