"""What the tests share, in one place; the fixtures that use it are in tests/conftest.py.

- the isolated home seen through lumogon's files (`Iso`), and the data several tests write;
- running the real CLI: as a subprocess, with file modes biting even as root, under the audit
  hook (JSON lines), on a pseudo-terminal;
- waiting for the detached sender: on the event itself (its outcome in the local log), with a
  ceiling generous enough for a loaded machine;
- the protocol of tests/e2e/toggler.py, the program that many processes run at once.

Kept light: the toggler imports this module in every one of its 50 processes, so hypothesis and
pytest are imported only by the functions that need them.
"""

from __future__ import annotations

import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from consent._core.spec import AppSpec, Destination, Event, Field
from consent._store.log import entries
from consent._store.paths import Locations
from consent.testing.home import SCRUB_NAMES, Home
from consent.testing.sockets import AUDIT_DIR as AUDIT_HOOK_DIR
from lumogon import SPEC

if TYPE_CHECKING:
    import pytest
    from hypothesis.strategies import SearchStrategy

ROOT = Path(__file__).resolve().parent.parent
LUMOGON = [sys.executable, "-m", "lumogon"]
# A GA4, opt-in host app with nested commands, run as a program (its registry can change by env).
ACME = [sys.executable, str(ROOT / "tests" / "apps" / "acme.py")]

# Ceilings, never expected durations: every wait below returns as soon as its event happens.
# They only bound how long a test waits before it fails on a machine so loaded that a process
# (and the detached sender, which runs at nice 10) barely gets the CPU.
PROCESS_TIMEOUT = 120.0  # one CLI process, start to exit
SENDER_TIMEOUT = 120.0  # a detached sender: its request at the collector, its outcome in the log


# --- the isolated home -------------------------------------------------------------------------


class Iso:
    """The isolated home (`consent_home`), seen through lumogon's files."""

    def __init__(self, home: Home) -> None:
        self.home = home
        self.root = home.root
        self.env = home.env

    @property
    def locs(self) -> Locations:
        return self.home.locations(SPEC)

    @property
    def config(self) -> Path:
        return self.locs.config_file

    @property
    def policy(self) -> Path:
        """The policy location the isolated environment adds (`XDG_CONFIG_DIRS`)."""
        return self.home.policy_file(SPEC)

    def write_config(self, data: bytes | str) -> Path:
        return self.home.write_config(SPEC, data)

    def write_policy(self, data: bytes | str) -> Path:
        return self.home.write_policy(SPEC, data)

    def tree(self) -> set[str]:
        """Every path under the isolated root, for proving that nothing was created."""
        return self.home.tree()


def locs_in(root: Path) -> Locations:
    """Lumogon's files, all directly in `root`: config.toml, one policy.toml, id and log."""
    return Locations(
        str(root / "config.toml"), (str(root / "policy.toml"),), str(root / "id"), str(root / "log")
    )


def enabled_config(root: Path) -> None:
    """An enabled config.toml in `root`, for the notice lumogon shows now."""
    (root / "config.toml").write_text(
        f'[telemetry]\nenabled = true\nnotice_version = "{SPEC.notice_version}"\n'
    )


CID = "35009a79-1a05-49d7-b876-2b884d0f825b"  # a client id, for hits built in-process

# A config a person wrote: comments, other tables, and a choice (no notice version: by hand).
HAND_WRITTEN = """\
# My lumogon settings — keep this comment.
[scan]
depth = 3  # how deep to look
exclude = ["node_modules", ".git"]

[telemetry]
# I decided this after reading the notice.
enabled = false

[report.upload]
url = "https://reports.example"
"""


def opt_in_spec(**changes: object) -> AppSpec:
    """A GA4, opt-in app used across the tests (in-process; tests/apps/acme.py is the program)."""
    fields = (
        Field("client_id", "Pseudonymous id.", "6f1c…", "client_id"),
        Field("name", "Which event.", "command_run", "hit_type"),
        Field("command", "The command that ran.", "acme build", "command"),
        Field("app_version", "The app version.", "2.0.0", "app_version"),
        Field("engagement_time_msec", "Required by GA4 for reports.", "1", "constant", "1"),
    )
    base = AppSpec(
        name="acme",
        display_name="Acme",
        version="2.0.0",
        env_prefix="ACME",
        mode="opt-in",
        destination=Destination("ga4", "G-TEST000000", api_secret="testsecret"),
        fields=fields,
        common=("client_id", "name", "app_version", "engagement_time_msec"),
        events=(Event("command", "A command ran.", "command_run", ("command",)),),
        purpose="Learn which commands matter.",
        access="The Acme maintainers.",
        controller="The Acme team at Acme Ltd",
        contact="privacy@acme.example",
        legal_basis="Consent (GDPR Art. 6(1)(a)): Acme asks first.",
        retention="14 months, the analytics property's setting",
        recipients="Google (Google Analytics), as processor",
        notice_date="2026-12-01",
    )
    return base.replace(**changes)


def secrets() -> SearchStrategy[str]:
    """Words a person may type that must never reach a payload: paths, tokens, addresses."""
    from hypothesis import strategies as st

    return st.one_of(
        st.builds(lambda s: f"/home/ada/{s}/id_rsa", st.text("abcxyz", min_size=1, max_size=8)),
        st.builds(lambda s: f"ghp_{s}", st.text("ABCDEFghij0123456789", min_size=16, max_size=24)),
        st.builds(lambda s: f"{s}@example.com", st.text("adalovelace", min_size=1, max_size=10)),
        st.builds(lambda s: f"--token={s}", st.text("SECRETabc123", min_size=4, max_size=12)),
        st.sampled_from(
            ["--password", "hunter2", "-v", "--", "C:\\Users\\ada\\key.pem", "s3cr3t value"]
        ),
    )


# --- running the CLI ---------------------------------------------------------------------------


def run_lumogon(
    iso: Iso,
    *args: str,
    env: Mapping[str, str] | None = None,
    timeout: float = PROCESS_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a subprocess with the isolated environment (plus `env`)."""
    full = {**iso.env, **(env or {})}
    return subprocess.run(
        [*LUMOGON, *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
        check=False,
    )


def run_acme(
    home: Home, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the test app (tests/apps/acme.py) in a subprocess with an isolated home (plus `env`)."""
    return subprocess.run(
        [*ACME, *args],
        env={**home.env, **(env or {})},
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )


# As root, drop the capabilities that bypass file modes, so mode 000 and read-only
# directories bite as they do for a person; no chown, no other user needed.
_NO_DAC = [
    "setpriv",
    "--inh-caps=-dac_override,-dac_read_search",
    "--bounding-set=-dac_override,-dac_read_search",
]


def file_modes_bite() -> bool:
    """Can a subprocess be made to feel file modes (`unprivileged_prefix`)?"""
    return os.geteuid() != 0 or shutil.which("setpriv") is not None


NO_FILE_MODES = "running as root without setpriv: file modes cannot be made to bite"


def unprivileged_prefix() -> list[str]:
    return list(_NO_DAC) if os.geteuid() == 0 else []


def run_unprivileged(
    iso: Iso, *args: str, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the CLI so that file permissions apply even when the tests run as root."""
    full = {**iso.env, **(env or {})}
    return subprocess.run(
        [*unprivileged_prefix(), *LUMOGON, *args],
        env=full,
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        stdin=subprocess.DEVNULL,
        check=False,
    )


# For the fault matrix and the subprocess audits: the packaged audit hook
# (consent/testing/_audit/sitecustomize.py, loaded through PYTHONPATH) writing JSON lines.
AUDIT_DIR = AUDIT_HOOK_DIR
SCRUB = tuple(
    sorted(
        {
            *SCRUB_NAMES,
            "LUMOGON_DISABLE_ANALYTICS",
            "LUMOGON_TELEMETRY_DEBUG",
            "LUMOGON_TELEMETRY_ENDPOINT",
            "ACME_DISABLE_ANALYTICS",
            "ACME_TELEMETRY_DEBUG",
            "ACME_TELEMETRY_ENDPOINT",
        }
    )
)


def audited(iso: Iso, log: Path, *, refuse_network: bool = False) -> dict[str, str]:
    """Env that loads the audit hook into every Python process started with it."""
    env = {**iso.env, "CONSENT_AUDIT_LOG": str(log)}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(AUDIT_DIR), iso.env.get("PYTHONPATH")]))
    if refuse_network:
        env["CONSENT_AUDIT_REFUSE_NETWORK"] = "1"
    return env


def audit_events(log: Path) -> list[dict[str, str]]:
    import json

    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines()]


CTRL_C = "\x03"
CTRL_D = "\x04"


@dataclass
class PtyResult:
    returncode: int
    stdout: str
    terminal: str  # what the program wrote to the terminal (stderr), with the echo of our input


@contextmanager
def sigint_as_a_terminal_starts_it() -> Iterator[None]:
    """Children started in this block get SIGINT at its default, as a command a person starts
    from a terminal has it. A shell without job control starts a background job (`pytest &` in
    a script) with SIGINT ignored; a child inherits that, Python then installs no
    KeyboardInterrupt in it, and a test's Ctrl-C would wait out its ceiling. exec resets a
    handled signal to its default, never an ignored one: so it is handled here for the while."""
    import threading

    if (
        signal.getsignal(signal.SIGINT) != signal.SIG_IGN
        or threading.current_thread() is not threading.main_thread()
    ):
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def run_in_pty(
    argv: Sequence[str],
    env: Mapping[str, str],
    answer: str | None = None,
    timeout: float = PROCESS_TIMEOUT,
    *,
    columns: int = 80,
    stdout_too: bool = False,
) -> PtyResult:
    """Run `argv` with stdin and stderr on a real pseudo-terminal `columns` wide (stdout on a
    pipe, or with `stdout_too` on the terminal as well, as a person sees both); type `answer`
    (plus Enter) once the program waits for it.

    Two answers are keys rather than text: CTRL_C interrupts the program as the terminal's
    Ctrl-C does (SIGINT), CTRL_D ends its input (the terminal's end-of-file, no Enter).
    """
    import fcntl
    import struct
    import termios

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    with sigint_as_a_terminal_starts_it():
        proc = subprocess.Popen(
            list(argv), stdin=slave, stdout=slave if stdout_too else subprocess.PIPE,
            stderr=slave, env=dict(env), start_new_session=True,
        )  # fmt: skip
    os.close(slave)
    screen = b""
    answered = answer is None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the program closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
                if not answered and b"[y/N]" in screen:
                    if answer == CTRL_C:
                        # The child has no controlling terminal (its own session), so the
                        # signal the terminal would send on Ctrl-C is sent directly.
                        os.kill(proc.pid, signal.SIGINT)
                    elif answer == CTRL_D:
                        os.write(master, CTRL_D.encode())
                    else:
                        os.write(master, (answer or "").encode() + b"\n")
                    answered = True
            elif proc.poll() is not None:
                break
        out, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return PtyResult(
        proc.returncode,
        (out or b"").decode(),
        screen.decode(errors="replace").replace("\r\n", "\n"),
    )


# --- the detached sender -----------------------------------------------------------------------


def logged_hits(
    log_file: Path, count: int = 1, timeout: float = SENDER_TIMEOUT
) -> list[dict[str, object]]:
    """The local log once it holds at least `count` hits and the sender has logged an outcome
    for every one; what it holds when `timeout` passes first (the caller's assertion says what
    is missing). A hit is logged before its sender starts, and the sender logs its outcome after
    the collector answered: once this returns, no request of these hits is still on its way."""
    deadline = time.monotonic() + timeout
    while True:
        items = entries(log_file)
        if len(items) >= count and all("outcome_at" in i for i in items):
            return items
        if time.monotonic() >= deadline:
            return items
        time.sleep(0.02)


# --- many processes at once: tests/e2e/toggler.py ----------------------------------------------

TOGGLER = "tests.e2e.toggler"
# A ceiling for fifty togglers to start, and for each round, on a loaded 2-core machine: the
# test's waits, a toggler's wait for the next round and its wait for the config lock.
TOGGLER_TIMEOUT = 600.0


def toggler(
    env: Mapping[str, str], ops: Sequence[str], rounds: int, ready: Path, go: Path, out: Path
) -> subprocess.Popen[bytes]:
    """Start one toggler: it imports everything, creates `ready`, then runs `ops` once per round
    when `go_file(go, r)` appears and leaves what happened in `out_file(out, r)`."""
    pythonpath = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.Popen(
        [sys.executable, "-m", TOGGLER, ",".join(ops), str(rounds), str(ready), str(go), str(out)],
        env={**env, "PYTHONPATH": pythonpath},
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def go_file(go: Path | str, r: int) -> Path:
    """Created by the test to release round `r` in every toggler at once."""
    return Path(f"{go}-{r}")


def out_file(out: Path | str, r: int) -> Path:
    """Where a toggler leaves round `r`'s writes and results (renamed into place: whole or absent)."""
    return Path(f"{out}-{r}.json")


# --- TLS ---------------------------------------------------------------------------------------


def self_signed(where: Path, name: str = "127.0.0.1") -> tuple[str, str] | None:
    """A throwaway certificate and key for `name` (an IP address or a host name) in `where`:
    made with the openssl command, else with the cryptography package; None when neither is
    there."""
    import ipaddress

    try:
        ipaddress.ip_address(name)
        san = f"IP:{name}"
    except ValueError:
        san = f"DNS:{name}"
    cert, key = where / "cert.pem", where / "key.pem"
    openssl = shutil.which("openssl")
    if openssl is not None:
        subprocess.run(
            [
                openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:prime256v1", "-nodes", "-keyout", str(key), "-out", str(cert),
                "-days", "2", "-subj", f"/CN={name}", "-addext", f"subjectAltName={san}",
            ],
            check=True, capture_output=True, timeout=PROCESS_TIMEOUT,
        )  # fmt: skip
        return str(cert), str(key)
    try:
        return _with_cryptography(cert, key, name)
    except ImportError:
        return None


def _with_cryptography(cert: Path, key: Path, host: str) -> tuple[str, str]:
    import datetime
    import ipaddress

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    try:
        alt: x509.GeneralName = x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        alt = x509.DNSName(host)
    now = datetime.datetime.now(datetime.timezone.utc)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=2))
        .add_extension(
            x509.SubjectAlternativeName([alt]),
            critical=False,
        )
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return str(cert), str(key)


# --- the keyring in this process -----------------------------------------------------------------


def use_keyring_backend(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    """Select a keyring backend the way a user does (the env var), and let keyring re-read it.
    (`consent_home` already made the test keyring the backend, and puts it back afterwards.)"""
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", name)
    keyring.core.init_backend()
