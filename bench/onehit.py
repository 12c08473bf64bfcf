"""One hit from a plain script (`record_event`) against the stdlib floor, two ways.

The floor (bench/peers/stdlib_detached.py) hands one hit to a detached stdlib child and exits;
bench/apps/consent_api.py sends one hit through consent's public API. The host's cost is the
parent process until it exits, in each endpoint behaviour (ok, blackhole, refused):

- **instructions** of the parent process alone (valgrind's callgrind without
  --trace-children: the detached child runs natively and is not counted). This is the goal's
  measure: it does not move with the machine's load, and it must not move with the network
  either, since the parent never waits on it.
- **wall time** until the parent exits, floor and consent alternating (one pair a round, after
  one uncounted pair), each run waited for to the end, the sender it left behind included, so
  that no run's child competes with the next run; the medians of the per-pair ratios, with
  the machine's load beside them (several processes share its cores).

    python bench/onehit.py [--runs 3] [--pairs 15] [--only ok]
"""

from __future__ import annotations

import argparse
import glob
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from goals import floor_rows
from instructions import env_for, summary
from procs import Runner
from report import TIMES as X
from scenarios import NETWORKS
from sinks import BlackholeSink, OkSink, RefusedSink, Sinks

ROOT = Path(__file__).resolve().parent.parent
FLOOR = ROOT / "bench" / "peers" / "stdlib_detached.py"
CONSENT = ROOT / "bench" / "apps" / "consent_api.py"
CONSENT_GA4 = ROOT / "bench" / "apps" / "consent_api_ga4.py"
SPAWN_FLOOR = ROOT / "bench" / "peers" / "stdlib_spawn.py"
SENDERS = (("floor", FLOOR), ("consent", CONSENT))
# Counted beside them, not timed: the same script as a GA4 app (a JSON body), and the floor's own
# child started without subprocess.
COUNTED = (*SENDERS, ("consent, GA4", CONSENT_GA4), ("spawn floor", SPAWN_FLOOR))
SETTLE_S = 5.0  # after a run: bounded wait for the sink to see the run's connections close


def _prepare(python: str, home: Path, script: Path, url: str) -> dict[str, str]:
    """The environment of one sender's runs in `home`, consent recorded for consent's."""
    env = env_for(home)
    env["BENCH_ENDPOINT"] = url
    if script in (CONSENT, CONSENT_GA4):
        subprocess.run(
            [python, str(script), "--enable"], env=env, capture_output=True, check=True, timeout=120
        )
    return env


def parent_count(argv: list[str], env: dict[str, str], work: Path) -> int:
    """Instructions of the process started with `argv` alone: callgrind names its output after
    each pid, and a process it starts runs natively (no --trace-children)."""
    for old in glob.glob(str(work / "cg.*")):
        os.unlink(old)
    proc = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={work}/cg.%p", *argv],
        env=env,
        cwd=work,
        capture_output=True,
        check=True,
        timeout=600,
    )
    del proc
    outs = sorted(glob.glob(str(work / "cg.*")))
    # One file: the parent's (a fork that runs Python before exec would leave a second one).
    if len(outs) != 1:
        raise RuntimeError(f"callgrind wrote {len(outs)} outputs, not the parent's alone")
    return summary(Path(outs[0]).read_text("utf-8", "replace"))


def _arrived(sink: OkSink | BlackholeSink | RefusedSink, want: int) -> None:
    """Wait, bounded, until the sink has seen `want` requests in all (the detached senders
    connect after their parents exit) and no connection is open."""
    end = time.monotonic() + SETTLE_S
    while sink.stats().requests < want and time.monotonic() < end:
        time.sleep(0.01)
    sink.wait_idle(max(0.0, end - time.monotonic()))


def counts(python: str, runs: int, nets: tuple[str, ...] = NETWORKS) -> dict[str, dict[str, float]]:
    """Median instructions (millions) of each sender's parent, per endpoint behaviour; and the
    requests the ok sink got from them ("<name> hits")."""
    subprocess.run(  # as a wheel install has it: no run compiles a module
        [python, "-m", "compileall", "-q", "-j0", "-x", "bench"], capture_output=True, check=False
    )
    out: dict[str, dict[str, float]] = {}
    with Sinks(lifetime_s=3600) as sinks:
        for net in nets:
            sink = sinks.by_name(net)
            cells: dict[str, float] = {}
            for name, script in COUNTED:
                with tempfile.TemporaryDirectory() as tmp:
                    env = _prepare(python, Path(tmp), script, sink.url)
                    argv = [python, str(script)]
                    # One run first, uncounted: whatever it caches is not the sending's cost.
                    start = sink.stats().requests
                    subprocess.run(argv, env=env, cwd=tmp, capture_output=True, check=True)
                    _arrived(sink, start + 1)
                    before = sink.stats().requests
                    seen = [parent_count(argv, env, Path(tmp)) for _ in range(runs)]
                    _arrived(sink, before + runs)
                    cells[name] = statistics.median(seen) / 1e6
                    cells[f"{name} hits"] = sink.stats().requests - before
            out[net] = cells
    return out


def walls(python: str, pairs: int, nets: tuple[str, ...] = NETWORKS) -> dict[str, dict[str, float]]:
    """Per endpoint behaviour: each sender's median wall time until its parent exits (seconds),
    the median of the per-pair ratios, and the highest 1-minute load average seen."""
    out: dict[str, dict[str, float]] = {}
    with Sinks(lifetime_s=3600) as sinks, tempfile.TemporaryDirectory() as tmp:
        envs = {}
        for net in nets:
            for name, script in SENDERS:
                home = Path(tmp) / f"{net}-{name}"
                home.mkdir()
                envs[net, name] = _prepare(python, home, script, sinks.by_name(net).url)
        runner = Runner()  # from here on it reaps every child: no other subprocess
        try:
            for net in nets:
                times: dict[str, list[float]] = {name: [] for name, _ in SENDERS}
                loads = []
                for rnd in range(pairs + 1):
                    # Alternate which goes first, so that neither always follows the other.
                    order = SENDERS if rnd % 2 else SENDERS[::-1]
                    for name, script in order:
                        got = runner.run([python, str(script)], envs[net, name], 60.0)
                        if got.wall_s is None:
                            raise RuntimeError(f"{name} in {net} did not exit within 60 s")
                        if rnd:
                            times[name].append(got.wall_s)
                    loads.append(os.getloadavg()[0])
                ratios = [c / f for c, f in zip(times["consent"], times["floor"], strict=True)]
                out[net] = {
                    "floor": statistics.median(times["floor"]),
                    "consent": statistics.median(times["consent"]),
                    "ratio": statistics.median(ratios),
                    "load": max(loads),
                }
        finally:
            runner.close()
    return out


def table(
    counted: dict[str, dict[str, float]], timed: dict[str, dict[str, float]] | None
) -> list[str]:
    lines = [
        f"| endpoint | floor: instructions | consent: instructions | {X} floor (the goal's "
        f"measure) | floor: wall | consent: wall | {X} floor, wall (median of pairs) | load "
        f"(1 min) | consent as a GA4 app: instructions ({X} floor) | the floor's child by "
        "posix_spawn: instructions |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for net, cells in counted.items():
        wall = (timed or {}).get(net)
        shown = (
            [
                f"{wall['floor'] * 1000:.1f} ms",
                f"{wall['consent'] * 1000:.1f} ms",
                f"{wall['ratio']:.2f}{X}",
                f"{wall['load']:.1f}",
            ]
            if wall
            else ["not measured"] * 4
        )
        ga4, spawn = cells.get("consent, GA4"), cells.get("spawn floor")
        shown.append(
            "not measured" if ga4 is None else f"{ga4:.1f} M ({ga4 / cells['floor']:.3f}{X})"
        )
        shown.append("not measured" if spawn is None else f"{spawn:.1f} M")
        lines.append(
            f"| {net} | {cells['floor']:.1f} M | {cells['consent']:.1f} M | "
            f"{cells['consent'] / cells['floor']:.3f}{X} | " + " | ".join(shown) + " |"
        )
    return lines


def section(
    python: str,
    runs: int = 3,
    pairs: int = 15,
    counted: dict[str, dict[str, float]] | None = None,
    timed: dict[str, dict[str, float]] | None = None,
) -> list[str]:
    """The report's section (bench/run.py); `counted` and `timed` when measured already."""
    head = [
        "## One hit from a plain script, against the stdlib floor",
        "",
        "`bench/apps/consent_api.py` (`record_event`, consent recorded) and the floor "
        "(`bench/peers/stdlib_detached.py`: a detached stdlib child gets the hit on a pipe), "
        "each endpoint behaviour. Instructions: the parent process alone (callgrind, no "
        f"--trace-children; medians of {runs} runs after one uncounted run), the goal's measure. "
        f"Wall time: until the parent exits, {pairs} pairs alternating floor and consent, each "
        "run finished (its sender included) before the next; medians of the per-pair ratios, "
        "with the highest load average seen during the pairs. The GA4 column counts the same "
        "script as a GA4 app (`bench/apps/consent_api_ga4.py`: a JSON body). The last column counts the "
        "floor's parent once more with its child started by `os.posix_spawn` "
        "(`bench/peers/stdlib_spawn.py`), as consent/_wire/gate.py starts the sender: the floor "
        "itself spends about 48 M of its instructions importing subprocess. Made by "
        "`bench/onehit.py`.",
        "",
    ]
    if shutil.which("valgrind") is None:
        return [*head, "Not measured: valgrind is not installed.", ""]
    counted = counted or counts(python, runs)
    if timed is None and pairs:
        timed = walls(python, pairs, tuple(counted))
    got = [f"{net}: {c['consent hits']:g} of {runs}" for net, c in counted.items() if net == "ok"]
    note = f"Hits that reached the ok sink from consent's counted runs: {', '.join(got)}."
    return [*head, *table(counted, timed), "", *([note, ""] if got else [])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("python", nargs="?", default=sys.executable)
    parser.add_argument("--runs", type=int, default=3, help="callgrind runs per sender and case")
    parser.add_argument("--pairs", type=int, default=15, help="wall-time pairs per case (0: none)")
    parser.add_argument("--only", action="append", choices=NETWORKS, help="one endpoint (repeat)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind)", file=sys.stderr)
        return 2
    nets = tuple(args.only or NETWORKS)
    counted = counts(args.python, args.runs, nets)
    timed = walls(args.python, args.pairs, nets) if args.pairs else None
    print("\n".join(section(args.python, args.runs, args.pairs, counted, timed)))
    rows = [
        row
        for net in nets
        for row in floor_rows(net, counted, (timed or {}).get(net, {}).get("ratio"))
    ]
    print("\n".join(["Goal rows (bench/goals.py):", "", *rows]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
