"""The benchmark's one entry command.

    python bench/run.py [--quick] [--runs N] [--only GROUP] [--out docs/benchmarks.md]

Creates bench/.venv-peers and installs the peers from PyPI (not with --quick), starts the three
loopback sinks, runs every group of bench/scenarios.py interleaved, and writes the Markdown
report. What is measured and how: bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from goals import section as goals_section
from growth import section as growth_section
from instructions import framework_counts, lean_counts, stage_counts, stages_section
from instructions import section as instructions_section
from onehit import counts as onehit_counts
from onehit import section as onehit_section
from procs import Runner
from report import Meta, Record, load_average, render
from scenarios import GROUPS, PEERS, ROOT, Context, Group, Peer, Scenario
from sinks import Sinks

PEERS_VENV = ROOT / "bench" / ".venv-peers"
WORK = ROOT / "bench" / ".work"  # scratch: private HOMEs and cwd, one dir per run (gitignored)
PIP_TIMEOUT_S = 600
RETIRE_AFTER_TIMEOUTS = 2  # a scenario that hit the hard timeout this often is not run again
SINK_SETTLE_S = 0.5  # after a run: bounded wait for the sink to see every connection close


def log(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- peers venv


@dataclass
class PeerState:
    ok: bool
    detail: str  # installed version, or why it cannot be used


def _venv_python() -> Path:
    return PEERS_VENV / "bin" / "python"


_PROBE = """
import importlib, importlib.metadata, json, sys
out = {}
for key, dist, module in json.loads(sys.argv[1]):
    try:
        version = importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        out[key] = [None, "not installed"]
        continue
    try:
        importlib.import_module(module)
    except BaseException as exc:
        out[key] = [version, f"import {module} failed: {type(exc).__name__}: {exc}"]
        continue
    out[key] = [version, ""]
print("BENCH-PROBE", json.dumps(out))
"""


def _probe(peers: list[Peer]) -> dict[str, tuple[str | None, str]]:
    arg = json.dumps([[p.key, p.dist, p.module] for p in peers])
    proc = subprocess.run(
        [str(_venv_python()), "-c", _PROBE, arg],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    # Some imports log to stdout (kedro configures rich logging on import): find our line.
    line = [ln for ln in proc.stdout.splitlines() if ln.startswith("BENCH-PROBE ")][-1]
    raw: dict[str, list[str | None]] = json.loads(line.removeprefix("BENCH-PROBE "))
    return {k: (v[0], v[1] or "") for k, v in raw.items()}


def _pip_reason(output: str) -> str:
    """The line of pip's output that says what went wrong."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    lines = [ln for ln in lines if "is ignored: it is neither" not in ln]  # local pip config noise
    for pattern in (r"^\w+(Error|Exception): ", r"^ERROR: ", r"^error: "):
        hits = [ln for ln in lines if re.search(pattern, ln)]
        if hits:
            return hits[0][:300]
    return lines[-1][:300] if lines else "no output"


def ensure_peers() -> tuple[dict[str, PeerState], str | None]:
    """Create the venv if needed, install missing or wrong-version peers one by one."""
    states: dict[str, PeerState] = {}
    if not _venv_python().exists():
        log(f"creating {PEERS_VENV.relative_to(ROOT)} ...")
        proc = subprocess.run(
            [sys.executable, "-m", "venv", str(PEERS_VENV)],
            capture_output=True,
            text=True,
            timeout=PIP_TIMEOUT_S,
            check=False,
        )
        if proc.returncode != 0:
            reason = f"could not create the peers venv: {_pip_reason(proc.stderr + proc.stdout)}"
            return {k: PeerState(False, reason) for k in PEERS}, None
    peers = list(PEERS.values())
    try:
        found = _probe(peers)
    except (subprocess.SubprocessError, IndexError, ValueError) as exc:
        reason = f"the peers venv does not work ({type(exc).__name__}); delete it to rebuild"
        return {k: PeerState(False, reason) for k in PEERS}, None
    for peer in peers:
        version, _error = found[peer.key]
        wanted = peer.requirement.split("==", 1)[-1]
        if version == wanted:
            continue
        log(f"pip install {peer.requirement} ...")
        proc = subprocess.run(
            [
                str(_venv_python()),
                "-m",
                "pip",
                "install",
                "--disable-pip-version-check",
                peer.requirement,
            ],
            capture_output=True,
            text=True,
            timeout=PIP_TIMEOUT_S,
            check=False,
        )
        if proc.returncode != 0:
            why = f"pip install failed: {_pip_reason(proc.stdout + proc.stderr)}"
            if peer.known_issue:
                why += f" — {peer.known_issue}"
            states[peer.key] = PeerState(False, why)
    found = _probe(peers)
    for peer in peers:
        if peer.key in states:
            continue
        version, error = found[peer.key]
        if error:
            why = error + (f" — {peer.known_issue}" if peer.known_issue else "")
            states[peer.key] = PeerState(False, why)
        else:
            states[peer.key] = PeerState(True, str(version))
    py = subprocess.run(
        [str(_venv_python()), "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    ).stdout.strip()
    return states, f"CPython {py} ({_venv_python().relative_to(ROOT)})"


# ---------------------------------------------------------------- scenarios


def _bin() -> Path:
    # Not resolved: a venv's bin/python is a symlink, and the console scripts sit beside it.
    return Path(sys.executable).parent


def _fill(text: str, python: str) -> str:
    return text.format(python=python, bin=_bin(), root=ROOT)


def _shown(path: str) -> str:
    p = Path(path)
    return str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else path


def _interpreter(scn: Scenario) -> str:
    return str(_venv_python()) if scn.interpreter == "peers" else sys.executable


def _home(scratch: Path, group: Group, scn: Scenario) -> Path:
    slug = re.sub(r"[^A-Za-z0-9]+", "-", scn.name).strip("-").lower()
    return scratch / "home" / group.name / slug


def _base_env(home: Path) -> dict[str, str]:
    """A clean env: no DO_NOT_TRACK, no CI markers, nothing of the caller's HOME."""
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
    }
    for sub in (".config", ".local/share", ".cache", ".local/state"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    return env


def consent_origin() -> str:
    """Why consent's scenarios cannot run with the harness's interpreter, or "" if they can."""
    proc = subprocess.run(
        # -I: no cwd on sys.path, so we see what a console script or a bench script sees.
        [sys.executable, "-I", "-c", "import consent; print(consent.__file__)"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if proc.returncode != 0:
        return f"{sys.executable} cannot import consent (`pip install -e . -e ./lumogon` into it)"
    where = Path(proc.stdout.strip()).resolve().parent
    if where != ROOT / "consent":
        return (
            f"the harness's interpreter imports consent from {where}, not from this checkout "
            "(`pip install -e . -e ./lumogon` into it)"
        )
    return ""


def classify(
    group: Group,
    scn: Scenario,
    peers: dict[str, PeerState] | None,
    quick: bool,
    consent_problem: str,
) -> Record:
    rec = Record(group=group, scenario=scn)
    python = _interpreter(scn)
    missing = [r for r in scn.requires if not Path(_fill(r, python)).exists()]
    if missing:
        rec.status = "pending"
        rec.reason = "not there yet: " + ", ".join(_shown(_fill(m, python)) for m in missing)
    elif scn.consent and consent_problem:
        rec.status, rec.reason = "pending", consent_problem
    elif scn.interpreter == "peers" and peers is None:
        rec.status = "skipped"
        rec.reason = "--quick: no peers venv" if quick else "--no-peers"
    elif scn.peer is not None and peers is not None and not peers[scn.peer].ok:
        rec.status, rec.reason = "failed", peers[scn.peer].detail
    return rec


# ---------------------------------------------------------------- the run


@dataclass
class Prepared:
    argv: list[str]
    env: dict[str, str]
    cwd: str | None = None  # where the command starts, if not the empty working directory


def prepare(records: list[Record], sinks: Sinks, scratch: Path) -> dict[int, Prepared]:
    """Resolve argv and env, and run setup hooks (before the Runner exists: see procs.Runner)."""
    prepared: dict[int, Prepared] = {}
    for rec in records:
        if rec.status != "measured":
            continue
        scn = rec.scenario
        home = _home(scratch, rec.group, scn)
        env = _base_env(home)
        python = _interpreter(scn)
        # No network wanted: point at the ok sink anyway, to catch (and count) a stray send.
        url = sinks.by_name(scn.network or "ok").url
        env["BENCH_ENDPOINT"] = url
        if scn.endpoint_env:
            env[scn.endpoint_env] = url
        if scn.proxy_env:
            env[scn.proxy_env] = url
        env.update(scn.env)
        if scn.setup is not None:
            try:
                scn.setup(Context(home=home, env=dict(env), python=python, bin=_bin()))
            except Exception as exc:
                rec.status, rec.reason = "failed", f"setup failed: {type(exc).__name__}: {exc}"
                continue
        cwd = None
        if scn.depth:
            deep = scratch.joinpath("cwd", *(f"d{i}" for i in range(scn.depth)))
            deep.mkdir(parents=True, exist_ok=True)
            cwd = str(deep)
        prepared[id(rec)] = Prepared([_fill(a, python) for a in scn.argv], env, cwd)
    return prepared


def run_group(
    group: Group,
    records: list[Record],
    prepared: dict[int, Prepared],
    runner: Runner,
    sinks: Sinks,
    runs: int,
    warmup: int,
    timeout_s: float,
    loads: list[str],
) -> None:
    active = [r for r in records if r.status == "measured"]
    timeouts = {r.name: 0 for r in active}
    total = warmup + runs
    for rnd in range(total):
        label = "warm-up" if rnd < warmup else f"run {rnd - warmup + 1}/{runs}"
        for rec in active:
            if rec.retired:
                continue
            sink = sinks.by_name(rec.scenario.network or "ok")
            before = sink.stats().requests
            job = prepared[id(rec)]
            # posix_spawn starts the command in the harness's working directory.
            here = os.getcwd()
            if job.cwd:
                os.chdir(job.cwd)
            try:
                result = runner.run(job.argv, job.env, timeout_s)
            finally:
                os.chdir(here)
            sink.wait_idle(SINK_SETTLE_S)
            hits = sink.stats().requests - before
            if result.timed_out:
                timeouts[rec.name] += 1
            if rnd >= warmup:
                rec.runs.append(result)
                rec.rounds.append(rnd)
                rec.hits.append(hits)
            if timeouts[rec.name] >= RETIRE_AFTER_TIMEOUTS:
                rec.retired = (
                    f"timed out in {timeouts[rec.name]} runs (warm-up included); not run again"
                )
                if not rec.runs:  # only warm-ups so far: keep one timed-out run as the record
                    rec.runs.append(result)
                    rec.rounds.append(rnd)
                    rec.hits.append(hits)
            wall = "> timeout" if result.wall_s is None else f"{result.wall_s:.3f} s"
            log(f"[{group.name} {label}] {rec.name}: {wall}, {hits} requests at the sink")
        loads.append(load_average())  # once a round: the report gives the highest seen


def _command(args: argparse.Namespace) -> str:
    words = ["python", "bench/run.py"]
    if args.quick:
        words.append("--quick")
    if args.runs is not None:
        words += ["--runs", str(args.runs)]
    for g in args.only or []:
        words += ["--only", g]
    if args.timeout != 30.0:
        words += ["--timeout", f"{args.timeout:g}"]
    if args.no_peers:
        words.append("--no-peers")
    for python in args.baseline_python:
        words += ["--baseline-python", python]
    out = Path(args.out)
    shown = out.resolve().relative_to(ROOT) if out.resolve().is_relative_to(ROOT) else out
    words += ["--out", str(shown)]
    return shlex.join(words)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    names = [g.name for g in GROUPS]
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument(
        "--quick",
        action="store_true",
        help="each scenario once, no warm-up, no peers venv (CI smoke test)",
    )
    p.add_argument(
        "--runs", type=int, default=None, help="measured runs each (default 10; 1 quick)"
    )
    p.add_argument("--only", action="append", choices=names, help="run only this group (repeat)")
    p.add_argument("--out", default=str(ROOT / "docs" / "benchmarks.md"), help="report file")
    p.add_argument("--timeout", type=float, default=30.0, help="hard timeout per run, seconds")
    p.add_argument("--no-peers", action="store_true", help="do not create or use the peers venv")
    p.add_argument(
        "--baseline-python",
        action="append",
        default=[],
        metavar="PYTHON",
        help="another install's interpreter: a column in the instruction counts (repeat)",
    )
    args = p.parse_args(argv)
    if args.runs is not None and args.runs < 1:
        p.error("--runs must be >= 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    loads = [load_average()]
    command = _command(args)
    # --quick is the suite's smoke test (tests/e2e/test_bench_quick.py): every scenario once, no
    # warm-up, since most of its time is waiting for detached senders to give up (3 s each).
    runs = args.runs if args.runs is not None else (1 if args.quick else 10)
    warmup = 0 if args.quick else 1
    groups = [g for g in GROUPS if not args.only or g.name in args.only]

    peers: dict[str, PeerState] | None = None
    peers_python = None
    if not (args.quick or args.no_peers):
        peers, peers_python = ensure_peers()

    out = Path(args.out).resolve()
    # Fresh state for every report, private to this invocation (two harnesses may run at once).
    scratch = WORK / f"run-{os.getpid()}"
    shutil.rmtree(scratch, ignore_errors=True)
    # Scenarios start in an empty directory: not the checkout, whose consent/ would otherwise
    # shadow the installed one for `python -c` commands.
    (scratch / "cwd").mkdir(parents=True)
    os.chdir(scratch / "cwd")
    consent_problem = consent_origin()
    records = [
        classify(g, s, peers, args.quick, consent_problem) for g in groups for s in g.scenarios
    ]

    # The sinks outlive the longest possible harness run, then stop by themselves.
    n = sum(len(g.scenarios) for g in groups)
    with Sinks(lifetime_s=n * (runs + warmup) * (args.timeout + 10) + 60) as sinks:
        prepared = prepare(records, sinks, scratch)
        runner = Runner()  # from here on the harness reaps every child: no other subprocesses
        try:
            for group in groups:
                recs = [r for r in records if r.group is group]
                run_group(group, recs, prepared, runner, sinks, runs, warmup, args.timeout, loads)
        finally:
            runner.close()
    growth = [] if args.only else growth_section(scratch / "growth", args.quick)
    pythons = [sys.executable, *args.baseline_python]
    # Each adapter's disabled path in instructions (a measure the machine's load does not move),
    # made once: the goals judge it and the instructions section shows it.
    counted = lean = onehit = None
    if not (args.only or args.quick) and shutil.which("valgrind") is not None:
        counted = framework_counts(sys.executable, 3)
        lean = lean_counts(sys.executable, 3)
        onehit = onehit_counts(sys.executable, 3)
    instructions = (
        [] if args.only or args.quick else instructions_section(pythons, 3, counted, lean)
    )
    if instructions:
        instructions += stages_section(stage_counts(sys.executable, 3), 3)
        instructions += onehit_section(sys.executable, 3, 15, onehit)

    meta = Meta(
        command=command,
        runs=runs,
        warmup=warmup,
        timeout_s=args.timeout,
        quick=args.quick,
        subreaper=runner.subreaper,
        peers_python=peers_python,
        peer_versions={
            k: (s.detail if s.ok else f"failed: {s.detail}") for k, s in (peers or {}).items()
        },
        duration_s=time.perf_counter() - started,
        loads=[*loads, load_average()],
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    extra = [*goals_section(records, counted, lean, onehit), *growth, *instructions]
    out.write_text(render(meta, groups, records) + "\n".join(extra), encoding="utf-8")
    os.chdir(ROOT)
    shutil.rmtree(scratch, ignore_errors=True)
    log(f"wrote {out} in {meta.duration_s:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
