"""Growth: how the decision and a host command's start-up grow with the registry and the config.

Registries of 10, 100 and 1000 declared fields; user configs of ~1 KB and ~1 MB (a
`[telemetry]` table plus other tables a person keeps). The decision is timed in
process (median per call over many calls); the CLI as whole processes, interleaved.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

FIELD_COUNTS = (10, 100, 1000)
CONFIG_SIZES = {"1 KB": 1_000, "1 MB": 1_000_000}

APP = textwrap.dedent(
    """\
    import sys
    import typer
    from consent import AppSpec, Destination, Event, Field, install

    N = int(sys.argv.pop(1))
    fields = [Field("v", "Version.", "1", "constant", "1"), Field("cid", "Id.", "x", "client_id"),
              Field("t", "Type.", "event", "hit_type")]
    fields += [Field(f"cd{i}", f"Dimension {i}.", "x", "runtime", allowed=("x", "y"))
               for i in range(1, N - 2)]
    SPEC = AppSpec(name="growth", display_name="Growth", version="1", env_prefix="GROWTH",
                   mode="opt-out", destination=Destination("legacy", "UA-1-1"), fields=tuple(fields),
                   common=("v", "cid", "t"), events=(Event("e", "An event.", "event"),),
                   purpose="Measure growth.", access="Nobody.", controller="Nobody: a benchmark",
                   contact="https://example.invalid", legal_basis="None: a benchmark.",
                   retention="0 days", recipients="None.", notice_date="2026-12-01")
    app = typer.Typer()

    @app.callback()
    def root() -> None:
        pass

    @app.command()
    def version() -> None:
        print("1")

    install(app, SPEC)
    app()
    """
)


def config_text(size: int) -> str:
    head = '# growth\n[telemetry]\nenabled = false\nnotice_version = "0000000000"\n\n'
    lines, total, i = [head], len(head), 0
    while total < size:
        line = f'[table{i}]\nkey = "value {i}"\ncount = {i}\n'
        lines.append(line)
        total += len(line)
        i += 1
    return "".join(lines)


def _spec(n: int) -> object:
    from consent import AppSpec, Destination, Event, Field

    fields = [Field("v", "Version.", "1", "constant", "1"), Field("cid", "Id.", "x", "client_id"),
              Field("t", "Type.", "event", "hit_type")]  # fmt: skip
    fields += [Field(f"cd{i}", f"Dimension {i}.", "x", "runtime", allowed=("x", "y"))
               for i in range(1, n - 2)]  # fmt: skip
    return AppSpec(name="growth", display_name="Growth", version="1", env_prefix="GROWTH",
                   mode="opt-out", destination=Destination("legacy", "UA-1-1"), fields=tuple(fields),
                   common=("v", "cid", "t"), events=(Event("e", "An event.", "event"),),
                   purpose="Measure growth.", access="Nobody.", controller="Nobody: a benchmark",
                   contact="https://example.invalid", legal_basis="None: a benchmark.",
                   retention="0 days", recipients="None.", notice_date="2026-12-01")  # fmt: skip


def decision_times(scratch: Path, calls: int) -> dict[tuple[int, str], float]:
    """Median seconds per `decide()` call (the host path), per registry and config size."""
    from consent.store.paths import Locations
    from consent.store.sources import resolve

    out = {}
    for label, size in CONFIG_SIZES.items():
        cfg = scratch / f"decide-{size}" / "config.toml"
        cfg.parent.mkdir(parents=True, exist_ok=True)
        cfg.write_text(config_text(size))
        locs = Locations(
            str(cfg),
            (str(cfg.parent / "policy.toml"),),
            str(cfg.parent / "id"),
            str(cfg.parent / "log"),
        )
        for n in FIELD_COUNTS:
            spec = _spec(n)
            times = []
            for _ in range(calls):
                t = time.perf_counter()
                decision = resolve(spec, environ={}, locs=locs, full=False)  # type: ignore[arg-type]
                times.append(time.perf_counter() - t)
            assert not decision.enabled
            out[(n, label)] = statistics.median(times)
    return out


def cli_times(scratch: Path, runs: int) -> dict[tuple[int, str], float]:
    """Median wall time of `app version` (disabled by the config), per registry and config size."""
    app = scratch / "growth_app.py"
    app.write_text(APP)
    homes = {}
    for label, size in CONFIG_SIZES.items():
        home = scratch / f"cli-{size}"
        (home / "config" / "growth").mkdir(parents=True, exist_ok=True)
        (home / "config" / "growth" / "config.toml").write_text(config_text(size))
        homes[label] = home
    keys = [(n, label) for n in FIELD_COUNTS for label in CONFIG_SIZES]
    samples: dict[tuple[int, str], list[float]] = {k: [] for k in keys}
    for _ in range(runs + 1):  # the first round warms caches and is dropped
        for n, label in keys:
            home = homes[label]
            env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home),
                   "XDG_CONFIG_HOME": str(home / "config"), "XDG_CONFIG_DIRS": str(home / "etc"),
                   "XDG_DATA_HOME": str(home / "data"), "XDG_STATE_HOME": str(home / "state")}  # fmt: skip
            t = time.perf_counter()
            subprocess.run([sys.executable, str(app), str(n), "version"], env=env, check=True,
                           stdout=subprocess.DEVNULL, timeout=60)  # fmt: skip
            samples[(n, label)].append(time.perf_counter() - t)
    return {k: statistics.median(v[1:]) for k, v in samples.items()}


def section(scratch: Path, quick: bool) -> list[str]:
    decide = decision_times(scratch, 20 if quick else 200)
    cli = cli_times(scratch, 2 if quick else 10)
    rows = []
    for n in FIELD_COUNTS:
        for label in CONFIG_SIZES:
            rows.append(f"| {n} | {label} | {decide[(n, label)] * 1e6:,.0f} µs | "
                        f"{cli[(n, label)] * 1e3:.0f} ms |")  # fmt: skip
    return [
        "## Growth: registry and config size",
        "",
        "The decision's time per call (in process, the host path, median) and the wall time of a "
        "typer app's `version` command disabled by its config (whole process, median), for "
        "registries of 10, 100 and 1000 declared fields and configs of about 1 KB and 1 MB "
        "(a `[telemetry]` table plus other tables). Made by `bench/growth.py`.",
        "",
        "| declared fields | config size | decision per call | CLI wall time |",
        "|---|---|---|---|",
        *rows,
        "",
    ]
