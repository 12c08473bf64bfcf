"""The fault matrix's machinery: run one case as real `lumogon` processes, judge it, record it.

A case breaks one thing (a file, a variable, the keyring, the network, the process) and then runs,
in isolated dirs and every process under the audit hook, with a loopback collector as the endpoint:
`lumogon version` (the host command) beside `lumogon telemetry status`, then
`lumogon telemetry enable` and `lumogon telemetry disable`. The same four things are judged for
every case:

1. host: `version` exits 0 and prints exactly `lumogon 0.1.0`, with nothing on stderr unless the
   case expects a warning, and never a traceback;
2. leaks: no connection, lookup or spawn unless consent resolved to enabled; never a hit beyond
   the one the enabled host run may send; never any address but loopback; never a network event
   from a `telemetry` command;
3. data: reading changes nothing in the config dir; after `enable` and `disable` every line the
   person wrote is still there, or the exact original bytes are kept in a backup, or (when writing
   was refused) the file is untouched; a successful `disable` leaves `enabled = false`;
4. messages: `status`, `enable` and `disable` exit as expected, never with a traceback, and a
   refusal says what happened (`error: ...`, naming the path) and what to do.

`judge` returns the problems; `record` appends one JSON line per case to the file named by
CONSENT_RELIABILITY_OUT, which scripts/reliability_report.py renders as docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from consent._core.names import HTTPS_PROXY_VARIABLES
from consent._core.records import consent_record
from consent._store.log import entries
from consent._store.paths import Locations
from consent._store.tomlread import parse_toml
from consent.testing._audit.sitecustomize import is_remote
from consent.testing.collector import Collector
from consent.testing.home import Home
from lumogon import SPEC
from tests.helpers import (
    HAND_WRITTEN,
    PROCESS_TIMEOUT,
    SCRUB,
    SENDER_TIMEOUT,
    Iso,
    audit_events,
    audited,
    unprivileged_prefix,
)

OUT_ENV = "CONSENT_RELIABILITY_OUT"
HOST_ARGS = ("version",)
HOST_STDOUT = "lumogon 0.1.0\n"
ENDPOINT_ENV = SPEC.endpoint_env
# A line that sets one of the keys `enable`/`disable` manage: the only lines a write may change.
MANAGED_LINE = re.compile(
    r"^\s*(telemetry\s*\.\s*)?"
    r"(enabled|notice_version|decided_at|decided_via|notice_shown_version|notice_shown_at)\s*="
)
# "What to do": a refusal must point at an action a person can take.
ACTION = re.compile(
    r"\b(run|set|unset|fix|move|make|remove|ask|check|try again|use|create)\b", re.IGNORECASE
)


def hand_written(enabled: bool) -> bytes:
    """A config a person wrote (tests.helpers.HAND_WRITTEN), with a choice for this notice."""
    choice = (
        f"enabled = {str(enabled).lower()}\n"
        f'notice_version = "{SPEC.notice_version}"\n'
        'decided_via = "by hand"\n'
    )
    return HAND_WRITTEN.replace("enabled = false\n", choice, 1).encode("utf-8")


class CaseHome(Iso):
    """Isolated dirs like the `iso` fixture's, but without touching os.environ, so that
    cases can run side by side in threads; the paths follow the XDG rule from `env`."""

    @classmethod
    def make(cls, tmp: Path) -> CaseHome:
        root = tmp / "home"
        for name in ("config", "data", "state", "etc", "cache"):
            (root / name).mkdir(parents=True)
        env = {k: v for k, v in os.environ.items() if k not in SCRUB}
        env.update(
            XDG_CONFIG_HOME=str(root / "config"),
            XDG_DATA_HOME=str(root / "data"),
            XDG_STATE_HOME=str(root / "state"),
            XDG_CACHE_HOME=str(root / "cache"),
            XDG_CONFIG_DIRS=str(root / "etc"),
            PYTHON_KEYRING_BACKEND="consent.testing.keyring.FileKeyring",
            CONSENT_TEST_KEYRING=str(tmp / "keyring.json"),
        )
        return cls(Home(root, env))

    @property
    def locs(self) -> Locations:
        name, env = SPEC.name, self.env
        return Locations(
            config_path=str(Path(env["XDG_CONFIG_HOME"], name, "config.toml")),
            policy_paths=(str(Path(env["XDG_CONFIG_DIRS"], name, "telemetry.toml")),),
            id_path=str(Path(env["XDG_DATA_HOME"], name, "client-id")),
            log_path=str(Path(env["XDG_STATE_HOME"], name, "telemetry-log.jsonl")),
        )


@dataclass
class Ctx:
    """One case's world: the isolated dirs plus whatever the case changes."""

    iso: Iso
    tmp: Path
    env: dict[str, str | None] = field(default_factory=dict)  # None removes a variable
    prefix: list[str] = field(default_factory=list)
    cwd: Path | None = None
    refuse_network: bool = False
    collectors: list[Collector] = field(default_factory=list)
    undo: list[Callable[[], None]] = field(default_factory=list)

    @property
    def config(self) -> Path:
        """The config file the case's processes use (a case may move XDG_CONFIG_HOME)."""
        home = self.env.get("XDG_CONFIG_HOME")
        if home is None:
            return self.iso.config
        return Path(home) / SPEC.name / "config.toml"

    def write_config(self, data: bytes) -> Path:
        self.config.parent.mkdir(parents=True, exist_ok=True)
        self.config.write_bytes(data)
        return self.config

    def collector(self, behaviour: str = "ok", tls: ssl.SSLContext | None = None) -> Collector:
        """Start a loopback collector and make it the endpoint."""
        collector = Collector(behaviour=behaviour, tls=tls).start()
        self.collectors.append(collector)
        self.env[ENDPOINT_ENV] = collector.url
        return collector

    def chmod(self, path: Path, mode: int) -> None:
        """Change a mode for this case only; the original mode comes back afterwards."""
        old = stat.S_IMODE(path.lstat().st_mode)
        path.chmod(mode)
        self.undo.append(lambda: path.chmod(old))

    def unprivileged(self) -> None:
        self.prefix = unprivileged_prefix()

    def full_env(self, log: Path) -> dict[str, str]:
        env = audited(self.iso, log, refuse_network=self.refuse_network)
        for key, value in self.env.items():
            if value is None:
                env.pop(key, None)
            else:
                env[key] = value
        return env


@dataclass(frozen=True)
class Proc:
    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def start(
    ctx: Ctx, args: tuple[str, ...], log: Path, stdout: int = subprocess.PIPE
) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [*ctx.prefix, sys.executable, "-m", "lumogon", *args],
        env=ctx.full_env(log),
        cwd=ctx.cwd,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=subprocess.PIPE,
    )


def finish(args: tuple[str, ...], proc: subprocess.Popen[bytes]) -> Proc:
    out, err = proc.communicate(timeout=PROCESS_TIMEOUT)
    return Proc(args, proc.returncode, _text(out), _text(err))


def _text(data: bytes | None) -> str:
    return (data or b"").decode("utf-8", "backslashreplace")


def run(ctx: Ctx, log: Path, *args: str) -> Proc:
    return finish(args, start(ctx, args, log))


def run_together(ctx: Ctx, *jobs: tuple[tuple[str, ...], Path]) -> list[Proc]:
    """Start commands that do not depend on each other side by side."""
    started = [(args, start(ctx, args, log)) for args, log in jobs]
    return [finish(args, proc) for args, proc in started]


@dataclass
class Snapshot:
    """What the person has in the config location before the case runs."""

    exists: bool
    is_dir: bool
    link: str | None  # the symlink's text, when config.toml is a symlink
    data: bytes | None  # the config's bytes, when it is a regular file (read as the test user)
    dir_listing: tuple[str, ...]
    dir_contents: dict[str, bytes]  # a directory in place of the file: what is inside

    @classmethod
    def take(cls, path: Path) -> Snapshot:
        link = os.readlink(path) if path.is_symlink() else None
        data = None
        is_dir = path.is_dir() and not path.is_symlink()
        contents: dict[str, bytes] = {}
        try:
            if path.is_file():
                data = path.read_bytes()
        except OSError:
            data = None
        if is_dir:
            contents = {p.name: p.read_bytes() for p in path.iterdir() if p.is_file()}
        listing: tuple[str, ...] = ()
        if path.parent.is_dir():
            listing = tuple(sorted(os.listdir(path.parent)))
        return cls(path.exists(), is_dir, link, data, listing, contents)


@dataclass
class Observed:
    host: Proc | None = None
    status: Proc | None = None
    enable: Proc | None = None
    disable: Proc | None = None
    extra: list[Proc] = field(default_factory=list)
    version_events: list[dict[str, str]] = field(default_factory=list)
    command_events: list[dict[str, str]] = field(default_factory=list)
    hits: int = 0
    outcome: str = ""
    notes: list[str] = field(default_factory=list)


Setup = Callable[[Ctx], object]


@dataclass(frozen=True)
class Case:
    id: str
    group: str
    fault: str  # what is broken, in words
    setup: Setup
    enabled: bool  # what consent must resolve to
    source: str  # the source `status` must name as "decided by" ("" when status itself refuses)
    enable_rc: int = 0
    disable_rc: int = 0
    status_rc: int = 0
    sent: int | None = None  # hits the collector must receive (default: 1 if enabled, else 0)
    outcome: str = ""  # how the sender's logged outcome must begin, if a hit is handed over
    host_stderr: str = ""  # a regex the host run's stderr must match ("" = stderr stays empty)
    may_connect: bool | None = None  # may the host run connect at all (default: if enabled)
    # Run after the host command, before `enable` (e.g. kill the sender); returns problems.
    after_host: Callable[[Ctx, Observed], list[str]] | None = None
    extra: Callable[[Ctx, Observed], list[str]] | None = None  # more checks; returns problems
    why: str = ""  # the reason for the expectation, for the report

    @property
    def expected_sent(self) -> int:
        if self.sent is not None:
            return self.sent
        return 1 if self.enabled else 0

    def expected(self) -> str:
        return summary(
            self.enabled if self.status_rc == 0 else None,
            self.source,
            self.enable_rc,
            self.disable_rc,
            self.expected_sent,
            self.outcome,
        )


def summary(
    enabled: bool | None, source: str, enable_rc: int, disable_rc: int, sent: int, outcome: str
) -> str:
    """Expected and observed are rendered by this one function, so equal means equal."""
    if enabled is None:
        decision = "status refuses with a message"
    else:
        decision = f"{'enabled' if enabled else 'disabled'} by {source}"
    text = f"{decision}; enable→{enable_rc}, disable→{disable_rc}; {sent} sent"
    return f"{text} ({outcome})" if outcome else text


def observed_summary(case: Case, obs: Observed) -> str:
    enabled, source = parse_status(obs.status)
    return summary(
        enabled,
        source,
        obs.enable.returncode if obs.enable else -1,
        obs.disable.returncode if obs.disable else -1,
        obs.hits,
        short_outcome(obs.outcome) if case.outcome else "",
    )


def parse_status(proc: Proc | None) -> tuple[bool | None, str]:
    """(enabled, decided-by source) from the text `status` prints for people."""
    if proc is None or proc.returncode != 0:
        return None, ""
    lines = proc.stdout.splitlines()
    head = re.fullmatch(r"Telemetry for lumogon is (enabled|disabled)\.", lines[0] if lines else "")
    by = re.match(r"decided by: (\w+): ", lines[1] if len(lines) > 1 else "")
    if head is None or by is None:
        return None, ""
    return head.group(1) == "enabled", by.group(1)


def short_outcome(outcome: str) -> str:
    """`failed: TimeoutError: no answer within 3 s` -> `failed: TimeoutError`; `refused: ...`
    -> `refused`: the table shows the kind of outcome, the log keeps the details."""
    parts = outcome.split(": ")
    if parts[0] == "failed":
        return ": ".join(parts[:2])
    return parts[0] if parts[0] == "refused" else outcome


def run_case(case: Case, tmp: Path) -> tuple[Observed, list[str], dict[str, int]]:
    iso = CaseHome.make(tmp)
    ctx = Ctx(iso, tmp)
    obs = Observed()
    try:
        case.setup(ctx)
        if ENDPOINT_ENV not in ctx.env:
            ctx.collector()  # a loopback collector sees any hit that should not have been sent
        try:
            host = urlsplit(str(ctx.env[ENDPOINT_ENV])).hostname or ""
        except ValueError:
            host = ""  # malformed: only a case that refuses all network may use it
        # Never let a test reach a non-loopback address: such a case must refuse all network.
        assert loopback(host) or ctx.refuse_network, f"{case.id}: {host} is not loopback"
        before = Snapshot.take(ctx.config)
        logs = {name: tmp / f"audit-{name}.jsonl" for name in ("host", "status", "choices")}
        obs.host, obs.status = run_together(
            ctx,
            (HOST_ARGS, logs["host"]),
            (("telemetry", "status"), logs["status"]),
        )
        after_reading = Snapshot.take(ctx.config)
        checks = case.after_host(ctx, obs) if case.after_host is not None else []
        # The host's sender is done before `enable` and `disable` run: a sender that a loaded
        # machine starts late must not meet a consent that `disable` has already changed.
        spawns = ("os.posix_spawn", "subprocess.Popen")  # how consent/_wire/gate.py starts it
        if any(e["event"] in spawns for e in audit_events(logs["host"])):
            checks += wait_for_sender(iso, sender_marker(ctx))
        obs.enable = run(ctx, logs["choices"], "telemetry", "enable")
        obs.disable = run(ctx, logs["choices"], "telemetry", "disable")
        obs.outcome = logged_outcome(iso)
        obs.version_events = audit_events(logs["host"])  # with the sender's own events
        obs.command_events = audit_events(logs["status"]) + audit_events(logs["choices"])
        obs.hits = sum(len(c.received()) for c in ctx.collectors)
        problems, counts = judge(case, ctx, obs, before, after_reading)
        if case.extra is not None:
            checks += case.extra(ctx, obs)
        counts["checks"] = len(checks)
        across = across_every_process(ctx, obs, counts)
        return obs, problems + checks + across, counts
    finally:
        for collector in ctx.collectors:
            collector.close()
        for undo in reversed(ctx.undo):
            undo()


def sender_marker(ctx: Ctx) -> str:
    """An environment entry that only this case's processes (and their senders) carry."""
    return f"CONSENT_AUDIT_LOG={ctx.tmp / 'audit-host.jsonl'}"


def sender_pids(marker: str) -> list[int]:
    """Live detached senders started with `marker` in their environment (Linux /proc)."""
    pids = []
    proc = Path("/proc")
    for entry in proc.iterdir() if proc.is_dir() else ():
        if not entry.name.isdigit():
            continue
        try:
            if b"consent._wire.sender" not in (entry / "cmdline").read_bytes():
                continue
            if marker.encode() + b"\0" in (entry / "environ").read_bytes():
                pids.append(int(entry.name))
        except OSError:
            continue  # gone meanwhile, or not ours to read
    return pids


def wait_for_sender(iso: Iso, marker: str) -> list[str]:
    """Until every handed-over hit has an outcome, or no sender of this case is alive (one that
    was killed logs nothing); returns the problem when neither happens.

    Waits on those events, not for a time: the sender gives up on the network after 3 s, but at
    nice 10 on a loaded machine it may not even have started by then. Without /proc, only the
    log can tell.
    """
    deadline = time.monotonic() + SENDER_TIMEOUT
    while True:
        items = entries(iso.locs.log_file)
        if items and all("outcome_at" in i for i in items):
            return []
        if Path("/proc").is_dir() and not sender_pids(marker):
            return []
        if time.monotonic() >= deadline:
            return [f"sender: no outcome logged and still running after {SENDER_TIMEOUT:g} s"]
        time.sleep(0.05)


def logged_outcome(iso: Iso) -> str:
    items = entries(iso.locs.log_file)
    return str(items[-1].get("outcome", "")) if items else ""


def judge(
    case: Case, ctx: Ctx, obs: Observed, before: Snapshot, after_reading: Snapshot
) -> tuple[list[str], dict[str, int]]:
    host = host_problems(case, obs)
    leaks = leak_problems(case, obs)
    data = data_problems(ctx, obs, before, after_reading)
    messages = message_problems(case, obs)
    observed = observed_summary(case, obs)
    mismatch = [] if observed == case.expected() else [f"observed {observed!r}"]
    if case.outcome and not obs.outcome.startswith(case.outcome):
        mismatch.append(f"sender outcome {obs.outcome!r}, expected {case.outcome!r}...")
    counts = {
        "host": len(host),
        "leaks": len(leaks),
        "data": len(data),
        "messages": len(messages),
        "mismatch": len(mismatch),
    }
    return host + leaks + data + messages + mismatch, counts


def across_every_process(ctx: Ctx, obs: Observed, counts: dict[str, int]) -> list[str]:
    """Three things counted over every process a case ran (the four, and each extra): no
    traceback, no raw escape byte on stdout or stderr (they are pipes: nothing may colour them
    either), and no connection or lookup beyond loopback while a proxy variable is set (a hit
    goes through the proxy, or nowhere). Each is counted into `counts` and is a problem."""
    procs = [p for p in (obs.host, obs.status, obs.enable, obs.disable, *obs.extra) if p]
    tracebacks = [p.args for p in procs if has_traceback(p.stdout + p.stderr)]
    escapes = [p.args for p in procs if "\x1b" in p.stdout + p.stderr]
    proxied = any(ctx.env.get(name) is not None for name in HTTPS_PROXY_VARIABLES)
    direct = [
        e
        for e in network(obs.version_events)
        if proxied and e["event"] != "socket.__new__" and not loopback(e.get("host", "?"))
    ]
    counts.update(tracebacks=len(tracebacks), raw_escapes=len(escapes), direct=len(direct))
    return (
        [f"traceback from `lumogon {' '.join(a)}`" for a in tracebacks]
        + [f"raw escape bytes from `lumogon {' '.join(a)}`" for a in escapes]
        + [f"direct {e['event']} to {e.get('host')!r} with a proxy variable set" for e in direct]
    )


def loopback(host: str) -> bool:
    """An address or name the resolver reads as this machine, by the audit hook's rule (the
    resolver's own parsers, not consent's `is_loopback`, so the judge does not grade consent
    against itself)."""
    return not is_remote(host) and not host.startswith(("/", "\x00")) and host != ""


def has_traceback(text: str) -> bool:
    return "Traceback" in text or "BrokenPipeError" in text


def host_problems(case: Case, obs: Observed) -> list[str]:
    p = obs.host
    assert p is not None
    out = []
    if p.returncode != 0:
        out.append(f"host: `lumogon version` exited {p.returncode}")
    if p.stdout != HOST_STDOUT:
        out.append(f"host: stdout {p.stdout!r}")
    if has_traceback(p.stderr):
        out.append(f"host: traceback on stderr: {p.stderr[-300:]!r}")
    elif not re.fullmatch(case.host_stderr, p.stderr, re.DOTALL):
        out.append(f"host: unexpected stderr {p.stderr[-300:]!r}")
    return out


def network(events: list[dict[str, str]]) -> list[dict[str, str]]:
    return [e for e in events if e["event"].startswith("socket.")]


def leak_problems(case: Case, obs: Observed) -> list[str]:
    out = []
    for e in network(obs.version_events + obs.command_events):
        # Creating a socket names no destination; its connect (checked here too) does.
        if e["event"] != "socket.__new__" and not loopback(e.get("host", "?")):
            out.append(f"leak: {e['event']} to {e.get('host', '?')!r}")
    for e in network(obs.command_events):
        out.append(f"leak: a telemetry command made {e['event']} ({e.get('host', '?')})")
    may_connect = case.enabled if case.may_connect is None else case.may_connect
    if not may_connect:
        for e in obs.version_events:
            out.append(f"leak: {e['event']} where nothing may connect or spawn")
    if obs.hits > case.expected_sent:
        out.append(f"leak: {obs.hits} hits received, {case.expected_sent} allowed")
    return out


def lines_kept(original: bytes, final: bytes) -> list[str]:
    """Lines of the original that are gone from the final file (managed keys may change)."""
    final_lines = set(final.decode("utf-8", "replace").splitlines())
    return [
        line
        for line in original.decode("utf-8", "replace").splitlines()
        if line.strip() and not MANAGED_LINE.match(line) and line not in final_lines
    ]


def backups(target: Path) -> dict[Path, bytes]:
    found = {}
    for p in target.parent.glob(f"{target.name}.bak-*"):
        found[p] = p.read_bytes()
    return found


def data_problems(ctx: Ctx, obs: Observed, before: Snapshot, after_reading: Snapshot) -> list[str]:
    out = []
    if after_reading != before:
        out.append("data: reading (version, status) changed the config location")
    path = ctx.config
    if before.is_dir:
        now = Snapshot.take(path)
        if not now.is_dir or now.dir_contents != before.dir_contents:
            out.append("data: the directory in place of the config was changed")
        return out
    if before.link is not None and (not path.is_symlink() or os.readlink(path) != before.link):
        out.append("data: the config symlink was replaced")
    target = Path(os.path.realpath(path))
    try:
        final = target.read_bytes() if target.is_file() else None
    except OSError:
        final = None
    if before.data is not None:
        kept = any(b == before.data for b in backups(target).values())
        if not kept and final != before.data:
            if final is None:
                out.append("data: the config is gone and no backup holds its bytes")
            else:
                out += [f"data: line lost: {line!r}" for line in lines_kept(before.data, final)]
    disable = obs.disable
    if disable is not None and disable.returncode == 0:
        try:
            record = consent_record(parse_toml(final or b""))
        except ValueError as exc:
            out.append(f"data: after `disable` the config is not valid ({exc})")
        else:
            if record.enabled is not False:
                out.append(f"data: after `disable` the config says enabled = {record.enabled!r}")
    return out


def message_problems(case: Case, obs: Observed) -> list[str]:
    out = []
    for name, proc, rc in (
        ("status", obs.status, case.status_rc),
        ("enable", obs.enable, case.enable_rc),
        ("disable", obs.disable, case.disable_rc),
    ):
        assert proc is not None
        if has_traceback(proc.stdout + proc.stderr):
            out.append(f"message: `telemetry {name}` printed a traceback: {proc.stderr[-300:]!r}")
            continue
        if proc.returncode != rc:
            out.append(
                f"message: `telemetry {name}` exited {proc.returncode}, expected {rc}: "
                f"{proc.stderr[-300:]!r}"
            )
        if proc.returncode == 0:
            if not proc.stdout.strip():
                out.append(f"message: `telemetry {name}` printed nothing")
        elif not proc.stderr.startswith("error: ") or not ACTION.search(proc.stderr):
            out.append(
                f"message: `telemetry {name}` refused without saying what to do: "
                f"{proc.stderr[-300:]!r}"
            )
    return out


def cell(text: str) -> str:
    """Text as it appears in a cell of docs/reliability.md."""
    return text.replace("|", "\\|").replace("\n", " ")


def record_skip(case: Case, reason: str) -> None:
    _write({"case": case.id, "group": case.group, "fault": case.fault, "skipped": reason})


def record(case: Case, obs: Observed, problems: list[str], counts: dict[str, int]) -> None:
    """One JSON line for the report, written before the test asserts (failures show too)."""
    observed = observed_summary(case, obs)
    line = {
        "case": case.id,
        "group": case.group,
        "fault": case.fault,
        "expected": case.expected(),
        "observed": observed,
        "leaks": counts.get("leaks", 0),
        "data_lost": counts.get("data", 0),
        "host_failures": counts.get("host", 0),
        "message_failures": counts.get("messages", 0),
        "mismatches": counts.get("mismatch", 0),
        "check_failures": counts.get("checks", 0),
        "tracebacks": counts.get("tracebacks", 0),
        "raw_escapes": counts.get("raw_escapes", 0),
        "direct": counts.get("direct", 0),
        "why": case.why,
        "notes": obs.notes,
        "problems": problems,
    }
    _write(line)


def _write(line: dict[str, object]) -> None:
    out = os.environ.get(OUT_ENV)
    if out:
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(line, ensure_ascii=False) + "\n")
