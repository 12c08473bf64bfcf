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
import signal
import ssl
import sys
import time
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor

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
from tests.helpers import NO_FILE_MODES, ROOT, SENDER_TIMEOUT, file_modes_bite, self_signed

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
    ctx.write_config(hand_written(True) + padding * 5000)  # 5 MB: above the 4 MiB cap


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
    """After `disable`, no anonymous id is left anywhere (design §5)."""
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
    if "could not delete the anonymous id from the OS keyring" not in said:
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
        if has_traceback(done.stderr) or done.stderr:
            out.append(f"SIGPIPE: `lumogon {' '.join(args)}` printed {done.stderr[-300:]!r}")
    obs.notes.append("6 commands run with a closed stdout pipe: stderr stayed empty")
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
        "config-huge", "config", "5 MB file (cap 4 MiB)", config_huge, False, "error",
        why="over the 4 MiB cap it is not even read; the writes move it aside",
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

CASES = CONFIG + POLICY + ENV + KEYRING + NETWORK + PROCESS


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
