"""Instruction counts of lumogon's disabled path, for one or more installs: a load-proof A/B.

Wall time on a shared 2-core machine moves with whatever else runs; the number of instructions
a process executes does not (valgrind's callgrind counts them). This runs `lumogon version`
disabled three ways (by env, by config, awaiting the notice) and a bare typer app, each in a
fresh HOME, under callgrind, for every interpreter given, and prints a Markdown table; then, for
the first interpreter, each framework's bare program against the same program with consent
(bench/apps/: typer, click, argparse):

    python bench/instructions.py OLD_VENV/bin/python NEW_VENV/bin/python [--runs 3]

Each interpreter must have consent and lumogon installed (a venv of a checkout). Bytecode is
compiled first, as a wheel install has it (an editable install under PYTHONDONTWRITEBYTECODE
would recompile every module on every run).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

BARE = Path(__file__).resolve().parent / "apps" / "bare_typer.py"
SCENARIOS = (
    "disabled by env",
    "disabled by config",
    "awaiting notice",
    "awaiting notice, 40 dirs deep",
    "bare typer",
)
# The deep scenario starts this many directories below its HOME, deeper than the search goes:
# the per-project search (`.lumogon/telemetry.toml` upward) then looks in 32, its limit.
DEPTH = 40


def env_for(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "LANG", "LC_ALL")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_STATE_HOME=str(home / "state"),
        XDG_CONFIG_DIRS=str(home / "etc"),
    )
    return env


def workdir(scenario: str, home: Path) -> Path | None:
    """Where the scenario starts: None is this process's own working directory."""
    if not scenario.endswith("deep"):
        return None
    deep = home.joinpath("deep", *(f"d{i}" for i in range(DEPTH)))
    deep.mkdir(parents=True, exist_ok=True)
    return deep


def command(python: str, scenario: str, home: Path) -> tuple[list[str], dict[str, str]]:
    env = env_for(home)
    if scenario == "bare typer":
        return [python, str(BARE), "version"], env
    if scenario == "disabled by env":
        env["LUMOGON_DISABLE_ANALYTICS"] = "1"
    # The console script beside the interpreter: the same entry point in every install, wherever
    # the package lives inside it.
    lumogon = str(Path(python).parent / "lumogon")
    if scenario == "disabled by config":
        subprocess.run(
            [lumogon, "telemetry", "disable"],
            env=env,
            capture_output=True,
            check=True,
            timeout=120,
        )
    return [lumogon, "version"], env


def count(argv: list[str], env: dict[str, str], work: Path, cwd: Path | None = None) -> int:
    out = work / "callgrind.out"
    subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", *argv],
        env=env,
        cwd=cwd,
        capture_output=True,
        check=True,
        timeout=600,
    )
    text = out.read_text("utf-8", "replace")
    out.unlink()
    return summary(text)


def summary(text: str) -> int:
    """The instruction count a callgrind output file gives in its summary (or totals) line."""
    match = re.search(r"^summary:\s+(\d+)", text, re.MULTILINE) or re.search(
        r"^totals:\s+(\d+)", text, re.MULTILINE
    )
    if match is None:
        raise RuntimeError("callgrind wrote no summary")
    return int(match.group(1))


def counts(pythons: list[str], runs: int) -> dict[str, list[float]]:
    """Median instructions (millions) per scenario, one entry per interpreter (NaN where a run
    failed: the table says so rather than the report being lost)."""
    rows: dict[str, list[float]] = {s: [] for s in SCENARIOS}
    for python in pythons:
        subprocess.run(
            [python, "-m", "compileall", "-q", "-j0", "-x", "bench"],
            capture_output=True,
            check=False,
        )
        for scenario in SCENARIOS:
            seen = []
            try:
                for _ in range(runs):
                    with tempfile.TemporaryDirectory() as tmp:
                        argv, env = command(python, scenario, Path(tmp))
                        where = workdir(scenario, Path(tmp))
                        seen.append(count(argv, env, Path(tmp), where))
            except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
                print(f"instructions: {python} {scenario}: {exc}", file=sys.stderr)
                rows[scenario].append(float("nan"))
                continue
            rows[scenario].append(statistics.median(seen) / 1e6)
    return rows


def consent_dir(python: str) -> str:
    """The directory of the consent package that `python` imports."""
    return subprocess.run(
        [python, "-I", "-c", "import consent, os; print(os.path.dirname(consent.__file__))"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.strip()


def describe(python: str) -> str:
    """A column's name that outlives the interpreter's path: the commit of the checkout its
    consent was installed from (an editable install), else the path, marked as an install."""
    try:
        where = consent_dir(python)
        commit = subprocess.run(
            ["git", "-C", where, "log", "-1", "--format=%h %cs"],
            capture_output=True,
            text=True,
            check=False,
            timeout=60,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return f"`{python}`"
    return f"consent at {commit}" if commit else f"`{python}` (installed consent)"


def table(pythons: list[str], rows: dict[str, list[float]]) -> list[str]:
    lines = ["| scenario | " + " | ".join(describe(p) for p in pythons) + " |"]
    lines.append("|---" * (len(pythons) + 1) + "|")
    bare = rows["bare typer"]
    for scenario, cells in rows.items():
        shown = [
            "not measured"
            if c != c
            else f"{c:.1f} M" + ("" if scenario == "bare typer" else f" ({c / b:.3f}× bare typer)")  # noqa: RUF001
            for c, b in zip(cells, bare, strict=True)
        ]
        lines.append(f"| {scenario} | " + " | ".join(shown) + " |")
    return lines


# Each adapter's disabled path (by env) against a bare program of the same framework: bench/apps/.
FRAMEWORKS = (
    ("typer", "bare_typer.py", "consent_typer.py"),
    ("click", "bare_click.py", "consent_click.py"),
    ("argparse", "bare_argparse.py", "consent_argparse.py"),
)


def framework_counts(python: str, runs: int) -> dict[str, tuple[float, float]]:
    """Median instructions (millions) of each framework's bare program and of the same program
    with consent, disabled by env, for one interpreter (this checkout's); NaN where a run
    failed."""
    apps = Path(__file__).resolve().parent / "apps"
    out: dict[str, tuple[float, float]] = {}
    for framework, bare, ours in FRAMEWORKS:
        cells = []
        for script, disabled in ((bare, False), (ours, True)):
            seen: list[float] = []
            try:
                for _ in range(runs):
                    with tempfile.TemporaryDirectory() as tmp:
                        env = env_for(Path(tmp))
                        if disabled:
                            env["LUMOGON_DISABLE_ANALYTICS"] = "1"
                        argv = [python, "-I", str(apps / script), "version"]
                        seen.append(count(argv, env, Path(tmp)))
            except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
                print(f"instructions: {framework} {script}: {exc}", file=sys.stderr)
                seen = [float("nan")]
            cells.append(statistics.median(seen) / 1e6)
        out[framework] = (cells[0], cells[1])
    return out


def framework_table(counted: dict[str, tuple[float, float]]) -> list[str]:
    lines = [
        "| framework | bare program | with consent, disabled by env | × bare |",  # noqa: RUF001
        "|---|---|---|---|",
    ]
    for framework, (bare, ours) in counted.items():
        lines.append(f"| {framework} | {bare:.1f} M | {ours:.1f} M | {ours / bare:.3f}× |")  # noqa: RUF001
    return lines


# The lean start (consent/_start.py): each framework's program with consent, the spec given as the
# object (consent_*.py) or as a lazy reference (lazy_*.py), against the bare program, in each case
# a run is off. The goals (bench/goals.py) judge the lazy reference.
FORMS = (("object", "consent_{}.py"), ("lazy reference", "lazy_{}.py"))
OFF_CASES = ("by the variable", "by the flag", "by the config", "awaiting the notice")


def _off_run(python: str, script: Path, case: str, home: Path) -> tuple[list[str], dict[str, str]]:
    """The command and environment of one off run of `script` in `home`, its files prepared."""
    env = env_for(home)
    argv = [python, "-I", str(script), "version"]
    if case == "by the variable":
        env["LUMOGON_DISABLE_ANALYTICS"] = "1"
    elif case == "by the flag":
        argv.append("--disable-analytics")
    elif case == "by the config":
        # What `lumogon telemetry disable` writes, through the same console script.
        lumogon = str(Path(python).parent / "lumogon")
        subprocess.run(
            [lumogon, "telemetry", "disable"], env=env, capture_output=True, check=True, timeout=120
        )
    return argv, env  # awaiting the notice: nothing recorded, stdin is not a terminal


def lean_counts(python: str, runs: int) -> dict[str, dict[str, float]]:
    """Median instructions (millions) per framework: "bare", and "<form>, <case>" for each spec
    form and off case; NaN where a run failed."""
    apps = Path(__file__).resolve().parent / "apps"
    subprocess.run(  # as a wheel install has it: no run compiles a module
        [python, "-m", "compileall", "-q", "-j0", "-x", "bench"], capture_output=True, check=False
    )
    out: dict[str, dict[str, float]] = {}
    for framework, bare, _ in FRAMEWORKS:
        cells: dict[str, float] = {}
        jobs = [("bare", apps / bare, "")]
        jobs += [
            (f"{form}, {case}", apps / pattern.format(framework), case)
            for form, pattern in FORMS
            for case in OFF_CASES
        ]
        for key, script, case in jobs:
            seen: list[float] = []
            try:
                # One run first, uncounted: whatever it compiles or caches (an editable install's
                # modules are not in compileall's reach) is not counted as the start's cost.
                with tempfile.TemporaryDirectory() as tmp:
                    argv, env = (
                        _off_run(python, script, case, Path(tmp))
                        if case
                        else ([python, "-I", str(script), "version"], env_for(Path(tmp)))
                    )
                    subprocess.run(argv, env=env, capture_output=True, check=True, timeout=120)
                for _ in range(runs):
                    with tempfile.TemporaryDirectory() as tmp:
                        if case:
                            argv, env = _off_run(python, script, case, Path(tmp))
                        else:
                            argv, env = [python, "-I", str(script), "version"], env_for(Path(tmp))
                        seen.append(count(argv, env, Path(tmp)))
            except (OSError, subprocess.SubprocessError, RuntimeError) as exc:
                print(f"instructions: {framework} {key}: {exc}", file=sys.stderr)
                seen = [float("nan")]
            cells[key] = statistics.median(seen) / 1e6
        out[framework] = cells
    return out


def lean_table(counted: dict[str, dict[str, float]]) -> list[str]:
    lines = [
        "| framework | spec given as | bare program | "
        + " | ".join(f"off {c}" for c in OFF_CASES)
        + " |",
        "|---" * (3 + len(OFF_CASES)) + "|",
    ]
    for framework, cells in counted.items():
        bare = cells["bare"]
        for form, _ in FORMS:
            shown = [
                f"{cells[f'{form}, {c}']:.1f} M ({cells[f'{form}, {c}'] / bare:.3f}×)"  # noqa: RUF001
                for c in OFF_CASES
            ]
            lines.append(f"| {framework} | {form} | {bare:.1f} M | " + " | ".join(shown) + " |")
    return lines


# Where an off run's instructions go: the same program, one line more at each stage (the lazy
# reference, off by the variable), so that each difference is a stage's cost. A stage that names a
# private module is a measuring tool's program, not an app's.
STAGES = {
    "argparse": (
        ("bare program", ""),
        ("+ import consent (the package)", "import consent"),
        ("+ import consent._start", "import consent._start"),
        ("+ import consent.argparse", "from consent.argparse import install, run"),
        ("+ install", "INSTALL"),
        ("+ run (the whole program)", "RUN"),
    ),
    "click": (
        ("bare program", ""),
        ("+ import consent (the package)", "import consent"),
        ("+ import consent._start", "import consent._start"),
        ("+ import consent._tree", "import consent._tree"),
        ("+ import consent.click", "from consent.click import install"),
        ("+ install and run (the whole program)", "INSTALL"),
    ),
}
# An empty package and two empty modules in it: what importing any module costs, before its code.
# Then what argparse charges for a `telemetry` subcommand, which it cannot build lazily (the
# lines are consent/argparse.py `install`'s): with the three modules, the least any start path of
# this layout costs an argparse program.
EMPTY = (
    "+ an empty package",
    "+ an empty module in it",
    "+ a second empty module",
    "+ a `telemetry` subparser taking every word",
)
TELEMETRY_SUBPARSER = """\
telemetry = commands.add_parser(
    "telemetry", help="See and change what it may send.", add_help=False, prefix_chars="\\0"
)
telemetry.add_argument("words", nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
"""


def _stage_program(framework: str, upto: int, work: Path) -> Path:
    """The bare program with the stages up to `upto` (an index of STAGES[framework])."""
    apps = Path(__file__).resolve().parent / "apps"
    last = STAGES[framework][upto][1]
    if last == "RUN" or (last == "INSTALL" and framework == "click"):
        return apps / f"lazy_{framework}.py"  # click's install and run are one line: main()
    if last == "INSTALL":
        text = (apps / f"lazy_{framework}.py").read_text("utf-8")
        text = text.replace("    run(parser, args)\n", "")
    else:
        lines = [line for _, line in STAGES[framework][1 : upto + 1]]
        text = (apps / f"bare_{framework}.py").read_text("utf-8")
        anchor = f"import {framework}\n"
        text = text.replace(anchor, anchor + "".join(f"{line}\n" for line in lines), 1)
    path = work / f"stage_{framework}_{upto}.py"
    path.write_text(text, "utf-8")
    return path


def _empty_program(upto: int, work: Path) -> Path:
    """The bare argparse program importing an empty package and `upto` empty modules of it (and
    with the `telemetry` subparser, past the modules)."""
    package = work / "emptypkg"
    package.mkdir(exist_ok=True)
    for name in ("__init__.py", "a.py", "b.py"):
        (package / name).write_text("", "utf-8")
    names = ["emptypkg", "emptypkg.a", "emptypkg.b"][: upto + 1]
    head = f"import sys\nsys.path.insert(0, {str(work)!r})\n"
    text = (Path(__file__).resolve().parent / "apps" / "bare_argparse.py").read_text("utf-8")
    text = text.replace(
        "import argparse\n", "import argparse\n" + head + "".join(f"import {n}\n" for n in names)
    )
    if upto >= 3:
        anchor = 'commands.add_parser("version", help="Print the version.")\n'
        text = text.replace(anchor, anchor + TELEMETRY_SUBPARSER, 1)
    path = work / f"empty_{upto}.py"
    path.write_text(text, "utf-8")
    return path


def stage_counts(python: str, runs: int) -> dict[str, list[tuple[str, float]]]:
    """Median instructions (millions) of each stage, per framework; and "empty": the bare
    argparse program with the path entry, then each empty module more."""
    out: dict[str, list[tuple[str, float]]] = {}
    with tempfile.TemporaryDirectory() as keep:
        work = Path(keep)
        jobs: dict[str, list[tuple[str, Path]]] = {
            fw: [(label, _stage_program(fw, i, work)) for i, (label, _) in enumerate(stages)]
            for fw, stages in STAGES.items()
        }
        base = work / "empty_base.py"
        text = (Path(__file__).resolve().parent / "apps" / "bare_argparse.py").read_text("utf-8")
        base.write_text(
            text.replace(
                "import argparse\n",
                f"import argparse\nimport sys\nsys.path.insert(0, {str(work)!r})\n",
            ),
            "utf-8",
        )
        jobs["empty"] = [("bare program, a path entry more", base)] + [
            (label, _empty_program(i, work)) for i, label in enumerate(EMPTY)
        ]
        for key, programs in jobs.items():
            rows = []
            for label, script in programs:
                seen = []
                for counted_run in range(runs + 1):  # the first, uncounted, compiles its imports
                    with tempfile.TemporaryDirectory() as tmp:
                        env = env_for(Path(tmp))
                        env["LUMOGON_DISABLE_ANALYTICS"] = "1"
                        argv = [python, "-I", str(script), "version"]
                        if counted_run == 0:
                            subprocess.run(
                                argv, env=env, capture_output=True, check=True, timeout=120
                            )
                        else:
                            seen.append(count(argv, env, Path(tmp)) / 1e6)
                rows.append((label, statistics.median(seen)))
            out[key] = rows
    return out


def stage_table(counted: dict[str, list[tuple[str, float]]]) -> list[str]:
    lines = ["| program | stage | instructions | added | × bare |", "|---|---|---|---|---|"]  # noqa: RUF001
    for key, rows in counted.items():
        bare = rows[0][1]
        previous = bare
        for label, value in rows:
            added = "" if value is bare else f"{value - previous:+.2f} M"
            lines.append(f"| {key} | {label} | {value:.2f} M | {added} | {value / bare:.4f} |")
            previous = value
    return lines


def section(
    pythons: list[str],
    runs: int = 3,
    counted: dict[str, tuple[float, float]] | None = None,
    lean: dict[str, dict[str, float]] | None = None,
) -> list[str]:
    """The report's section: instruction counts of the disabled path (bench/run.py); `counted`,
    the frameworks' counts if they were made already (framework_counts)."""
    head = [
        "## Instructions on the disabled path",
        "",
        "Instructions executed by the whole process (valgrind's callgrind; medians of "
        f"{runs} runs), for lumogon's `version` command disabled three ways, awaiting the notice "
        "once more from a working directory 40 levels deep (the per-project search looks in 32 "
        "directories, its limit), and a bare typer app. "
        "Unlike wall time, the count does not move with the load of the machine, so two installs "
        "compare exactly. Made by `bench/instructions.py`; a column per interpreter given to "
        "`bench/run.py --baseline-python`.",
        "",
    ]
    if shutil.which("valgrind") is None:
        return [*head, "Not measured: valgrind is not installed.", ""]
    frameworks = [
        "Each adapter's disabled path (by env) against a bare program of the same framework "
        "(`bench/apps/`: one `version` command, bare and with `install`; "
        f"{describe(pythons[0])}):",
        "",
        *framework_table(counted or framework_counts(pythons[0], runs)),
    ]
    lean_lines = [
        "The lean start: each framework's program with consent in every case a run is off, the "
        "spec given as the object (`bench/apps/consent_*.py`) and as a lazy reference "
        '(`bench/apps/lazy_*.py`, `"lumogon.spec:SPEC"`), against the bare program '
        "(consent/_start.py decides each of these runs before the rest of consent loads):",
        "",
        *lean_table(lean or lean_counts(pythons[0], runs)),
    ]
    return [*head, *table(pythons, counts(pythons, runs)), "", *frameworks, "", *lean_lines, ""]


STAGES_HEAD = "## Where an off run's instructions go"


def stages_section(counted: dict[str, list[tuple[str, float]]], runs: int) -> list[str]:
    return [
        STAGES_HEAD,
        "",
        "The lazy reference's program off by the variable, one line more at each stage, so that "
        "each difference is that stage's cost (callgrind, medians of "
        f"{runs} runs; `python bench/instructions.py PYTHON --stages`). The last rows: the bare "
        "argparse program importing an empty package and empty modules of it, what the import "
        "machinery costs any module before its own code runs, then with the `telemetry` "
        "subparser, which argparse builds whole: the least a start path of three modules costs "
        "an argparse program.",
        "",
        *stage_table(counted),
        "",
    ]


def _replace_section(text: str, head: str, lines: list[str], before: str) -> str:
    """`text` with the section under `head` replaced by `lines` (or inserted before the section
    `before` if it has none)."""
    new = "\n".join(lines) + "\n"
    if head in text:
        start = text.index(head)
        end = text.find("\n## ", start + 1)
        return text[:start] + new + (text[end + 1 :] if end >= 0 else "")
    at = text.index(before)
    return text[:at] + new + text[at:]


def splice(path: Path, pythons: list[str], runs: int) -> None:
    """Rewrite docs/benchmarks.md's instruction sections from fresh counts; wall-time sections
    are left as they were (they move with the machine's load)."""
    from goals import REASONS, _reason_key, instruction_rows

    counted = framework_counts(pythons[0], runs)
    lean = lean_counts(pythons[0], runs)
    stages = stage_counts(pythons[0], runs)
    text = path.read_text("utf-8")
    head = "## Instructions on the disabled path"
    after = "## One hit from a plain script"  # the section both come before, if missing
    text = _replace_section(text, head, section(pythons, runs, counted, lean), after)
    text = _replace_section(text, STAGES_HEAD, stages_section(stages, runs), after)
    lines = text.split("\n")
    for row in instruction_rows(counted, lean):
        goal = row.split(" | ")[0] + " | "
        at = next((i for i, line in enumerate(lines) if line.startswith(goal)), None)
        if at is not None:
            lines[at] = row
    for key in {_reason_key(row.split(" | ")[0]) for row in instruction_rows(counted, lean)}:
        at = next((i for i, line in enumerate(lines) if line.startswith(f"- **{key}:** ")), None)
        if at is not None and key:
            lines[at] = f"- **{key}:** {REASONS[key]}"
    path.write_text("\n".join(lines), "utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pythons", nargs="+", help="interpreters with consent installed")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument(
        "--lean",
        action="store_true",
        help="only the lean start's table (each framework, each off case)",
    )
    parser.add_argument(
        "--stages",
        action="store_true",
        help="only where an off run's instructions go, stage by stage (argparse, click)",
    )
    parser.add_argument(
        "--docs",
        type=Path,
        metavar="BENCHMARKS_MD",
        help="rewrite the instruction sections of this page (docs/benchmarks.md) in place: this "
        "section, the stages, and the goals table's rows judged in instructions",
    )
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    if args.docs is not None:
        splice(args.docs, args.pythons, args.runs)
        return 0
    if args.stages:
        print("\n".join(stage_table(stage_counts(args.pythons[0], args.runs))))
        return 0
    if args.lean:
        print("\n".join(lean_table(lean_counts(args.pythons[0], args.runs))))
        return 0
    print("\n".join(table(args.pythons, counts(args.pythons, args.runs))))
    print()
    print("\n".join(framework_table(framework_counts(args.pythons[0], args.runs))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
