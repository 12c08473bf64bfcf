"""The detached sender: a child process that posts one request and exits.

It reads its job from stdin (never argv), writes the request bytes exactly as
given (directly, or through an http proxy's CONNECT tunnel: consent/_wire/proxy.py), waits at
most the job's `timeout` seconds in total for the status line, records the
outcome in the local log and swallows every error. Its stdin, stdout and stderr
are devnull or a pipe, so it never holds the host's terminal or pipes open.
It also loads (or creates) the pseudonymous id and fills it into the request: the
keyring is slow to load, and here no one waits for it.
"""

from __future__ import annotations

import socket
import ssl
import sys
import time

from consent._core.endpoint import resolver_name
from consent._core.names import SENDER_TIMEOUT
from consent._store.clock import utc_stamp
from consent._store.log import append
from consent._wire.job import MAX_JOB, Job

TYPE_CHECKING = False
if TYPE_CHECKING:
    from consent._core.spec import Mode
    from consent._wire.proxy import Proxy


def post(
    host: str,
    port: int,
    tls: bool,
    raw: bytes,
    timeout: float = SENDER_TIMEOUT,
    *,
    proxy: Proxy | None = None,
) -> str:
    """Send `raw` and return the outcome as a short phrase; raises on failure.

    With a `proxy`, connect to it instead, open a CONNECT tunnel to `host:port` and speak TLS
    with `host` inside it, verified as without a proxy: the same bytes reach the same server.
    One deadline covers every step, the proxy's included."""
    deadline = time.monotonic() + timeout

    def left() -> float:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError(f"no answer within {timeout:g} s")
        return remaining

    first_hop = (host, port) if proxy is None else (proxy.host, proxy.port)
    sock = socket.create_connection((resolver_name(first_hop[0]), first_hop[1]), timeout=left())
    try:
        if proxy is not None:
            from consent._wire.proxy import open_tunnel

            open_tunnel(sock, proxy, host, port, left)
        if tls:
            context = ssl.create_default_context()
            sock.settimeout(left())
            sock = context.wrap_socket(sock, server_hostname=host)
        sock.settimeout(left())
        sock.sendall(raw)
        head = b""
        while b"\r\n" not in head and len(head) < 4096:
            sock.settimeout(left())
            chunk = sock.recv(4096)
            if not chunk:
                break
            head += chunk
    finally:
        sock.close()
    status = head.split(b"\r\n", 1)[0].decode("latin-1", "replace")
    parts = status.split(" ", 2)
    # ASCII digits only: the line is read as latin-1, where "²" is a digit too.
    if (
        len(parts) >= 2
        and parts[0].startswith("HTTP/")
        and parts[1].isascii()
        and parts[1].isdigit()
    ):
        via = "" if proxy is None else f" (through the proxy {proxy.shown})"
        return f"sent: HTTP {parts[1]}{via}"
    raise ValueError("the answer was not HTTP")


# How long the sender waits for the id's lock: held exclusively only by `disable` and `reset`
# (deleting the id) and by a sender creating it, each for a bounded moment.
LOCK_WAIT = 5.0


def run(job: Job) -> None:
    """Check consent again, fill in the id, post, all under the id's lock held shared: an "in
    flight" mark that no other sender waits for. `disable` and `reset`, which record the choice
    first and then take the lock exclusively to delete the id, wait for every request in
    flight, and a sender that checks after the choice was recorded sends nothing: nothing
    leaves after `disable` returns, and no id created here survives it. The id is created
    (when there is none) under a second lock that only creators take."""
    from pathlib import Path

    from consent._store.fileio import make_dirs

    record: dict[str, object] = {"id": job.id}
    try:
        make_dirs(Path(job.id_file).parent, 0o700)
        outcome = _run(job)
    except Exception as exc:  # noqa: BLE001 - every failure is an outcome, never a crash
        outcome = f"failed: {type(exc).__name__}: {exc}"[:300]
    append(job.log, {**record, "time": utc_stamp(), "outcome": outcome})


def _run(job: Job) -> str:
    from pathlib import Path

    from consent._store.fileio import locked_shared
    from consent._store.identity import id_lock

    with locked_shared(id_lock(Path(job.id_file)), timeout=LOCK_WAIT):
        refused, proxy = _refusal(job)
        if refused:
            return refused
        return _post(job, _client_id(job), proxy)


def _client_id(job: Job) -> str:
    """The id to fill in ("" when the request carries none): loaded, or created here, in the
    child, where its cost is nobody's wait. Creators take the creation lock, so that concurrent
    senders agree on one id; the caller holds the id's lock shared, so no `disable` deletes it
    meanwhile."""
    from pathlib import Path

    from consent._store.fileio import locked
    from consent._store.identity import create_lock, load_at, load_or_create_locked

    if not job.id_placeholder:
        return ""
    id_file = Path(job.id_file)
    stored = load_at(job.keyring_service, id_file)
    if stored.value is None:
        with locked(create_lock(id_file), timeout=LOCK_WAIT):
            stored = load_or_create_locked(job.keyring_service, id_file)
    if stored.value is None:
        raise ValueError("no pseudonymous id could be stored")
    return stored.value


def _refusal(job: Job) -> tuple[str, Proxy | None]:
    """Why this hit may not be sent now ("" when it may), and the proxy it goes through: consent
    decided again from every source, for the purpose the hit serves; the admin policy's
    endpoint; the proxy. Checked before an id is created: a hit that cannot leave creates none."""
    from consent._core.rules import KEEP, SEND
    from consent._core.spec import IMPLICIT_PURPOSE
    from consent._store.paths import Locations
    from consent._store.sources import recheck

    locs = Locations(
        job.config_path, job.policy_paths, job.id_file, job.log, job.defaults_path, job.system_root
    )
    # An unknown mode is read as the stricter one: opt-in sends only on an explicit enable.
    mode: Mode = "opt-out" if job.mode == "opt-out" else "opt-in"
    decision = recheck(
        job.app,
        job.notice_version,
        mode=mode,
        disable_env=job.disable_env,
        locs=locs,
        purposes=job.purposes,
    )
    # Decided again for the purpose the hit serves: a purpose turned off, or local mode chosen,
    # after the hit was handed over stops it here.
    # A job that names no purpose comes from an app that declares none: its one implicit purpose.
    purpose = job.purpose or IMPLICIT_PURPOSE
    verdict = decision.verdict(purpose)
    if verdict == KEEP and decision.local_by is not None:
        by = decision.local_by
        why = f"not sent: local mode was chosen before sending ({by.source}: {by.detail})"
        return why[:300], None
    if verdict != SEND:
        chosen = decision.for_purpose(purpose)
        by = decision.decided_by if chosen is None else chosen.decided_by
        return f"not sent: disabled before sending ({by.source}: {by.detail})"[:300], None
    if decision.endpoint_url and not _addressed_to(job, decision.endpoint_url):
        # An admin policy now names another endpoint: this hit was addressed elsewhere.
        return f"not sent: the admin policy's endpoint is now {decision.endpoint_url}"[:300], None
    from consent._wire.proxy import route

    # The proxy variables the host had (copied into the job by the gate), read as show-payload
    # reads them. A proxy that cannot be used sends nothing: never a direct connection instead.
    way = route("https" if job.tls else "http", job.host, job.port, dict(job.proxy_env))
    if way.refused:
        return f"not sent: {way.refused}"[:300], None
    return "", way.proxy


def _post(job: Job, client_id: str, proxy: Proxy | None) -> str:
    """Fill in the id and post, through `proxy` if the host's variables name one."""
    raw = job.raw
    if job.id_placeholder:
        token = job.id_placeholder.encode("ascii")
        if len(client_id) != len(job.id_placeholder) or raw.count(token) != 1:
            raise ValueError("the pseudonymous id could not be filled in")
        # The id goes on the wire only: the log never holds it (see `disable`).
        raw = raw.replace(token, client_id.encode("ascii"))
    return post(job.host, job.port, job.tls, raw, job.timeout, proxy=proxy)


def _addressed_to(job: Job, url: str) -> bool:
    from consent._core.endpoint import parse_endpoint

    want = parse_endpoint(url)
    # The endpoint's path prefix is in the request line: `POST <prefix>/collect`,
    # `POST <prefix>/mp/collect?…` or `POST <prefix>/v1/logs` (consent/_wire/http.py, encode).
    line = job.raw.split(b"\r\n", 1)[0].split(b" ")
    path = line[1].split(b"?", 1)[0] if len(line) == 3 else b""
    paths = tuple(f"{want.prefix}{p}".encode() for p in ("/collect", "/mp/collect", "/v1/logs"))
    where = (want.host, want.port, want.scheme == "https")
    return where == (job.host, job.port, job.tls) and path in paths


def main() -> None:
    try:
        job = Job.from_json(sys.stdin.buffer.read(MAX_JOB))
    except Exception:  # noqa: BLE001 - not a job of ours: nothing to do, nowhere to say so
        return
    try:  # noqa: SIM105 - the same shape as every other guard here
        run(job)
    except Exception:  # noqa: BLE001, S110 - nothing may escape a detached child
        pass
