"""Statistics over the recorded runs, and the Markdown report (generated, never hand-edited)."""

from __future__ import annotations

import datetime as dt
import math
import os
import platform
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from procs import RunResult
from scenarios import NETWORKS, Group, Scenario

INF = math.inf
TIMES = "\u00d7"  # the multiplication sign, written so that ruff sees no look-alike
DASH = "\u2013"  # en dash, for ranges


@dataclass
class Record:
    """Everything measured (or why nothing was) for one scenario in one group."""

    group: Group
    scenario: Scenario
    status: str = "measured"  # measured | pending | failed | skipped
    reason: str = ""
    runs: list[RunResult] = field(default_factory=list)  # measured rounds, warm-up excluded
    rounds: list[int] = field(default_factory=list)  # the round of each run, for pairing
    hits: list[int] = field(default_factory=list)  # requests the sink got during each run
    retired: str = ""  # why it stopped being run before the last round

    @property
    def name(self) -> str:
        return self.scenario.name

    def walls(self) -> list[float]:
        return [INF if r.wall_s is None else r.wall_s for r in self.runs]

    def trees(self) -> list[float]:
        return [INF if r.tree_s is None else r.tree_s for r in self.runs]

    def closes(self) -> list[float]:
        return [INF if r.output_closed_s is None else r.output_closed_s for r in self.runs]


@dataclass
class Meta:
    """Facts about this run of the harness, for the report's header."""

    command: str
    runs: int
    warmup: int
    timeout_s: float
    quick: bool
    subreaper: bool
    peers_python: str | None
    peer_versions: dict[str, str]  # peer key -> installed version, or the reason it failed
    duration_s: float = 0.0
    # 1-minute load averages at start, after each round, at end: other work skews timings.
    loads: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- statistics


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else math.nan


def ratio_median(rec: Record, base: Record | None) -> float:
    """Median of per-round ratios: each run divided by the baseline's run of the same round."""
    if base is None or not rec.runs:
        return math.nan
    base_by_round = dict(zip(base.rounds, base.walls(), strict=True))
    ratios = []
    for rnd, wall in zip(rec.rounds, rec.walls(), strict=True):
        b = base_by_round.get(rnd)
        if b is None or b == INF or b <= 0:
            continue
        ratios.append(wall / b)
    return median(ratios)


def pick_baseline(group: Group, records: Sequence[Record]) -> Record | None:
    measured = {r.name: r for r in records if r.status == "measured" and r.runs}
    for name in group.baseline:
        rec = measured.get(name)
        if rec is not None and median(rec.walls()) != INF:
            return rec
    return None


# ---------------------------------------------------------------- formatting


def fmt_s(value: float, timeout_s: float) -> str:
    if math.isnan(value):
        return "—"
    if value == INF:
        return f"> {timeout_s:g} s"
    if value < 1:
        return f"{value:.3f} s"
    if value < 10:
        return f"{value:.2f} s"
    return f"{value:.1f} s"


def fmt_range(values: Sequence[float], timeout_s: float) -> str:
    if not values:
        return "—"
    lo, hi = min(values), max(values)
    return f"{fmt_s(lo, timeout_s)} {DASH} {fmt_s(hi, timeout_s)}"


def fmt_ratio(value: float, rec: Record, base: Record | None, timeout_s: float) -> str:
    if base is None or math.isnan(value):
        return "—"
    if rec is base:
        return "1 (baseline)"
    if value == INF:
        return f"> {timeout_s / median(base.walls()):,.0f}{TIMES}"
    if value < 10:
        return f"{value:.2f}{TIMES}"
    return f"{value:,.0f}{TIMES}"


def fmt_mb(kb: float) -> str:
    return f"{kb / 1024:.0f} MB" if kb else "—"


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(cell(c) for c in row) + " |" for row in rows]
    return lines


def error_note(rec: Record) -> str:
    """The last line a failing run printed (usually the exception), to say *why* it failed."""
    for run in rec.runs:
        if run.exit_code not in (0, None):
            lines = [ln for ln in run.output_tail.decode("utf-8", "replace").splitlines() if ln]
            if lines:
                # Ports change every run; keep the report stable.
                last = re.sub(r"(127\.0\.0\.1:|port=)\d+", r"\1PORT", lines[-1])
                return "`" + (last[:110] + "…" if len(last) > 111 else last) + "`"
    return ""


def exit_cell(rec: Record) -> str:
    codes = [r.exit_code for r in rec.runs if not r.timed_out]
    bad = [c for c in codes if c != 0]
    if not codes:
        return "—"
    if not bad:
        return "0"
    common = max(set(bad), key=bad.count)
    return f"{common} ({len(bad)}/{len(codes)})"


def hits_cell(rec: Record) -> str:
    # network None: the endpoint pointed at the ok sink as a trap for stray sends.
    net = rec.scenario.network or "ok"
    if net == "refused":
        return "—"
    runs = len(rec.hits)
    total = sum(rec.hits)
    with_hit = sum(1 for h in rec.hits if h > 0)
    text = f"{total} in {runs} run{'s' if runs != 1 else ''}"
    if net == "ok" and rec.scenario.expect_hit and with_hit < runs:
        text += f" ⚠ {runs - with_hit} runs delivered nothing"
    if net == "ok" and not rec.scenario.expect_hit and total:
        text += " ⚠ sent although it should not"
    return text


def left_behind_cell(rec: Record, timeout_s: float) -> str:
    counts = [r.background for r in rec.runs]
    if not counts or max(counts) == 0:
        return "none"
    n = max(counts)
    rss = fmt_mb(median([r.bg_maxrss_kb for r in rec.runs]))
    gone = fmt_s(median(rec.trees()), timeout_s)
    return f"{n} process{'es' if n > 1 else ''} ({rss}), gone at {gone}"


# ---------------------------------------------------------------- machine


def load_average() -> str:
    try:
        with open("/proc/loadavg", encoding="utf-8") as fh:
            return fh.read().split()[0]
    except OSError:
        return "?"


def load_text(loads: Sequence[str]) -> str:
    known = [float(x) for x in loads if x != "?"]
    if not known:
        return "?"
    return (
        f"{known[0]:.2f} at start, {max(known):.2f} at most (sampled after each round), "
        f"{known[-1]:.2f} at end; on 2 cores, other work on the machine inflates the timings"
    )


def machine() -> list[tuple[str, str]]:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.lower().startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
                    break
    except OSError:
        pass
    os_name = platform.system()
    try:
        with open("/etc/os-release", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("PRETTY_NAME="):
                    os_name = line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return [
        ("CPU", cpu),
        ("cores", str(os.cpu_count())),
        ("memory", mem),
        ("OS", f"{os_name}, kernel {platform.release()} ({platform.machine()})"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
    ]


# ---------------------------------------------------------------- the report


METHOD = """\
How this was measured (see `bench/README.md` for the details):

- Every scenario is one whole process, started with `posix_spawn` (stdin on /dev/null,
  stdout+stderr on a pipe the harness drains) and timed with `time.perf_counter` from spawn to
  exit. Scenarios of a group run interleaved (A B C A B C …), after one warm-up round that is
  not counted; the ratio is taken per round against the group's baseline, then the median of
  those ratios.
- **host exits**: spawn → the command's own process exited (what a shell prompt waits for).
- **last process exits**: spawn → the last process it left behind exited. The harness is a
  child subreaper, so every orphan (detached or not) is re-parented to it and reaped by it.
- **output closed**: spawn → every holder of the command's stdout/stderr closed it (what
  `$(cmd)` or `cmd | tee log` waits for).
- **peak RSS**: of the command's own process (`wait4`), not of what it left behind.
- **sink**: requests that reached the loopback endpoint during the run. ok answers 200 at once;
  blackhole accepts and never answers; refused has nothing listening.
- A run that passes the hard timeout is killed, tree and all, and shown as "> timeout"; a
  scenario that times out twice is not run again (its median is then "> timeout").
"""


def render(meta: Meta, groups: Sequence[Group], records: Sequence[Record]) -> str:
    t = meta.timeout_s
    now = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out: list[str] = [
        "# Benchmarks",
        "",
        "<!-- Generated by bench/run.py; do not edit by hand: run it again. -->",
        "",
        f"Generated {now} by `{meta.command}` "
        f"({meta.runs} runs per scenario after {meta.warmup} warm-up, "
        f"hard timeout {t:g} s, whole harness {meta.duration_s:.0f} s).",
        "",
        "Reproduce with:",
        "",
        "```sh",
        meta.command,
        "```",
        "",
        "## Machine",
        "",
        *table(
            ("what", "value"),
            [
                *machine(),
                ("peers' Python", meta.peers_python or "— (no peers venv)"),
                ("date", now),
                ("load average (1 min)", load_text(meta.loads)),
                (
                    "background processes",
                    "tracked (harness is a child subreaper)"
                    if meta.subreaper
                    else "NOT tracked: no PR_SET_CHILD_SUBREAPER on this OS",
                ),
            ],
        ),
        "",
        "## Method",
        "",
        METHOD,
    ]
    by_group: dict[str, list[Record]] = {}
    for rec in records:
        by_group.setdefault(rec.group.name, []).append(rec)

    net_groups = [g for g in groups if g.name.startswith("net-")]
    if net_groups:
        out += summary(net_groups, by_group, t)

    for group in groups:
        recs = [r for r in by_group.get(group.name, []) if r.status == "measured" and r.runs]
        base = pick_baseline(group, recs)
        out += [f"## {group.title} (`{group.name}`)", "", group.description, ""]
        out.append(
            f"Baseline: **{base.name}**." if base else "Baseline: none measured in this run."
        )
        out.append("")
        if not recs:
            out += ["Nothing measured in this group.", ""]
            continue
        header = [
            "scenario",
            "runs",
            "host exits (median)",
            f"min {DASH} max",
            f"{TIMES} baseline",
            "last process exits",
            "output closed",
            "left behind",
            "sink requests",
            "peak RSS",
            "exit code",
            "note",
        ]
        rows = []
        for rec in recs:
            row = [
                rec.name,
                str(len(rec.runs)),
                fmt_s(median(rec.walls()), t),
                fmt_range(rec.walls(), t),
                fmt_ratio(ratio_median(rec, base), rec, base, t),
            ]
            row += [
                fmt_s(median(rec.trees()), t),
                fmt_s(median(rec.closes()), t),
                left_behind_cell(rec, t),
                hits_cell(rec),
            ]
            notes = [n for n in (rec.scenario.note, rec.retired, error_note(rec)) if n]
            row += [
                fmt_mb(median([r.maxrss_kb for r in rec.runs])),
                exit_cell(rec),
                "; ".join(notes),
            ]
            rows.append(row)
        out += [*table(header, rows), ""]

    out += not_measured(records)
    out += peers_section(meta)
    return "\n".join(out).rstrip() + "\n"


def summary(net_groups: Sequence[Group], by_group: dict[str, list[Record]], t: float) -> list[str]:
    """One row per sender: host exit per network, ratio to that network's baseline, lifetimes."""
    cells: dict[str, dict[str, tuple[str, str]]] = {}
    order: list[str] = []
    hits: dict[str, str] = {}
    bases: list[str] = []
    for group in net_groups:
        net = group.name.removeprefix("net-")
        recs = [r for r in by_group.get(group.name, []) if r.status == "measured" and r.runs]
        base = pick_baseline(group, recs)
        if base is not None and base.name not in bases:
            bases.append(base.name)
        for rec in recs:
            if rec.name not in cells:
                cells[rec.name] = {}
                order.append(rec.name)
            exit_text = fmt_s(median(rec.walls()), t)
            ratio = fmt_ratio(ratio_median(rec, base), rec, base, t)
            if ratio not in ("—", "1 (baseline)"):
                exit_text += f" ({ratio})"
            tree = median(rec.trees())
            life = fmt_s(tree, t) if max(r.background for r in rec.runs) > 0 else "—"
            closed = median(rec.closes())
            if closed > median(rec.walls()) + 0.05:
                life += f", output held {fmt_s(closed, t)}"
            cells[rec.name][net] = (exit_text, life)
            if net == "ok":
                hits[rec.name] = hits_cell(rec)
    if not order:
        return []
    nets = [g.name.removeprefix("net-") for g in net_groups]
    header = ["sender", *[f"host exits: {n}" for n in nets]]
    header += [f"left behind until: {n}" for n in nets]
    if "ok" in nets:
        header.append("hits at ok sink")
    rows = []
    for name in order:
        row = [name]
        row += [cells[name].get(n, ("—", "—"))[0] for n in nets]
        row += [cells[name].get(n, ("—", "—"))[1] for n in nets]
        if "ok" in nets:
            row.append(hits.get(name, "—"))
        rows.append(row)
    ordered = [n for n in NETWORKS if n in nets]
    return [
        "## Summary: one hit, by endpoint behaviour",
        "",
        "Medians of the time until the host command exits "
        f"({TIMES} {' / '.join(bases) or 'baseline'}, per-round ratios) and, for senders "
        "that leave a process behind, when the last one exits (from the host's start). "
        f"Endpoints: {', '.join(ordered)}.",
        "",
        *table(header, rows),
        "",
    ]


def not_measured(records: Sequence[Record]) -> list[str]:
    rows = []
    seen = set()
    for rec in records:
        if rec.status == "measured" and rec.runs:
            continue
        key = (rec.name, rec.status, rec.reason)
        if key in seen:
            continue
        seen.add(key)
        groups = sorted(r.group.name for r in records if (r.name, r.status, r.reason) == key)
        rows.append((rec.name, rec.status, ", ".join(groups), rec.reason))
    if not rows:
        return []
    return [
        "## Not measured",
        "",
        "Declared in `bench/scenarios.py` but not measured in this run, and why.",
        "",
        *table(("scenario", "status", "groups", "reason"), rows),
        "",
    ]


def peers_section(meta: Meta) -> list[str]:
    if not meta.peer_versions:
        return []
    return [
        "## Peers",
        "",
        "Installed from PyPI into `bench/.venv-peers` by the harness (pinned in "
        "`bench/scenarios.py`).",
        "",
        *table(("peer", "installed"), sorted(meta.peer_versions.items())),
        "",
    ]
