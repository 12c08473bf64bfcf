"""Growth: how the decision and a host command's start-up grow with the registry and the config.

Registries of 10, 100 and 1000 declared fields; user configs of ~1 KB and ~1 MB (a
`[telemetry]` table plus other tables a person keeps, shaped to stay within the reader's caps:
the 1 MB file is about the largest accepted). The decision is timed in
process (median per call over many calls); the CLI as whole processes, interleaved. A second
table times reading config and policy files from 1 KB up to the cap, and files just beyond it.

`python bench/growth.py [--quick]` regenerates only this section of docs/benchmarks.md;
bench/run.py writes it with the rest of the page.

A measuring tool, not an app: it times the reader, the decision and the per-project search
themselves, so it imports them from consent's private modules (`consent._store`) on purpose.
The programs it runs as whole processes use the public API only, as the apps in bench/apps/ do
(tests/test_architecture.py holds those to it).
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
    fields = [Field("v", "Version.", "1", "constant", "1"),
              Field("tid", "Property.", "UA-1-1", "constant", "UA-1-1"),
              Field("cid", "Id.", "x", "client_id"), Field("t", "Type.", "exception", "hit_type")]
    fields += [Field(f"p{i}", f"Param {i}.", "x", "runtime", allowed=("x", "y"))
               for i in range(1, N - 3)]
    SPEC = AppSpec(name="growth", display_name="Growth", version="1", env_prefix="GROWTH",
                   mode="opt-out", destination=Destination("legacy", "UA-1-1"), fields=tuple(fields),
                   common=("v", "tid", "cid", "t"), events=(Event("e", "An event.", "exception"),),
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
    """About `size` bytes: tables of 8 keys with 250-character values, within every cap (1 MB is
    497 tables and 3976 keys: under 512 and 4096)."""
    head = '# growth\n[telemetry]\nenabled = false\nnotice_version = "0000000000"\n\n'
    lines, total, i = [head], len(head), 0
    while total < size:
        line = f"[table{i}]\n" + "".join(f'key{j} = "{"v" * 250}"\n' for j in range(8))
        lines.append(line)
        total += len(line)
        i += 1
    return "".join(lines)


PARSE_SIZES = {
    "1 KB": 1_000,
    "16 KB": 16_000,
    "64 KB": 64_000,
    "256 KB": 256_000,
    "1 MB": 1_000_000,
}


def inline_text(size: int) -> str:
    """About `size` bytes of inline tables, each holding one dotted key of 15 parts (the most the
    cap allows), within every cap: at most 2000 lines (4000 keys), the value filling the rest."""
    head = "[telemetry]\nenabled = false\n[inline]\n"
    lines = min(2000, max(size // 100, 1))
    width = max((size - len(head)) // lines - 70, 1)
    key = ".".join(f"p{j}" for j in range(15))
    return head + "".join(f't{i} = {{{key} = "{"v" * width}"}}\n' for i in range(lines))


INLINE_SIZES = {"1 KB of inline tables": 1_000, "64 KB of inline tables": 64_000,
                "1 MB of inline tables": 1_000_000}  # fmt: skip


def beyond_caps() -> dict[str, str]:
    """Files the reader refuses before parsing: each would cost a parser seconds or more (a 200
    KB dotted key inside an inline table took tomllib 12.6 s before every key was capped)."""
    return {
        "40 KB of 200-part dotted keys": "".join(
            "a" + ".a" * 200 + f".k{i} = 1\n" for i in range(100)
        ),
        "200 KB: a 100 000-part dotted key in an inline table": (
            "x = {" + "a." * 100_000 + "a = 1}\n"
        ),
        "1 MB: a 500 000-part dotted key in an inline table": (
            "x = {" + "a." * 500_000 + "a = 1}\n"
        ),
        "1 MB: 2000 inline tables of 250-part keys": "".join(
            f"t{i} = {{" + "a." * 250 + "a = 1}\n" for i in range(2000)
        ),
        "2 MB (over the 1 MiB cap)": config_text(2_000_000),
        "30 000 table headers": "".join(f"[t{i}]\n" for i in range(30_000)),
    }


def parse_times(scratch: Path, calls: int) -> list[tuple[str, int, float, float, float, str]]:
    """(label, bytes, config read, policy read, project read, outcome) medians, seconds per
    read. The project file is found by the search a host command makes (`read_project`) in the
    directory it is in."""
    from consent._store.sources import read_project
    from consent._store.tomlread import read_toml

    rows = []
    texts = {label: config_text(size) for label, size in PARSE_SIZES.items()}
    texts.update({label: inline_text(size) for label, size in INLINE_SIZES.items()})
    texts.update(beyond_caps())
    for n, (label, text) in enumerate(texts.items()):
        path = scratch / "parse" / f"{n}.toml"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        project = scratch / "project" / str(n)
        (project / ".growth").mkdir(parents=True, exist_ok=True)
        (project / ".growth" / "telemetry.toml").write_text(text)
        config, policy, found = [], [], []
        for _ in range(calls):
            t = time.perf_counter()
            reading = read_toml(path)
            config.append(time.perf_counter() - t)
            t = time.perf_counter()
            read_toml(path, follow=False)
            policy.append(time.perf_counter() - t)
            t = time.perf_counter()
            read_project("growth", str(project), str(project))
            found.append(time.perf_counter() - t)
        outcome = "read" if reading.state == "ok" else f"refused: {reading.reason}"
        rows.append(
            (
                label,
                len(text.encode()),
                statistics.median(config),
                statistics.median(policy),
                statistics.median(found),
                outcome,
            )
        )
    return rows


def _spec(n: int) -> object:
    from consent import AppSpec, Destination, Event, Field

    fields = [Field("v", "Version.", "1", "constant", "1"),
              Field("tid", "Property.", "UA-1-1", "constant", "UA-1-1"),
              Field("cid", "Id.", "x", "client_id"),
              Field("t", "Type.", "exception", "hit_type")]  # fmt: skip
    fields += [Field(f"p{i}", f"Param {i}.", "x", "runtime", allowed=("x", "y"))
               for i in range(1, n - 3)]  # fmt: skip
    return AppSpec(name="growth", display_name="Growth", version="1", env_prefix="GROWTH",
                   mode="opt-out", destination=Destination("legacy", "UA-1-1"), fields=tuple(fields),
                   common=("v", "tid", "cid", "t"), events=(Event("e", "An event.", "exception"),),
                   purpose="Measure growth.", access="Nobody.", controller="Nobody: a benchmark",
                   contact="https://example.invalid", legal_basis="None: a benchmark.",
                   retention="0 days", recipients="None.", notice_date="2026-12-01")  # fmt: skip


NOTICE_COUNTS = (10, 100, 1000)


def _events_spec(n: int) -> object:
    """`n` fields and `n` events: each event carries the common fields and one of its own."""
    from consent import AppSpec, Destination, Event, Field

    fields = [
        Field("v", "Version.", "1", "constant", "1"),
        Field("tid", "Property.", "UA-1-1", "constant", "UA-1-1"),
        Field("cid", "Id.", "x", "client_id"),
        Field("t", "Type.", "exception", "hit_type"),
    ]
    fields += [Field(f"p{i}", f"Param {i}.", "x", "runtime", allowed=("x", "y"))
               for i in range(1, n + 1)]  # fmt: skip
    events = tuple(Event(f"e{i}", f"Event {i}.", "exception", (f"p{i}",)) for i in range(1, n + 1))
    return AppSpec(name="growth", display_name="Growth", version="1", env_prefix="GROWTH",
                   mode="opt-out", destination=Destination("legacy", "UA-1-1"), fields=tuple(fields),
                   common=("v", "tid", "cid", "t"), events=events,
                   purpose="Measure growth.", access="Nobody.", controller="Nobody: a benchmark",
                   contact="https://example.invalid", legal_basis="None: a benchmark.",
                   retention="0 days", recipients="None.", notice_date="2026-12-01")  # fmt: skip


def notice_times(repeats: int) -> list[tuple[int, float, float]]:
    """(n, the notice's seconds, show-payload's seconds), median of `repeats`, for `n` fields and
    `n` events: the notice as Markdown (consent/_notice/document.py) and every request
    show-payload prints (consent/_notice/preview.py)."""
    from consent._notice.document import markdown
    from consent._notice.preview import previews

    out = []
    for n in NOTICE_COUNTS:
        spec = _events_spec(n)
        notice, shown = [], []
        for _ in range(repeats):
            t = time.perf_counter()
            markdown(spec)  # type: ignore[arg-type]
            notice.append(time.perf_counter() - t)
            t = time.perf_counter()
            found = previews(spec, {}, command=None, event=None, default_command="growth")  # type: ignore[arg-type]
            shown.append(time.perf_counter() - t)
            assert len(found) == n
        out.append((n, statistics.median(notice), statistics.median(shown)))
    return out


def _notice_rows(rows: list[tuple[int, float, float]]) -> list[str]:
    return [
        f"| {n:,} | {n:,} | {notice * 1e3:,.1f} ms | {notice * 1e6 / n:,.1f} µs | "
        f"{shown * 1e3:,.1f} ms | {shown * 1e6 / n:,.1f} µs |"
        for n, notice, shown in rows
    ]


def decision_times(scratch: Path, calls: int) -> dict[tuple[int, str], float]:
    """Median seconds per `decide()` call (the host path), per registry and config size."""
    from consent._store.paths import Locations
    from consent._store.sources import resolve

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


PROJECT_DEPTHS = (1, 8, 16, 32)  # directories the per-project search looks in; 32 is its limit


def project_times(scratch: Path, calls: int) -> list[tuple[str, float]]:
    """Median seconds per call of the per-project search (`read_project`, nothing found) by the
    number of directories it looks in, beside the other file sources of a host command's run."""
    from consent._store.paths import Locations
    from consent._store.sources import read_config, read_policies, read_project

    def median(fn: object) -> float:
        times = []
        for _ in range(calls):
            t = time.perf_counter()
            fn()  # type: ignore[operator]
            times.append(time.perf_counter() - t)
        return statistics.median(times)

    home = scratch / "project-home"
    deep = home.joinpath(*(f"d{i}" for i in range(max(PROJECT_DEPTHS) + 6)))
    deep.mkdir(parents=True, exist_ok=True)
    rows = []
    for n in PROJECT_DEPTHS:
        # The search looks in the working directory and the n - 1 above it, up to HOME.
        cwd = str(home.joinpath(*(f"d{i}" for i in range(n - 1))))
        stop = str(home) if n < max(PROJECT_DEPTHS) else "/"
        got = read_project("lumogon", cwd, stop)
        assert got.state == "missing", got
        search = lambda cwd=cwd, stop=stop: read_project("lumogon", cwd, stop)  # noqa: E731
        rows.append((_depth_label(n), median(search)))
    cfg = scratch / "project-config.toml"
    cfg.write_text(config_text(1_000))
    locs = Locations(str(cfg), (str(scratch / "p1.toml"), str(scratch / "p2.toml")), "", "")
    rows.append(("policies (two locations, no file)", median(lambda: read_policies(locs, ()))))
    rows.append(("user config (1 KB)", median(lambda: read_config(locs))))
    return rows


def section(scratch: Path, quick: bool) -> list[str]:
    project = project_times(scratch, 50 if quick else 2000)
    decide = decision_times(scratch, 20 if quick else 200)
    cli = cli_times(scratch, 2 if quick else 10)
    parse = parse_times(scratch, 5 if quick else 30)
    notices = notice_times(2 if quick else 5)
    rows = []
    for n in FIELD_COUNTS:
        for label in CONFIG_SIZES:
            rows.append(f"| {n} | {label} | {decide[(n, label)] * 1e6:,.0f} µs | "
                        f"{cli[(n, label)] * 1e3:.0f} ms |")  # fmt: skip
    parse_rows = [
        f"| {label} | {size:,} | {config * 1e3:,.2f} ms | {policy * 1e3:,.2f} ms | "
        f"{project * 1e3:,.2f} ms | {config * 1e6 / max(size / 1000, 1):,.1f} µs | {outcome} |"
        for label, size, config, policy, project, outcome in parse
    ]
    return [
        "## Growth: registry and config size",
        "",
        "The decision's time per call (in process, the host path, median) and the wall time of a "
        "typer app's `version` command disabled by its config (whole process, median), for "
        "registries of 10, 100 and 1000 declared fields and configs of about 1 KB and 1 MB "
        "(a `[telemetry]` table plus tables of long values, within the reader's caps). "
        "Made by `bench/growth.py`.",
        "",
        "| declared fields | config size | decision per call | CLI wall time |",
        "|---|---|---|---|",
        *rows,
        "",
        "Reading one config, policy or project file (`read_toml`: open, caps, parse; a project "
        "file through the search a host command makes, `read_project`; median), from 1 KB up to "
        "about the largest accepted file, of plain tables and of inline tables, and files beyond "
        "a cap, which are refused before any parser sees them (docs/configuration.md, "
        '"Limits"). The time per KB stays within a small factor from 1 KB to the cap: linear in '
        "size, where 40 KB of dotted keys once took seconds, and a 200 KB key inside an inline "
        "table 12.6 s.",
        "",
        "| file | bytes | config read | policy read | project read | per KB (config) | result |",
        "|---|---|---|---|---|---|---|",
        *parse_rows,
        "",
        "The per-project opt-out (`.lumogon/telemetry.toml` in the working directory or above) is "
        "looked for on every host command's run that no cheaper source already disabled: one "
        "`access` call per directory (the file is opened only where a `.lumogon` exists), from "
        "the working directory up to HOME or the root, at most 32 directories. Its cost per call (in process, median, nothing found), beside the other "
        "file sources of the same run:",
        "",
        "| source | per call |",
        "|---|---|",
        *(f"| {label} | {t * 1e6:,.1f} µs |" for label, t in project),
        "",
        _project_summary(project),
        "",
        "The notice (as Markdown) and show-payload (every request, built and encoded) for "
        "registries of n fields and n events, each event carrying the common fields and one of "
        "its own (in process, median). The notice is built in one pass over the events and the "
        "fields they carry, so its time per event stays flat from 10 to 1,000 (rescanning every "
        "event for each field once took seconds); show-payload builds each request against the "
        "registry, so its time grows no faster than fields times events.",
        "",
        "| fields | events | notice | per event | show-payload | per event |",
        "|---|---|---|---|---|---|",
        *_notice_rows(notices),
        "",
    ]


def _project_summary(rows: list[tuple[str, float]]) -> str:
    """One sentence: the search against the policy and config reads of the same run."""
    times = dict(rows)
    others = times["policies (two locations, no file)"] + times["user config (1 KB)"]
    within = [n for n in PROJECT_DEPTHS if times[_depth_label(n)] <= others]
    limit = times[_depth_label(max(PROJECT_DEPTHS))]
    upto = f"up to {max(within)} directories" if within else "at no depth measured"
    return (
        f"The policies and the config together take {others * 1e6:,.1f} µs; the search costs no "
        f"more than they do {upto}, and {limit / others:.1f} times as much at its limit "
        f"({limit * 1e3:.2f} ms)."
    )


def _depth_label(n: int) -> str:
    return f"project search, {n} director{'y' if n == 1 else 'ies'}"


def main() -> int:
    """Regenerate the Growth section of docs/benchmarks.md in place."""
    import shutil
    import tempfile

    quick = "--quick" in sys.argv[1:]
    page = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
    text = page.read_text("utf-8")
    start = text.index("## Growth: registry and config size")
    after = text.find("\n## ", start + 1)
    scratch = Path(tempfile.mkdtemp(prefix="consent-growth-"))
    try:
        lines = section(scratch, quick)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    rest = "" if after < 0 else text[after + 1 :]
    page.write_text(text[:start] + "\n".join(lines) + ("\n" + rest if rest else ""), "utf-8")
    print(f"wrote the Growth section of {page}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
