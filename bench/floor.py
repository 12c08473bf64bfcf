"""The least the argparse adapter's disabled path can cost: a floor, in instructions (callgrind).

Issue 15 asks for the disabled path at most 1.05 times a bare argparse program. This measures what
no adapter can go below, with the public module the issue names (`from consent.argparse import
install, run`) and the package layout the project keeps (adapters in consent/cli/, the value
types in consent/core/): a prototype `consent` package, built in a temporary directory, whose
adapter does only what the issue requires of a run disabled by env and nothing else:

- `consent/__init__.py`, `consent/cli/__init__.py`, `consent/core/__init__.py`,
  `consent/core/value.py` and `consent/core/spec.py` are this install's own files, copied;
- `consent/argparse.py` only re-exports; `consent/cli/argparser.py` adds `--disable-analytics`
  to the parser and each subparser and a `telemetry` subparser taking the rest of the words
  (the same argparse calls the real adapter makes), and `run` checks the flag and the two
  variables and registers the run (`consent/core/runs.py`: a dict), with no other work;
- the app declares the smallest spec `AppSpec` accepts: three fields and one event.

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

from instructions import count, env_for
from report import TIMES as X

APPS = Path(__file__).resolve().parent / "apps"
# The installed files the prototype keeps as they are: the package, the layout's two package
# markers and the value types every app's spec is built from.
COPIED = (
    "__init__.py",
    "cli/__init__.py",
    "core/__init__.py",
    "core/value.py",
    "core/spec.py",
)
PUBLIC = '''"""The public module: re-exports the adapter."""

from consent.cli.argparser import install, run

__all__ = ["install", "run"]
'''
ADAPTER = '''"""The least an argparse adapter does on a run disabled by env."""

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
    from consent.core.runs import start_off_run

    start_off_run(spec, bool(getattr(args, "flag", False)), args.path)
'''
RUNS = '''"""The run registry, with the env check inline."""

import os

_runs = {}
_FALSE = ("", "0", "false", "no", "off")


def start_off_run(spec, flag, command):
    names = (spec.env_prefix + "_DISABLE_ANALYTICS", "DO_NOT_TRACK")
    values = {n: os.environ[n] for n in names if n in os.environ}
    if flag or any(v.strip().lower() not in _FALSE for v in values.values()):
        _runs[spec.name] = (values, command)
'''
SPEC = '''"""The smallest spec AppSpec accepts: three fields, one event."""

from consent.core.spec import AppSpec, Destination, Event, Field

SPEC = AppSpec(
    name="tiny",
    display_name="Tiny",
    version="1.0.0",
    env_prefix="LUMOGON",
    mode="opt-out",
    destination=Destination(protocol="legacy", tracking_id="UA-1-1"),
    fields=(
        Field("cid", "Pseudonymous id.", "35009a79-1a05-49d7-b876-2b884d0f825b", "client_id"),
        Field("t", "Hit type.", "screenview", "hit_type"),
        Field("cd", "The command that ran.", "tiny version", "command"),
    ),
    common=("cid", "t"),
    events=(Event("command", "A command ran.", "screenview", ("cd",)),),
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
# (what the stage adds, the line it adds after the imports of the bare program, or at its end)
STAGES = (
    (
        "import the adapter's modules (consent, consent.argparse, consent.cli, the adapter)",
        "import consent.argparse",
    ),
    ("import the value types (consent.core, value, spec)", "import consent.core.spec"),
    ("build the smallest valid spec", "from tinyspec import SPEC"),
    (
        "install: the flag on each parser, the telemetry subparser",
        "consent.argparse.install(parser, SPEC)",
    ),
    (
        "run: check the flag and the variables, register the run",
        "consent.argparse.run(parser, args)",
    ),
)


def _program(stages: int) -> str:
    bare = (APPS / "bare_argparse.py").read_text("utf-8")
    head, _, main = bare.partition('\nif __name__ == "__main__":\n')
    lines = [line for _, line in STAGES[:stages]]
    imports = [line for line in lines if line.startswith(("import", "from"))]
    calls = [line for line in lines if not line.startswith(("import", "from"))]
    install = [c for c in calls if ".install(" in c]
    run = [c for c in calls if ".run(" in c]
    body = main.replace("    print(", "".join(f"    {c}\n" for c in run) + "    print(", 1)
    return "\n".join([head, *imports, *install, 'if __name__ == "__main__":', body])


def build(python: str, where: Path) -> None:
    """The prototype package and one program per stage in `where`, compiled as a wheel has them."""
    installed = subprocess.run(
        [python, "-I", "-c", "import consent, os; print(os.path.dirname(consent.__file__))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()
    package = where / "consent"
    for name in COPIED:
        target = package / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(Path(installed) / name, target)
    (package / "argparse.py").write_text(PUBLIC, "utf-8")
    (package / "cli" / "argparser.py").write_text(ADAPTER, "utf-8")
    (package / "core" / "runs.py").write_text(RUNS, "utf-8")
    (where / "tinyspec.py").write_text(SPEC, "utf-8")
    for stages in range(len(STAGES) + 1):
        (where / f"stage{stages}.py").write_text(_program(stages), "utf-8")
    subprocess.run(
        [python, "-m", "compileall", "-q", str(package), str(where / "tinyspec.py")],
        cwd=where,
        capture_output=True,
        check=True,
        timeout=120,
    )


def floor_counts(python: str, runs: int) -> list[float]:
    """Median instructions (millions) of the bare program and of each stage, in order."""
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(tmp) / "floor"
        where.mkdir()
        build(python, where)
        medians = []
        for stages in range(len(STAGES) + 1):
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


def floor_table(medians: list[float]) -> list[str]:
    bare = medians[0]
    lines = [
        f"| stage | instructions | added | {X} bare argparse |",
        "|---|---|---|---|",
        f"| bare argparse program | {bare:.1f} M | | 1 |",
    ]
    for (what, _), before, after in zip(STAGES, medians, medians[1:], strict=False):
        lines.append(
            f"| + {what} | {after:.1f} M | {after - before:+.2f} M | {after / bare:.3f}{X} |"
        )
    lines.append(
        f"| the budget of 1.05{X} | {bare * 1.05:.1f} M | {bare * 0.05:+.2f} M in all | 1.050{X} |"
    )
    return lines


def section(python: str, runs: int = 3) -> list[str]:
    """The report's section (bench/run.py): the floor's table and what it shows."""
    head = [
        "## The argparse floor",
        "",
        "The least the argparse adapter's disabled path can cost with the public module issue 15 "
        "names (`consent.argparse`) and the project's layout (adapters in consent/cli/, value types "
        "in consent/core/): a prototype adapter that does only what the issue requires of a run "
        "disabled by env (the flag on each parser, the `telemetry` subparser, the check, the run "
        "registered) on this install's own package, value types and spec code, with the smallest "
        "spec `AppSpec` accepts. Each stage adds one line to the bare program; instructions, "
        f"medians of {runs} runs. Made by `bench/floor.py`.",
        "",
    ]
    if shutil.which("valgrind") is None:
        return [*head, "Not measured: valgrind is not installed.", ""]
    medians = floor_counts(python, runs)
    bare, total = medians[0], medians[-1]
    types = medians[2] - medians[1]
    rest = total - bare - types
    return [
        *head,
        *floor_table(medians),
        "",
        f"The floor is {total / bare:.3f}{X} the bare program. Without the value types it would "
        f"still add {rest:.2f} M of the {bare * 0.05:.2f} M that 1.05{X} allows, leaving "
        f"{bare * 0.05 - rest:.2f} M for importing two modules and creating their classes, which "
        f"take {types:.2f} M today; a module's import alone costs 0.3 M or more. So 1.05{X} is out "
        "of reach for argparse with this API and layout, however the adapter is written.",
        "",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("python", nargs="?", default=sys.executable)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    print("\n".join(floor_table(floor_counts(args.python, args.runs))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
