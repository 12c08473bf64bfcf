"""The fault matrix: break one thing, run the real `lumogon`, judge the same four things.

Every case runs `lumogon version` and `lumogon telemetry status | enable | disable` as
subprocesses in isolated dirs, under the audit hook, with a loopback collector as the endpoint
(tests/e2e/faults.py says exactly what is judged). Cases whose consent resolves to enabled are the
positive controls: their one hit must arrive, so a silent breakage of sending shows too.

`python scripts/reliability_report.py` runs this module and renders docs/reliability.md.
"""

from __future__ import annotations

import json
import os
import re
import signal
import ssl
import stat
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from consent.testing.collector import refused_url
from lumogon import SPEC
from tests.e2e.faults import (
    Case,
    Ctx,
    Observed,
    Setup,
    cell,
    finish,
    hand_written,
    has_traceback,
    record,
    record_skip,
    run,
    run_case,
    sender_marker,
    sender_pids,
    start,
    wait_for_sender,
)
from tests.helpers import (
    NO_FILE_MODES,
    PROCESS_TIMEOUT,
    ROOT,
    SENDER_TIMEOUT,
    file_modes_bite,
    self_signed,
)

KEYRING_ID = f"{SPEC.keyring_service}/client-id"  # as Home.client_ids() names it


# --- setups -----------------------------------------------------------------------------------


def enabled_config(ctx: Ctx) -> None:
    ctx.write_config(hand_written(True))


def optout_config(ctx: Ctx) -> None:
    ctx.write_config(hand_written(False))


def config_bytes(data: bytes) -> Setup:
    return lambda ctx: ctx.write_config(data)


def both(*setups: Setup) -> Setup:
    def setup(ctx: Ctx) -> None:
        for s in setups:
            s(ctx)

    return setup


def env(**values: str | None) -> Setup:
    def setup(ctx: Ctx) -> None:
        ctx.env.update(values)

    return setup


def unprivileged(ctx: Ctx) -> None:
    if not file_modes_bite():
        pytest.skip(NO_FILE_MODES)
    ctx.unprivileged()


def stale_temp(ctx: Ctx) -> None:
    """An opt-out beside the temp file of a writer killed mid-write (a minute old)."""
    optout_config(ctx)
    tmp = ctx.config.parent / ".consent-tmp-killed"
    tmp.write_bytes(hand_written(True)[:50])
    old = time.time() - 120
    os.utime(tmp, (old, old))


def config_directory(ctx: Ctx) -> None:
    ctx.config.mkdir(parents=True)
    (ctx.config / "mine.txt").write_text("do not touch\n")


def config_unreadable(ctx: Ctx) -> None:
    unprivileged(ctx)
    enabled_config(ctx)
    ctx.chmod(ctx.config, 0)


def config_readonly_dir(ctx: Ctx) -> None:
    unprivileged(ctx)
    optout_config(ctx)
    ctx.chmod(ctx.config.parent, 0o500)


def config_symlink(ctx: Ctx) -> None:
    dotfiles = ctx.tmp / "dotfiles" / "lumogon.toml"
    dotfiles.parent.mkdir()
    dotfiles.write_bytes(hand_written(False))
    ctx.config.parent.mkdir(parents=True, exist_ok=True)
    ctx.config.symlink_to(dotfiles)


def config_symlink_loop(ctx: Ctx) -> None:
    ctx.config.parent.mkdir(parents=True, exist_ok=True)
    ctx.config.symlink_to(ctx.config.name)


def config_huge(ctx: Ctx) -> None:
    padding = b"# " + b"x" * 1000 + b"\n"
    ctx.write_config(hand_written(True) + padding * 5000)  # 5 MB: above the 1 MiB cap


def config_dir_under_a_file(ctx: Ctx) -> None:
    blocker = ctx.tmp / "a-file"
    blocker.write_text("not a directory\n")
    ctx.env["XDG_CONFIG_HOME"] = str(blocker / "config")


def config_dir_not_creatable(ctx: Ctx) -> None:
    unprivileged(ctx)
    parent = ctx.tmp / "read-only"
    parent.mkdir()
    ctx.chmod(parent, 0o500)
    ctx.env["XDG_CONFIG_HOME"] = str(parent / "config")


def config_fifo(ctx: Ctx) -> None:
    ctx.config.parent.mkdir(parents=True, exist_ok=True)
    os.mkfifo(ctx.config)


def policy_bytes(data: bytes) -> Setup:
    return both(enabled_config, lambda ctx: ctx.iso.write_policy(data))


def policy_unreadable(ctx: Ctx) -> None:
    unprivileged(ctx)
    enabled_config(ctx)
    ctx.chmod(ctx.iso.write_policy(b"[telemetry]\nenabled = true\n"), 0)


def policy_directory(ctx: Ctx) -> None:
    enabled_config(ctx)
    ctx.iso.policy.mkdir(parents=True)


def keyring(backend: str) -> Setup:
    return both(enabled_config, env(PYTHON_KEYRING_BACKEND=backend))


def tls_collector(ctx: Ctx) -> None:
    enabled_config(ctx)
    pair = self_signed(ctx.tmp)
    if pair is None:
        pytest.skip("neither the openssl CLI nor cryptography to make a certificate")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*pair)
    ctx.collector(tls=context)
    assert str(ctx.env[SPEC.endpoint_env]).startswith("https://127.0.0.1:")


def behaviour(name: str) -> Setup:
    return both(enabled_config, lambda ctx: ctx.collector(name))


def refused(ctx: Ctx) -> None:
    enabled_config(ctx)
    ctx.env[SPEC.endpoint_env] = refused_url()


def override(url: str) -> Setup:
    """An endpoint that is not allowed: the audit hook refuses every lookup and connection."""

    def setup(ctx: Ctx) -> None:
        enabled_config(ctx)
        ctx.refuse_network = True
        ctx.env[SPEC.endpoint_env] = url

    return setup


def no_home(ctx: Ctx) -> None:
    """HOME unset, no XDG variables and no passwd entry: nowhere to keep files."""
    ctx.env.update(
        HOME=None,
        XDG_CONFIG_HOME=None,
        XDG_DATA_HOME=None,
        XDG_STATE_HOME=None,
        CONSENT_FAULT_NO_PASSWD="1",
    )
    ctx.cwd = ctx.tmp / "cwd"
    ctx.cwd.mkdir()


C_LOCALE: dict[str, str | None] = {
    "LC_ALL": "C",
    "LANG": None,
    "PYTHONUTF8": "0",  # else Python 3.7+ switches to UTF-8 mode under the C locale
    "PYTHONIOENCODING": None,
    "PYTHONCOERCECLOCALE": "0",
}


def c_locale_path(ctx: Ctx) -> None:
    # Bytes that are not UTF-8 in the config path (os.fsdecode keeps them as surrogates).
    ctx.env.update(C_LOCALE, XDG_CONFIG_HOME=str(ctx.tmp / "caf\udce9-\udcff"))
    enabled_config(ctx)


def readonly_state_and_data(keyring_backend: str) -> Setup:
    def setup(ctx: Ctx) -> None:
        unprivileged(ctx)
        enabled_config(ctx)
        ctx.env["PYTHON_KEYRING_BACKEND"] = keyring_backend
        for name in ("data", "state"):
            ctx.chmod(ctx.iso.root / name, 0o500)

    return setup


# --- checks beyond the four ---------------------------------------------------------------


def id_gone(ctx: Ctx, obs: Observed) -> list[str]:
    """After `disable`, no pseudonymous id is left anywhere (docs/security.md)."""
    out = []
    if KEYRING_ID in ctx.iso.home.client_ids():
        out.append("identity: an id is left in the keyring after `disable`")
    if ctx.iso.locs.id_file.exists():
        out.append("identity: the id file is left after `disable`")
    return out


def id_left_and_said(ctx: Ctx, obs: Observed) -> list[str]:
    """The keyring refuses to delete: the id stays there, and `disable` must say so."""
    said = obs.disable.stderr if obs.disable else ""
    if KEYRING_ID not in ctx.iso.home.client_ids():
        return ["identity: the id never reached the keyring"]
    if "could not delete the pseudonymous id from the OS keyring" not in said:
        return [f"identity: `disable` did not say the id is left: {said!r}"]
    obs.notes.append("`disable` warned that the keyring kept the id")
    return []


def id_file_private(ctx: Ctx, obs: Observed) -> list[str]:
    """The id file the sender falls back to is private. The detached sender creates the id (the
    host never loads the keyring), so this waits for the sender to be done first."""
    waited = wait_for_sender(ctx.iso, sender_marker(ctx))
    if waited:
        return waited
    path = ctx.iso.locs.id_file
    # The detached sender creates the id; the host does not wait for it, and `status` (which
    # never loads the keyring) may finish first. Wait for the file, bounded.
    (collector,) = ctx.collectors
    collector.wait_for(1, timeout=SENDER_TIMEOUT)
    if not path.exists():
        return ["identity: the id was not kept in the fallback file"]
    mode = path.stat().st_mode & 0o777
    log_mode = ctx.iso.locs.log_file.stat().st_mode & 0o777
    out = [] if mode == 0o600 else [f"identity: id file mode {mode:o}, expected 600"]
    return out + ([] if log_mode == 0o600 else [f"log: mode {log_mode:o}, expected 600"])


def kill_sender(ctx: Ctx, obs: Observed) -> list[str]:
    """The request reached the blackhole; kill the sender while it waits for an answer."""
    (collector,) = ctx.collectors
    if not collector.wait_for(1, timeout=SENDER_TIMEOUT):
        return ["sender: never connected"]
    marker = sender_marker(ctx)
    pids = sender_pids(marker)
    if len(pids) != 1:
        return [f"sender: expected one live sender, found {pids}"]
    os.kill(pids[0], signal.SIGKILL)
    deadline = time.monotonic() + SENDER_TIMEOUT  # until it is gone
    while sender_pids(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    obs.notes.append("the sender was killed with SIGKILL while waiting for an answer")
    return ["sender: still alive after SIGKILL"] if sender_pids(marker) else []


def log_after_kill(ctx: Ctx, obs: Observed) -> list[str]:
    proc = run(ctx, ctx.tmp / "audit-log.jsonl", "telemetry", "log", "--json")
    obs.extra.append(proc)
    if proc.returncode != 0 or has_traceback(proc.stderr):
        return [f"`telemetry log` after the kill: {proc.returncode} {proc.stderr[-300:]!r}"]
    (item,) = json.loads(proc.stdout)
    if item["outcome"] != "handed to sender":
        return [f"log says {item['outcome']!r}"]
    obs.notes.append("`telemetry log` still lists the hit, as handed to the sender")
    return []


def closed_stdout(ctx: Ctx, obs: Observed) -> list[str]:
    """`lumogon ... | head -c0`: stdout is a pipe whose reader has already gone."""
    out = []
    for args in (
        ("telemetry", "status"),
        ("telemetry", "status", "--json"),
        ("telemetry", "notice"),
        ("telemetry", "show-payload"),
        ("telemetry", "log"),
        ("telemetry", "show-payload", "version"),
        ("version",),
    ):
        read, write = os.pipe()
        os.close(read)
        try:
            proc = start(ctx, args, ctx.tmp / "audit-pipe.jsonl", stdout=write)
        finally:
            os.close(write)
        done = finish(args, proc)
        obs.extra.append(done)
        # show-payload names each request's URL, and how it would connect, on stderr before
        # writing the request.
        said = [
            line
            for line in done.stderr.splitlines()
            if not line.startswith(("# event ", "# connects "))
        ]
        if has_traceback(done.stderr) or said:
            out.append(f"SIGPIPE: `lumogon {' '.join(args)}` printed {done.stderr[-300:]!r}")
        if done.returncode != 1:  # docs/configuration.md: a closed stdout exits 1, quietly
            out.append(f"SIGPIPE: `lumogon {' '.join(args)}` exited {done.returncode}, not 1")
    obs.notes.append("7 commands run with a closed stdout pipe: each exited 1, stderr empty")
    return out


def show_payload_refuses(ctx: Ctx, obs: Observed) -> list[str]:
    """`show-payload` under a refused override: a message naming the variable, no traceback."""
    proc = run(ctx, ctx.tmp / "audit-show.jsonl", "telemetry", "show-payload", "version")
    obs.extra.append(proc)
    if proc.returncode != 1 or has_traceback(proc.stderr):
        return [f"show-payload: exit {proc.returncode}: {proc.stderr[-300:]!r}"]
    if not proc.stderr.startswith(f"error: {SPEC.endpoint_env}: "):
        return [f"show-payload does not name {SPEC.endpoint_env}: {proc.stderr[-300:]!r}"]
    return []


def nothing_in_cwd(ctx: Ctx, obs: Observed) -> list[str]:
    assert ctx.cwd is not None
    made = sorted(p.name for p in ctx.cwd.iterdir())
    return [f"files created in the working directory: {made}"] if made else []


def no_log_no_send(ctx: Ctx, obs: Observed) -> list[str]:
    return [] if not ctx.iso.locs.log_file.exists() else ["log: written in a read-only dir?"]


# --- issue 12: special files, pathological input, keyrings, policy, log, hand-edited files ---

BOM = b"\xef\xbb\xbf"


def fifo_at(where: Callable[[Ctx], Path]) -> Setup:
    def setup(ctx: Ctx) -> None:
        path = where(ctx)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.mkfifo(path)

    return setup


def log_path(ctx: Ctx) -> Path:
    return ctx.iso.locs.log_file


def id_path(ctx: Ctx) -> Path:
    return ctx.iso.locs.id_file


def victim(ctx: Ctx) -> Path:
    """A file of the person's that no write of the toolkit may reach (through a link)."""
    return ctx.tmp / "victim.txt"


VICTIM_BYTES = b"my own file, mode 0644\n"


def link_to_victim(where: Callable[[Ctx], Path]) -> Setup:
    def setup(ctx: Ctx) -> None:
        victim(ctx).write_bytes(VICTIM_BYTES)
        victim(ctx).chmod(0o644)
        path = where(ctx)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(victim(ctx))

    return setup


def hardlink_to_victim(where: Callable[[Ctx], Path]) -> Setup:
    def setup(ctx: Ctx) -> None:
        victim(ctx).write_bytes(VICTIM_BYTES)
        victim(ctx).chmod(0o644)
        path = where(ctx)
        path.parent.mkdir(parents=True, exist_ok=True)
        os.link(victim(ctx), path)

    return setup


def dangling_link(where: Callable[[Ctx], Path]) -> Setup:
    def setup(ctx: Ctx) -> None:
        path = where(ctx)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(ctx.tmp / "nowhere" / "telemetry.toml")

    return setup


def victim_untouched(ctx: Ctx, obs: Observed) -> list[str]:
    path = victim(ctx)
    if not path.is_file():
        return ["victim: the linked file is gone"]
    out = []
    if path.read_bytes() != VICTIM_BYTES:
        out.append(f"victim: written through a link: {path.read_bytes()[:200]!r}")
    if stat.S_IMODE(path.stat().st_mode) != 0o644:
        out.append(f"victim: mode changed to {stat.S_IMODE(path.stat().st_mode):o}")
    return out


def config_lock(ctx: Ctx) -> Path:
    return ctx.config.parent / f".{ctx.config.name}.lock"


def id_lock(ctx: Ctx) -> Path:
    return ctx.iso.locs.id_file.parent / f".{ctx.iso.locs.id_file.name}.lock"


def is_fifo(where: Callable[[Ctx], Path]) -> Callable[[Ctx, Observed], list[str]]:
    def check(ctx: Ctx, obs: Observed) -> list[str]:
        path = where(ctx)
        return (
            [] if stat.S_ISFIFO(path.lstat().st_mode) else [f"{path.name}: the FIFO was replaced"]
        )

    return check


def all_of(*checks: Callable[[Ctx, Observed], list[str]]) -> Callable[[Ctx, Observed], list[str]]:
    def check(ctx: Ctx, obs: Observed) -> list[str]:
        return [problem for c in checks for problem in c(ctx, obs)]

    return check


def log_command_works(ctx: Ctx, obs: Observed) -> list[str]:
    """`telemetry log` (and `--json`) end, without a traceback, whatever is at the log's path."""
    out = []
    for args in (("telemetry", "log"), ("telemetry", "log", "--json")):
        proc = run(ctx, ctx.tmp / "audit-log.jsonl", *args)
        obs.extra.append(proc)
        if proc.returncode != 0 or has_traceback(proc.stderr):
            out.append(f"`{' '.join(args)}`: exit {proc.returncode}: {proc.stderr[-300:]!r}")
        if CONTROL.search(proc.stdout + proc.stderr):
            out.append(f"`{' '.join(args)}` wrote a control character: {proc.stdout[-300:]!r}")
    return out


def debug_run_ends(ctx: Ctx, obs: Observed) -> list[str]:
    """The debug variable's run (the sending path up to the wire) ends too, and exits 0."""
    saved = dict(ctx.env)
    ctx.env[SPEC.debug_env] = "1"
    try:
        proc = run(ctx, ctx.tmp / "audit-debug.jsonl", "version")
    finally:
        ctx.env.clear()
        ctx.env.update(saved)
    obs.extra.append(proc)
    if proc.returncode != 0 or has_traceback(proc.stderr):
        return [f"debug run: exit {proc.returncode}: {proc.stderr[-300:]!r}"]
    return []


CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def warns_naming(text: str) -> Callable[[Ctx, Observed], list[str]]:
    def check(ctx: Ctx, obs: Observed) -> list[str]:
        said = (obs.status.stdout + obs.status.stderr) if obs.status else ""
        return [] if text in said else [f"status does not name {text!r}: {said[-400:]!r}"]

    return check


def policy_special(make: Setup) -> Setup:
    return both(enabled_config, make)


def dotted(parts: int, lines: int) -> bytes:
    body = "".join("a" + ".a" * parts + f".k{i} = 1\n" for i in range(lines))
    return hand_written(True) + body.encode()


def nested(depth: int) -> bytes:
    return hand_written(True) + b"x = " + b"[" * depth + b"]" * depth + b"\n"


def keeps_style(bom: bool, crlf: bool) -> Callable[[Ctx, Observed], list[str]]:
    """After `enable` and `disable`, the file still has its BOM and only its line ends."""

    def check(ctx: Ctx, obs: Observed) -> list[str]:
        data = ctx.config.read_bytes()
        out = []
        if data.startswith(BOM) != bom:
            out.append(f"style: BOM {'lost' if bom else 'added'}: {data[:20]!r}")
        lone = data.replace(b"\r\n", b"").count(b"\n")
        if crlf and lone:
            out.append(f"style: {lone} lone LF line ends in a CRLF file")
        if not crlf and b"\r\n" in data:
            out.append("style: CRLF line ends added to an LF file")
        if list(ctx.config.parent.glob("config.toml.bak-*")):
            out.append("style: the file was moved to a backup")
        return out

    return check


def styled(bom: bool, crlf: bool) -> Setup:
    def setup(ctx: Ctx) -> None:
        data = hand_written(False)
        if crlf:
            data = data.replace(b"\n", b"\r\n")
        ctx.write_config((BOM if bom else b"") + data)

    return setup


def with_log(data: bytes) -> Setup:
    def setup(ctx: Ctx) -> None:
        enabled_config(ctx)
        log_path(ctx).parent.mkdir(parents=True, exist_ok=True)
        log_path(ctx).write_bytes(data)
        log_path(ctx).chmod(0o600)

    return setup


MALFORMED_LOG = b"".join(
    [
        b"not json at all\n",
        b'{"id": 5, "event": "screenview"}\n',
        b'{"id": "a", "event": {"x": 1}, "hit": [1, 2], "time": 3, "outcome": null}\n',
        b'{"id": "b", "event": "\\u001b[31mred\\u001b]0;title\\u0007", "outcome": "ok\\r\\n"}\n',
        b"[" * 100_000 + b"\n",
        bytes(range(256)) + b"\n",
        b'{"id": "cut',
    ]
)


def hit_in_log(ctx: Ctx, obs: Observed) -> list[str]:
    """The hit that left is in `telemetry log --json`, with its event."""
    proc = run(ctx, ctx.tmp / "audit-logjson.jsonl", "telemetry", "log", "--json")
    obs.extra.append(proc)
    try:
        items = json.loads(proc.stdout)
    except ValueError:
        return [
            f"`telemetry log --json` is not JSON: {proc.stdout[-300:]!r} {proc.stderr[-300:]!r}"
        ]
    sent = [i for i in items if str(i.get("outcome", "")).startswith("sent:")]
    if not sent or sent[-1].get("event") != "screenview":
        return [f"log: the hit that left is not listed with its event: {items[-3:]!r}"]
    return []


def big_log(ctx: Ctx) -> None:
    line = json.dumps({"id": "old", "time": "t", "event": "screenview", "outcome": "x" * 900})
    with_log((line + "\n").encode() * 10_000)(ctx)  # ~9 MB: far over the cap


def held_lock(where: Callable[[Ctx], Path]) -> Setup:
    """Hold a lock (flock) for the whole case, as a process stuck mid-write would."""

    def setup(ctx: Ctx) -> None:
        import fcntl

        path = where(ctx)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)
        ctx.undo.append(lambda: os.close(fd))

    return setup


def log_lock(ctx: Ctx) -> Path:
    return log_path(ctx).parent / f".{log_path(ctx).name}.lock"


def keyring_with(backend: str, **extra: str) -> Setup:
    return both(enabled_config, env(PYTHON_KEYRING_BACKEND=backend, **extra))


# --- the cases ------------------------------------------------------------------------------

CONFIG = [
    Case(
        "config-missing", "config", "no config file", lambda ctx: None, False, "notice",
        why="no choice recorded, and non-interactive runs never show the notice",
    ),
    Case("config-empty", "config", "empty file", config_bytes(b""), False, "notice"),
    Case(
        "config-garbage", "config", "not TOML", config_bytes(b"# mine\nthis is [[ not toml\n"),
        False, "error",
    ),
    Case(
        "config-binary", "config", "bytes 0x00-0xff", config_bytes(bytes(range(256))), False,
        "error",
    ),
    Case(
        "config-truncated", "config", "cut mid-write by another tool, after `enabled = true`",
        config_bytes(hand_written(True)[:-12]), False, "error",
        why="a file that does not parse is no consent, even with `enabled = true` before the "
        "cut; the writes keep it as a backup",
    ),
    Case(
        "config-stale-temp", "config", "opt-out beside a killed writer's half temp file",
        stale_temp, False, "config",
        why="readers never look at temp files; the next write removes one older than a minute",
    ),
    Case(
        "config-wrong-types", "config", '`enabled = "yes"`',
        config_bytes(b'# mine\n[telemetry]\nenabled = "yes"\n[other]\nk = 1\n'), False, "error",
    ),
    Case(
        "config-directory", "config", "a directory in its place", config_directory, False,
        "error", enable_rc=1, disable_rc=1,
        why="never touched: `enable` and `disable` refuse and name it",
    ),
    Case(
        "config-unreadable", "config", "mode 000", config_unreadable, False, "error",
        why="the writes move it aside (a rename needs no read permission), keeping every byte",
    ),
    Case(
        "config-readonly-dir", "config", "opt-out in a read-only directory", config_readonly_dir,
        False, "config", enable_rc=1, disable_rc=1,
        why="the opt-out stays in force; the refusals name the directory and offer "
        "LUMOGON_DISABLE_ANALYTICS=1",
    ),
    Case(
        "config-symlink", "config", "a symlink to a dotfiles repo (opt-out there)",
        config_symlink, False, "config",
        why="written through the link: the link and the dotfiles' comments are kept",
    ),
    Case(
        "config-symlink-loop", "config", "a symlink to itself", config_symlink_loop, False,
        "error", enable_rc=1, disable_rc=1,
    ),
    Case(
        "config-huge", "config", "5 MB file (cap 1 MiB)", config_huge, False, "error",
        why="over the 1 MiB cap it is not even read; the writes move it aside",
    ),
    Case(
        "config-dir-under-file", "config", "config dir path runs through a regular file",
        config_dir_under_a_file, False, "error", enable_rc=1, disable_rc=1,
    ),
    Case(
        "config-dir-not-creatable", "config", "config dir in a read-only parent",
        config_dir_not_creatable, False, "notice", enable_rc=1, disable_rc=1,
    ),
    Case(
        "config-fifo", "config", "a FIFO in its place", config_fifo, False, "error",
        enable_rc=1, disable_rc=1, why="never opened: reading a FIFO would block the host",
    ),
]  # fmt: skip

POLICY = [
    Case(
        "policy-garbage", "policy", "not TOML", policy_bytes(b"[telemetry\nenabled = false"),
        False, "policy", enable_rc=1,
        why="a policy that cannot be read clearly counts as a lock; `disable` always works",
    ),
    Case("policy-unreadable", "policy", "mode 000", policy_unreadable, False, "policy", enable_rc=1),
    Case(
        "policy-wrong-types", "policy", '`enabled = "no"`',
        policy_bytes(b'[telemetry]\nenabled = "no"\n'), False, "policy", enable_rc=1,
    ),
    Case(
        "policy-directory", "policy", "a directory in its place", policy_directory, False,
        "policy", enable_rc=1,
    ),
]  # fmt: skip

ENV_VALUES = [
    ("spaces-1", " 1 ", True),
    ("upper-TRUE", "TRUE", True),
    ("tab-Off-newline", "\tOff\n", False),
    ("blank", "   ", False),
    ("unicode", "é", True),
    ("fullwidth-true", "\uff54\uff52\uff55\uff45", True),
    ("100k-long", "x" * 100_000, True),
    ("non-utf8-bytes", "\udcff\udcfe", True),  # os.fsencode gives the raw bytes 0xff 0xfe
]


def warns_not_understood(ctx: Ctx, obs: Observed) -> list[str]:
    status = obs.status.stdout if obs.status else ""
    return [] if "is not understood" in status else ["status did not warn about the value"]


def env_case(name: str, label: str, value: str, disables: bool) -> Case:
    understood = value.strip().lower() in ("1", "true", "yes", "on", "", "0", "false", "no", "off")
    return Case(
        f"env-{name.split('_', maxsplit=1)[0].lower()}-{label}", "env", f"{name}={value[:20]!r}",
        both(enabled_config, env(**{name: value})), not disables,
        "env" if disables else "config",
        extra=None if understood else warns_not_understood,
        why="" if disables and understood
        else "not understood: it disables (fail closed) and `status` warns" if disables
        else "a false word or blank (trimmed, any case) is no vote: a positive control",
    )  # fmt: skip


ENV = [
    env_case(name, label, value, disables)
    for name in ("LUMOGON_DISABLE_ANALYTICS", "DO_NOT_TRACK")
    for label, value, disables in ENV_VALUES
]

KEYRING = [
    Case(
        "keyring-none", "keyring", "no backend (keyring.backends.fail)",
        keyring("keyring.backends.fail.Keyring"), True, "config",
        after_host=id_file_private, extra=id_gone,
        why="the id falls back to a 0600 file in the data dir; `disable` deletes it",
    ),
    Case(
        "keyring-unloadable", "keyring", "backend module cannot be imported",
        keyring("consent.no_such_module.Keyring"), True, "config", extra=id_gone,
    ),
    Case(
        "keyring-get-raises", "keyring", "get_password raises",
        keyring("consent.testing.keyring.FailingGet"), True, "config", extra=id_gone,
        why="an id stored but unreadable is taken back at once; the file holds the one id",
    ),
    Case(
        "keyring-set-raises", "keyring", "set_password raises",
        keyring("consent.testing.keyring.FailingSet"), True, "config", extra=id_gone,
    ),
    Case(
        "keyring-delete-raises", "keyring", "delete_password raises",
        keyring("consent.testing.keyring.FailingDelete"), True, "config", extra=id_left_and_said,
    ),
    Case(
        "keyring-locked", "keyring", "locked (every call raises KeyringLocked)",
        keyring("consent.testing.keyring.LockedKeyring"), True, "config", extra=id_gone,
    ),
]  # fmt: skip

NOT_SENT = r"telemetry: LUMOGON_TELEMETRY_ENDPOINT: .*; nothing was sent\n"
NETWORK = [
    Case(
        "net-refused", "network", "nothing listens", refused, True, "config", sent=0,
        outcome="failed: ConnectionRefusedError",
    ),
    Case(
        "net-blackhole", "network", "accepts, never answers", behaviour("blackhole"), True,
        "config", outcome="failed: TimeoutError",
        why="the host never waits; the sender gives up after 3 s",
    ),
    Case(
        "net-trickle", "network", "answers one byte at a time", behaviour("trickle"), True,
        "config", outcome="sent: HTTP 200",
    ),
    Case(
        "net-http500", "network", "HTTP 500", behaviour("http500"), True, "config",
        outcome="sent: HTTP 500",
    ),
    Case(
        "net-endless", "network", "a response that never ends", behaviour("endless"), True,
        "config", outcome="sent: HTTP 200",
    ),
    Case(
        "net-garbage", "network", "answers bytes that are not HTTP", behaviour("garbage"), True,
        "config", outcome="failed: ValueError",
    ),
    Case(
        "net-tls-self-signed", "network", "https with a self-signed certificate", tls_collector,
        True, "config", sent=0, outcome="failed: SSLCertVerificationError",
        why="the certificate is verified: nothing goes to a peer that cannot prove who it is",
    ),
    Case(
        "net-override-http-remote", "network", "override http://10.1.2.3 (not loopback)",
        override("http://10.1.2.3"), True, "config", sent=0, outcome="refused",
        may_connect=False, host_stderr=NOT_SENT, extra=show_payload_refuses,
        why="refused before any lookup or connection (the audit hook would have raised); "
        "show-payload names the variable",
    ),
    Case(
        "net-override-http-name", "network", "override http://telemetry.example.com",
        override("http://telemetry.example.com:8080/x"), True, "config", sent=0,
        outcome="refused", may_connect=False, host_stderr=NOT_SENT, extra=show_payload_refuses,
    ),
    Case(
        "net-override-credentials", "network", "override https://user:pw@127.0.0.1:9",
        override("https://user:pw@127.0.0.1:9"), True, "config", sent=0, outcome="refused",
        may_connect=False, host_stderr=NOT_SENT, extra=show_payload_refuses,
    ),
    Case(
        "net-override-malformed", "network", "override https://[::1 (unclosed bracket)",
        override("https://[::1"), True, "config", sent=0, outcome="refused",
        may_connect=False, host_stderr=NOT_SENT, extra=show_payload_refuses,
    ),
    Case(
        "net-override-non-ascii", "network", "override https://例え.jp/€",
        override("https://\u4f8b\u3048.jp/\u20ac"), True, "config", sent=0, outcome="refused",
        may_connect=False, host_stderr=NOT_SENT, extra=show_payload_refuses,
    ),
]  # fmt: skip

PROCESS = [
    Case(
        "proc-sender-killed", "process", "sender SIGKILLed mid-send", behaviour("blackhole"),
        True, "config", outcome="handed to sender", after_host=kill_sender,
        extra=log_after_kill,
        why="the host had already returned; the log keeps the hit as handed over",
    ),
    Case(
        "proc-sigpipe", "process", "stdout is a closed pipe", optout_config, False, "config",
        extra=closed_stdout,
    ),
    Case(
        "proc-home-unset", "process", "HOME unset", both(enabled_config, env(HOME=None)), True,
        "config",
    ),
    Case(
        "proc-no-home", "process", "HOME, XDG_* unset and no passwd entry", no_home, False, "",
        status_rc=1, enable_rc=1, disable_rc=1, extra=nothing_in_cwd,
        why="no place to read consent from: nothing is sent, and the commands say what to set",
    ),
    Case(
        "proc-c-locale-path", "process", "LC_ALL=C, config path with non-UTF-8 bytes",
        c_locale_path, True, "config",
    ),
    Case(
        "proc-c-locale-env", "process", "LC_ALL=C, DO_NOT_TRACK with non-UTF-8 bytes",
        both(enabled_config, env(**C_LOCALE, DO_NOT_TRACK="\udcff")), False, "env",
    ),
    Case(
        "proc-readonly-data-state", "process", "data and state dirs read-only, no keyring",
        readonly_state_and_data("keyring.backends.fail.Keyring"), True, "config", sent=0,
        extra=no_log_no_send, why="the id cannot be stored, so nothing is sent",
    ),
    Case(
        "proc-readonly-state", "process", "state dir read-only (no log), keyring works",
        readonly_state_and_data("consent.testing.keyring.FileKeyring"), True, "config", sent=0,
        extra=no_log_no_send, why="a hit that cannot be written to the local log is not sent",
    ),
]  # fmt: skip

NO_KEYRING = "keyring.backends.fail.Keyring"


def policy_link_to_enabled(ctx: Ctx) -> None:
    enabled_config(ctx)
    allowed = ctx.tmp / "managed" / "telemetry.toml"
    allowed.parent.mkdir()
    allowed.write_bytes(b"[telemetry]\nenabled = true\n")
    ctx.iso.policy.parent.mkdir(parents=True, exist_ok=True)
    ctx.iso.policy.symlink_to(allowed)


def many_tables(ctx: Ctx) -> None:
    ctx.write_config(hand_written(True) + b"".join(b"[t%d]\n" % i for i in range(600)))


def many_keys(ctx: Ctx) -> None:
    ctx.write_config(
        hand_written(True) + b"[many]\n" + b"".join(b"k%d = 1\n" % i for i in range(5000))
    )


def long_key(ctx: Ctx) -> None:
    ctx.write_config(hand_written(True) + b"[long]\n" + b"k" * 300 + b" = 1\n")


SPECIAL = [
    Case(
        "log-fifo",
        "special files",
        "a FIFO at the log's path",
        both(enabled_config, fifo_at(log_path)),
        True,
        "config",
        sent=0,
        extra=all_of(is_fifo(log_path), log_command_works, debug_run_ends),
        why="never opened for writing (it would block with no reader): the hit cannot be logged, "
        "so it is not sent; `telemetry log` and the debug run end at once",
    ),
    Case(
        "log-symlink",
        "special files",
        "the log is a symlink to another file",
        both(enabled_config, link_to_victim(log_path)),
        True,
        "config",
        sent=0,
        extra=all_of(victim_untouched, log_command_works),
        why="O_NOFOLLOW: a link cannot redirect the log's writes into another file",
    ),
    Case(
        "log-hardlink",
        "special files",
        "the log is a hard link to another file",
        both(enabled_config, hardlink_to_victim(log_path)),
        True,
        "config",
        sent=0,
        extra=victim_untouched,
        why="a file with a second name is never appended to",
    ),
    Case(
        "log-directory",
        "special files",
        "a directory at the log's path",
        both(enabled_config, lambda ctx: log_path(ctx).mkdir(parents=True)),
        True,
        "config",
        sent=0,
        extra=log_command_works,
    ),
    Case(
        "log-old-fifo",
        "special files",
        "a FIFO at the log's older generation (.1)",
        both(enabled_config, fifo_at(lambda ctx: Path(f"{log_path(ctx)}.1"))),
        True,
        "config",
        extra=all_of(log_command_works, hit_in_log),
    ),
    Case(
        "id-fifo",
        "special files",
        "a FIFO at the id file's path, no keyring",
        both(keyring(NO_KEYRING), fifo_at(id_path)),
        True,
        "config",
        sent=0,
        outcome="failed: NotRegularFile",
        extra=id_gone,
        why="never read, never replaced: no id, so nothing is sent; `disable` removes the name",
    ),
    Case(
        "id-symlink",
        "special files",
        "the id file is a symlink to another file, no keyring",
        both(keyring(NO_KEYRING), link_to_victim(id_path)),
        True,
        "config",
        sent=0,
        outcome="failed: NotRegularFile",
        extra=all_of(victim_untouched, id_gone),
    ),
    Case(
        "config-lock-fifo",
        "special files",
        "a FIFO at the config's lock file",
        both(optout_config, fifo_at(config_lock)),
        False,
        "config",
        extra=is_fifo(config_lock),
        why="never opened through: the lock is taken on the directory instead, so `disable` works",
    ),
    Case(
        "id-lock-symlink",
        "special files",
        "the id's lock file is a symlink to another file",
        both(enabled_config, link_to_victim(id_lock)),
        True,
        "config",
        extra=victim_untouched,
    ),
    Case(
        "log-lock-fifo",
        "special files",
        "a FIFO at the log's rotation lock, log over the cap",
        both(big_log, fifo_at(log_lock)),
        True,
        "config",
        extra=hit_in_log,
    ),
    Case(
        "config-symlink-fifo",
        "special files",
        "config.toml is a symlink to a FIFO",
        both(
            lambda ctx: ctx.config.parent.mkdir(parents=True, exist_ok=True),
            fifo_at(lambda ctx: ctx.tmp / "a-fifo"),
            lambda ctx: ctx.config.symlink_to(ctx.tmp / "a-fifo"),
        ),
        False,
        "error",
        enable_rc=1,
        disable_rc=1,
    ),
    Case(
        "policy-fifo",
        "special files",
        "a FIFO at the policy's path",
        policy_special(fifo_at(lambda ctx: ctx.iso.policy)),
        False,
        "policy",
        enable_rc=1,
        extra=warns_naming("is not a regular file"),
    ),
]

PATHOLOGICAL = [
    Case(
        "config-dotted-40k",
        "pathological input",
        "40 KB of 200-part dotted keys",
        config_bytes(dotted(200, 100)),
        False,
        "error",
        extra=warns_naming("more than 16 dotted parts"),
        why="refused before tomllib sees it (its cost grows with the square of a key's parts)",
    ),
    Case(
        "config-deep-nesting",
        "pathological input",
        "an array nested 100 deep",
        config_bytes(nested(100)),
        False,
        "error",
        extra=warns_naming("nested deeper than 16"),
    ),
    Case(
        "config-many-tables",
        "pathological input",
        "600 table headers (cap 512)",
        many_tables,
        False,
        "error",
        extra=warns_naming("more than 512 table headers"),
    ),
    Case(
        "config-many-keys",
        "pathological input",
        "5000 keys (cap 4096)",
        many_keys,
        False,
        "error",
        extra=warns_naming("more than 4096 keys"),
    ),
    Case(
        "config-long-key",
        "pathological input",
        "a 300-character key (cap 256)",
        long_key,
        False,
        "error",
        extra=warns_naming("longer than 256"),
    ),
    Case(
        "policy-dotted",
        "pathological input",
        "policy with a 40-part dotted key",
        policy_bytes(b"[telemetry]\nenabled = true\n" + b"a" + b".a" * 40 + b" = 1\n"),
        False,
        "policy",
        enable_rc=1,
        extra=warns_naming("dotted parts"),
    ),
    Case(
        "policy-deep-nesting",
        "pathological input",
        "policy nested 2000 deep",
        policy_bytes(b"x = " + b"[" * 2000 + b"]" * 2000 + b"\n"),
        False,
        "policy",
        enable_rc=1,
        why="nested beyond any parser's reach is still an admin lock",
    ),
]

SLOW_KEYRINGS = [
    Case(
        "keyring-hangs",
        "keyring",
        "every call hangs (a locked keyring's unseen prompt)",
        keyring_with("consent.testing.keyring.HangingKeyring"),
        True,
        "config",
        extra=id_gone,
        why="each call is abandoned after 2 s: the id falls back to the file; `disable` records "
        "first, then deletes the file and says the keyring did not answer",
    ),
    Case(
        "keyring-slow",
        "keyring",
        "every call takes 0.5 s",
        keyring_with("consent.testing.keyring.SlowKeyring", CONSENT_TEST_KEYRING_DELAY="0.5"),
        True,
        "config",
        extra=id_gone,
    ),
    Case(
        "keyring-delete-hangs",
        "keyring",
        "delete_password hangs",
        keyring_with("consent.testing.keyring.HangingDelete"),
        True,
        "config",
        extra=id_left_and_said,
    ),
]

AMBIGUOUS_POLICY = [
    Case(
        "policy-dangling-link",
        "policy",
        "a dangling symlink at the policy's path",
        policy_special(dangling_link(lambda ctx: ctx.iso.policy)),
        False,
        "policy",
        enable_rc=1,
        extra=warns_naming("dangling symbolic link"),
        why="a policy path that exists in any form is a lock",
    ),
    Case(
        "policy-symlink",
        "policy",
        "a symlink to a policy that allows",
        policy_link_to_enabled,
        False,
        "policy",
        enable_rc=1,
        extra=warns_naming("symbolic link"),
    ),
    Case(
        "policy-unknown-key",
        "policy",
        "`[telemetry] disabled = true`",
        policy_bytes(b"[telemetry]\ndisabled = true\n"),
        False,
        "policy",
        enable_rc=1,
        extra=warns_naming("'telemetry.disabled'"),
    ),
    Case(
        "policy-table-case",
        "policy",
        "`[Telemetry] enabled = false`",
        policy_bytes(b"[Telemetry]\nenabled = false\n"),
        False,
        "policy",
        enable_rc=1,
        extra=warns_naming("'Telemetry'"),
    ),
    Case(
        "policy-key-case",
        "policy",
        "`[telemetry] Enabled = false`",
        policy_bytes(b"[telemetry]\nEnabled = false\n"),
        False,
        "policy",
        enable_rc=1,
        extra=warns_naming("'telemetry.Enabled'"),
    ),
    Case(
        "policy-top-level",
        "policy",
        "`enabled = false` at the top level",
        policy_bytes(b"enabled = false\n"),
        False,
        "policy",
        enable_rc=1,
        extra=warns_naming("'enabled' outside"),
    ),
]

LOG = [
    Case(
        "log-malformed",
        "log",
        "garbage, wrong types, escape codes, deep JSON, a cut line",
        with_log(MALFORMED_LOG),
        True,
        "config",
        extra=all_of(log_command_works, hit_in_log),
        why="`telemetry log` skips what it cannot read and escapes control characters; the new "
        "hit starts on a line of its own",
    ),
    Case(
        "log-oversized",
        "log",
        "a 9 MB log (cap 64 KiB)",
        big_log,
        True,
        "config",
        extra=hit_in_log,
        why="rotated by a rename: nothing read on the host path",
    ),
    Case(
        "log-lock-held",
        "log",
        "the rotation lock held by another process, log over the cap",
        both(big_log, held_lock(log_lock)),
        True,
        "config",
        extra=hit_in_log,
        why="the lock is never waited for: rotation is left to the next append",
    ),
]

HAND_EDITED = [
    Case(
        "config-bom",
        "hand-edited",
        "opt-out saved with a UTF-8 BOM",
        styled(True, False),
        False,
        "config",
        extra=keeps_style(True, False),
    ),
    Case(
        "config-crlf",
        "hand-edited",
        "opt-out with CRLF line ends",
        styled(False, True),
        False,
        "config",
        extra=keeps_style(False, True),
    ),
    Case(
        "config-bom-crlf",
        "hand-edited",
        "opt-out with a BOM and CRLF",
        styled(True, True),
        False,
        "config",
        extra=keeps_style(True, True),
    ),
]


# --- issue 24: every reader survives every input ----------------------------------------------


def receipts_path(ctx: Ctx) -> Path:
    return Path(ctx.iso.locs.receipts_path)


def inline_dotted(ctx: Ctx) -> bytes:
    """200 KB: one key of 100 000 dotted parts inside an inline table (12.6 s in tomllib)."""
    return b"x = {" + b"a." * 100_000 + b"a = 1}\n"


def project_file(data: bytes) -> Setup:
    """A per-project file in the working directory, as a cloned repository may ship one."""

    def setup(ctx: Ctx) -> None:
        enabled_config(ctx)
        ctx.cwd = ctx.tmp / "repo"
        (ctx.cwd / f".{SPEC.name}").mkdir(parents=True)
        (ctx.cwd / f".{SPEC.name}" / "telemetry.toml").write_bytes(data)

    return setup


def receipts_then(make: Setup) -> Setup:
    return both(enabled_config, lambda ctx: receipts_path(ctx).parent.mkdir(parents=True), make)


def status_and_receipts_say(text: str) -> Callable[[Ctx, Observed], list[str]]:
    """`status` shows the decision and says what is wrong at the receipts' path, naming it;
    `receipts` and `receipts --verify` refuse naming it; none prints a traceback."""

    def check(ctx: Ctx, obs: Observed) -> list[str]:
        path = receipts_path(ctx)
        out = []
        said = obs.status.stdout if obs.status else ""
        if f"! the consent receipts cannot be read: {path} {text}" not in said:
            out.append(f"status does not say what is at {path}: {said[-400:]!r}")
        for args in (("telemetry", "receipts"), ("telemetry", "receipts", "--verify")):
            proc = run(ctx, ctx.tmp / "audit-receipts.jsonl", *args)
            obs.extra.append(proc)
            expected = f"error: the consent receipts cannot be read: {path} {text}"
            if proc.returncode != 1 or not proc.stderr.startswith(expected):
                out.append(f"`{' '.join(args)}`: exit {proc.returncode}: {proc.stderr[-300:]!r}")
        obs.notes.append("status still shows the decision, and says what is at the path")
        return out

    return check


def deep_receipt(ctx: Ctx) -> None:
    path = receipts_path(ctx)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000 + b"\n")


def receipts_commands_judge(ctx: Ctx, obs: Observed) -> list[str]:
    """Every command that reads the receipts, after the case: no traceback; --verify names
    the first bad record."""
    out = []
    for args in (
        ("telemetry", "status", "--json"),
        ("telemetry", "receipts"),
        ("telemetry", "receipts", "--json"),
        ("telemetry", "receipts", "--verify"),
    ):
        proc = run(ctx, ctx.tmp / "audit-receipts.jsonl", *args)
        obs.extra.append(proc)
        if has_traceback(proc.stdout + proc.stderr):
            out.append(f"`{' '.join(args)}` printed a traceback: {proc.stderr[-300:]!r}")
        elif args[-1] == "--verify" and not proc.stdout.startswith("receipt 1 of "):
            out.append(f"--verify did not name the first record: {proc.stdout!r}")
    return out


def proxy_set(**values: str) -> Setup:
    """Hits to the app's own https destination with proxy variables set; the audit hook
    refuses every connection beyond loopback, so a direct one would be seen and stopped."""

    def setup(ctx: Ctx) -> None:
        enabled_config(ctx)
        ctx.refuse_network = True
        ctx.env.update(values, CONSENT_AUDIT_REFUSE_NETWORK="remote")
        ctx.env[SPEC.endpoint_env] = None  # no loopback collector: the real destination

    return setup


def refusing_proxy(ctx: Ctx) -> None:
    """A proxy on loopback that refuses every tunnel, and a NO_PROXY entry naming the
    destination with a port that is no number."""
    from consent.testing.proxy import ConnectProxy

    proxy = ConnectProxy(behaviour="refuse").start()
    ctx.undo.append(proxy.close)
    ctx.proxy = proxy  # type: ignore[attr-defined]
    proxy_set(HTTPS_PROXY=proxy.url, NO_PROXY="www.google-analytics.com:abc")(ctx)


def went_through_the_proxy(ctx: Ctx, obs: Observed) -> list[str]:
    waited = wait_for_sender(ctx.iso, sender_marker(ctx))
    seen = [s.line for s in ctx.proxy.seen()]  # type: ignore[attr-defined]
    if seen != ["CONNECT www.google-analytics.com:443 HTTP/1.1"]:
        return [*waited, f"the proxy saw {seen}, expected the one CONNECT"]
    obs.notes.append("the malformed NO_PROXY entry matched nothing: the hit went to the proxy")
    return waited


def loopback_spelled(host: str) -> Setup:
    """The endpoint is the loopback collector named as `host` (a spelling the resolver reads
    as this machine without asking DNS), with both proxy variables naming a proxy that refuses
    every tunnel: a hit reaches the collector directly, and the proxy sees nothing."""
    from consent.testing.proxy import ConnectProxy

    def setup(ctx: Ctx) -> None:
        proxy = ConnectProxy(behaviour="refuse").start()
        ctx.undo.append(proxy.close)
        ctx.proxy = proxy  # type: ignore[attr-defined]
        enabled_config(ctx)
        url = urlsplit(ctx.collector().url)
        ctx.env[SPEC.endpoint_env] = url._replace(netloc=f"{host}:{url.port}").geturl()
        ctx.refuse_network = True  # beyond loopback, every lookup and connection is refused
        ctx.env.update(
            HTTPS_PROXY=proxy.url, HTTP_PROXY=proxy.url, CONSENT_AUDIT_REFUSE_NETWORK="remote"
        )

    return setup


def proxy_saw_nothing(ctx: Ctx, obs: Observed) -> list[str]:
    seen = [s.line for s in ctx.proxy.seen()]  # type: ignore[attr-defined]
    if seen:
        return [f"the proxy saw {seen}: a loopback endpoint went through it"]
    obs.notes.append("the hit went to the loopback collector directly; the proxy saw nothing")
    return []


ESCAPE = "\x1b]0;owned\x07\x1b[2J"


def escapes_everywhere(ctx: Ctx) -> None:
    """Escape sequences in every place outside text comes from: the config's values, the
    endpoint variable, a path, the log, the receipts."""
    # TOML's own escapes: the file is valid, and the value holds the raw bytes once read.
    toml = ESCAPE.encode("unicode_escape").replace(b"\\x", b"\\u00")
    ctx.write_config(hand_written(False).replace(b"by hand", toml))
    ctx.refuse_network = True  # the endpoint named is not loopback (and it is refused)
    ctx.env[SPEC.endpoint_env] = f"https://collector.example/{ESCAPE}"
    ctx.env["XDG_STATE_HOME"] = str(ctx.iso.root / f"state{ESCAPE}")
    log = ctx.iso.root / f"state{ESCAPE}" / SPEC.name / "telemetry-log.jsonl"
    log.parent.mkdir(parents=True)
    log.write_text(json.dumps({"id": "1", "event": ESCAPE, "outcome": ESCAPE}) + "\n")


def no_raw_escape(ctx: Ctx, obs: Observed) -> list[str]:
    """No escape byte reaches stdout or stderr, from any command, the words of the command line
    included."""
    procs = [obs.status, obs.enable, obs.disable]
    for args in (
        ("telemetry", "show-payload", ESCAPE),
        ("telemetry", "show-payload", "version"),
        ("telemetry", "log"),
        ("telemetry", "receipts"),
        ("telemetry", "status", "--json"),
        ("telemetry", "enable", ESCAPE),
    ):
        procs.append(run(ctx, ctx.tmp / "audit-escape.jsonl", *args))
        obs.extra.append(procs[-1])
    raw = [p.args for p in procs if p and ("\x1b" in p.stdout + p.stderr or "\x07" in p.stderr)]
    obs.notes.append(f"{len(procs)} commands, escape sequences in their input: none printed raw")
    return [f"raw escape bytes from `lumogon {' '.join(a)}`" for a in raw]


ALL_COMMANDS = (
    ("telemetry", "status"), ("telemetry", "status", "--json"), ("telemetry", "policy"),
    ("telemetry", "show-payload"), ("telemetry", "show-payload", "version"),
    ("telemetry", "notice"), ("telemetry", "log"), ("telemetry", "receipts"),
    ("telemetry", "receipts", "--verify"), ("telemetry", "id"), ("telemetry", "enable"),
    ("telemetry", "local"), ("telemetry", "reset"), ("telemetry", "disable"), ("version",),
)  # fmt: skip


def closed(stream: str) -> Callable[[Ctx, Observed], list[str]]:
    """Each command started with `stream` closed (`cmd >&-`: Python then has no sys.stdout,
    or no sys.stderr) exits as it does with the stream open, and says no more than that."""
    fd = {"stdout": "1", "stderr": "2"}[stream]

    def check(ctx: Ctx, obs: Observed) -> list[str]:
        out = []
        for args in ALL_COMMANDS:
            wrapped = ("sh", "-c", f'exec "$@" {fd}>&-', "sh", sys.executable, "-m", "lumogon")
            proc = subprocess.run(
                [*wrapped, *args],
                env=ctx.full_env(ctx.tmp / "audit-closed.jsonl"),
                cwd=ctx.cwd,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                timeout=PROCESS_TIMEOUT,
                check=False,
            )
            # What the open stream shows; a traceback on the closed one would show as exit 1.
            if proc.returncode != 0 or has_traceback(proc.stdout + proc.stderr):
                shown = (proc.stdout + proc.stderr)[-300:]
                out.append(f"{stream} closed: `lumogon {' '.join(args)}` exited "
                           f"{proc.returncode}: {shown!r}")  # fmt: skip
        obs.notes.append(f"{len(ALL_COMMANDS)} commands run with {stream} closed: each exited 0")
        return out

    return check


def deep_peers(ctx: Ctx, obs: Observed) -> list[str]:
    """`lumogon scan` against an engine whose error answer is nested 100 000 deep, and
    `lumogon report` against a service whose answer is: an `error:` line each, exit 1."""
    from tests.lumogon.fakes import FakeEngine, FakeService

    out = []
    deep = b"HTTP/1.1 500 x\r\nConnection: close\r\n\r\n" + b'{"error": ' + b"[" * 100_000
    with (
        FakeEngine(behaviour="deep-error") as bad,
        FakeEngine() as good,
        FakeService(behaviour="raw") as service,
    ):
        service.raw = deep
        for args, host in (
            (("scan",), bad.host),
            (("report", "--endpoint", service.url), good.host),
        ):
            ctx.env["DOCKER_HOST"] = host
            proc = run(ctx, ctx.tmp / "audit-peers.jsonl", *args)
            obs.extra.append(proc)
            if proc.returncode != 1 or not proc.stderr.startswith("error: "):
                out.append(f"`lumogon {args[0]}`: exit {proc.returncode}: {proc.stderr[-300:]!r}")
    obs.notes.append("`scan` and `report` against answers nested 100 000 deep: an error each")
    return out


READERS = [
    Case(
        "config-inline-dotted", "pathological input",
        "200 KB: a 100 000-part dotted key inside an inline table",
        lambda ctx: ctx.write_config(hand_written(True) + inline_dotted(ctx)), False, "error",
        extra=warns_naming("more than 16 dotted parts"),
        why="every key is capped wherever it stands: refused before tomllib sees it (it took "
        "12.6 s)",
    ),
    Case(
        "policy-inline-dotted", "pathological input",
        "policy: a 100 000-part dotted key inside an inline table",
        lambda ctx: policy_bytes(b"[telemetry]\nenabled = true\n" + inline_dotted(ctx))(ctx),
        False, "policy", enable_rc=1, extra=warns_naming("more than 16 dotted parts"),
    ),
    Case(
        "project-inline-dotted", "pathological input",
        "a project file in the working directory: the same 200 KB key",
        lambda ctx: project_file(inline_dotted(ctx))(ctx), False, "project",
        extra=warns_naming("more than 16 dotted parts"),
        why="any cloned repository may ship one: it disables, and costs no more than its size",
    ),
    Case(
        "config-long-number", "pathological input", "a 5000-digit integer",
        config_bytes(hand_written(True) + b"n = " + b"1" * 5000 + b"\n"), False, "error",
        extra=warns_naming("a number too long to convert"),
        why="Python refuses to convert it: `status` printed a ValueError traceback",
    ),
    Case(
        "receipts-fifo", "receipts", "a FIFO at the receipts' path",
        receipts_then(fifo_at(receipts_path)), True, "config",
        extra=status_and_receipts_say("is not a regular file"),
        why="status printed only `error: is not a regular file (no file)`, exit 1",
    ),
    Case(
        "receipts-directory", "receipts", "a directory at the receipts' path",
        receipts_then(lambda ctx: receipts_path(ctx).mkdir()), True, "config",
        extra=status_and_receipts_say("is a directory"),
    ),
    Case(
        "receipts-dangling-link", "receipts", "a dangling symlink at the receipts' path",
        receipts_then(dangling_link(receipts_path)), True, "config",
        extra=status_and_receipts_say("is a symbolic link"),
    ),
    Case(
        "receipts-deep-json", "receipts", "a receipt nested 100 000 deep",
        both(enabled_config, deep_receipt), True, "config", extra=receipts_commands_judge,
        why="refused before the json parser sees it: it is a bad record, not a RecursionError",
    ),
    Case(
        "proxy-blank", "proxy", "HTTPS_PROXY='   ' (set, blank), the real https destination",
        proxy_set(HTTPS_PROXY="   "), True, "config", sent=0,
        outcome="not sent: HTTPS_PROXY is set but empty: unset it to connect directly",
        why="a set variable names a proxy or nothing is sent: never a direct connection",
    ),
    Case(
        "proxy-no-proxy-malformed", "proxy",
        "NO_PROXY='www.google-analytics.com:abc', a proxy that refuses tunnels",
        refusing_proxy, True, "config", sent=0, outcome="failed: ProxyError",
        extra=went_through_the_proxy,
        why="a malformed entry matches nothing: through the proxy, never directly",
    ),
    Case(
        "proxy-loopback-octal", "proxy",
        "endpoint http://0177.0.0.1 (loopback in octal), proxy variables set",
        loopback_spelled("0177.0.0.1"), True, "config", outcome="sent: HTTP 200",
        extra=proxy_saw_nothing,
        why="the resolver reads it as 127.0.0.1 without DNS: loopback, so never through the "
        "proxy (it was sent to the proxy)",
    ),
    Case(
        "proxy-loopback-absolute", "proxy",
        "endpoint http://localhost. (the absolute name), proxy variables set",
        loopback_spelled("localhost."), True, "config", outcome="sent: HTTP 200",
        extra=proxy_saw_nothing,
        why="it was sent to the proxy; then, going direct, the resolver asked DNS for it: the "
        "sender asks for `localhost`, which the hosts file answers",
    ),
    Case(
        "proxy-loopback-mapped", "proxy",
        "endpoint http://[::ffff:7f00:1] (IPv4-mapped loopback), proxy variables set",
        loopback_spelled("[::ffff:7f00:1]"), True, "config", outcome="sent: HTTP 200",
        extra=proxy_saw_nothing,
        why="an IPv4-mapped 127.0.0.1 is this machine: never through the proxy",
    ),
    Case(
        "terminal-escapes", "terminal",
        "escape sequences in the config, the endpoint variable, a path, the log and argv",
        escapes_everywhere, False, "config", extra=no_raw_escape,
        why="every text a command prints is escaped on its way out",
    ),
    Case(
        "proc-stdout-closed", "terminal", "stdout closed (`cmd >&-`: no sys.stdout)",
        optout_config, False, "config", extra=closed("stdout"),
        why="show-payload, status, log and receipts ended in an AttributeError traceback",
    ),
    Case(
        "proc-stderr-closed", "terminal", "stderr closed (`cmd 2>&-`: no sys.stderr)",
        optout_config, False, "config", extra=closed("stderr"),
    ),
    Case(
        "peers-deep-json", "peers",
        "the Docker Engine and the report service answer JSON nested 100 000 deep",
        optout_config, False, "config", extra=deep_peers,
        why="refused before the json parser sees it (a RecursionError traceback before)",
    ),
]  # fmt: skip


CASES = (
    CONFIG
    + POLICY
    + ENV
    + KEYRING
    + NETWORK
    + PROCESS
    + SPECIAL
    + PATHOLOGICAL
    + SLOW_KEYRINGS
    + AMBIGUOUS_POLICY
    + LOG
    + HAND_EDITED
    + READERS
)


Results = dict[str, "Future[tuple[Observed, list[str], dict[str, int]]]"]


@pytest.fixture(scope="module")
def results(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Results]:
    """Run the selected cases three at a time: each is mostly waiting on its subprocesses, and
    side by side the matrix fits CI (2 cores). Every case has its own dirs and collector."""
    selected: list[Case] = [
        item.callspec.params["case"]
        for item in request.session.items
        if isinstance(item, pytest.Function)
        and item.path == request.path
        and item.originalname == "test_fault"
    ]
    with ThreadPoolExecutor(max_workers=3) as pool:
        yield {
            case.id: pool.submit(run_case, case, tmp_path_factory.mktemp(case.id))
            for case in selected
        }


@pytest.mark.slow
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault(case: Case, results: Results) -> None:
    if case.id == "proc-sender-killed" and not sys.platform.startswith("linux"):
        pytest.skip("finds the sender through /proc")
    try:
        obs, problems, counts = results[case.id].result(timeout=600)
    except pytest.skip.Exception as skipped:
        record_skip(case, str(skipped))
        raise
    except Exception as exc:
        # The report must show a case that could not run, not leave it out.
        record(case, Observed(), [f"the case could not run: {exc!r}"], {"checks": 1})
        raise
    record(case, obs, problems, counts)
    assert not problems, "\n".join(problems)


def test_case_ids_are_unique() -> None:
    ids = [c.id for c in CASES]
    assert len(ids) == len(set(ids))


def test_the_reliability_page_lists_every_case_as_expected() -> None:
    """docs/reliability.md is generated; this catches a case added or changed without it."""
    page = (ROOT / "docs" / "reliability.md").read_text("utf-8")
    for case in CASES:
        row = f"| `{case.id}` | {cell(case.fault)} | {cell(case.expected())} | "
        assert row in page, f"{case.id}: run python scripts/reliability_report.py"
    assert f"| cases run | {len(CASES)} |" in page
