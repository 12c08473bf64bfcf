"""The gate: the one path by which anything leaves the machine.

`submit` takes the run's decision (or makes one), builds the hit from the registry, and hands
the exact request bytes to a detached child process. It never raises, never waits on the
network, and does nothing beyond the decision when telemetry is disabled: the id, the HTTP
code and the child are reached only when enabled.

One decision per run: a CLI adapter decides once as a command starts and registers that
decision here (`start_run`); the command's screenview and every `record_event` of the same run
go through that one decision. A run that showed the first-run notice or asked the question
registers a disabled decision, so nothing leaves in that run from any path.
"""

from __future__ import annotations

import os
import sys

from consent.core.spec import AppSpec
from consent.core.value import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Literal

    from consent.core.rules import Decision
    from consent.wire.http import Endpoint
    from consent.wire.job import Job

    Outcome = Literal["disabled", "handed", "printed", "refused", "error", "local"]
else:
    Outcome = str  # typing is not imported at run time (see consent/core/value.py)

ID_IN_LOG = "(the pseudonymous id, filled in by the sender)"

# The decision of the command running in this process, per app (see the module docstring).
_runs: dict[str, Decision] = {}


class Submission(Record):
    outcome: Outcome
    detail: str


def start_run(spec: AppSpec, decision: Decision) -> None:
    """Register the decision of the command that is starting: the run's every hit uses it."""
    _runs[spec.name] = decision


def run_decision(spec: AppSpec) -> Decision | None:
    """The decision registered for this run, if a CLI adapter registered one."""
    return _runs.get(spec.name)


def record_event(spec: AppSpec, event: str, values: Mapping[str, str] | None = None) -> None:
    """Record a declared event (e.g. lumogon's `upload`) if consent allows. Never raises.

    Inside a command run by an installed CLI it uses that run's decision (so the run's
    `--disable-analytics` and first-run notice count); elsewhere it decides on the spot.
    """
    try:  # noqa: SIM105 - contextlib is one import more on the sending path
        submit(spec, event, decision=_runs.get(spec.name), values=values)
    except Exception:  # noqa: BLE001, S110 - telemetry never breaks the host program
        pass


def submit(
    spec: AppSpec,
    event: str,
    *,
    decision: Decision | None = None,
    command: str | None = None,
    values: Mapping[str, str] | None = None,
    environ: Mapping[str, str] | None = None,
) -> Submission:
    """Send one hit of `event` if, and only if, consent is enabled. Never raises.

    `decision` is the run's (see `start_run`); without one, every source is read now.
    """
    try:
        environ = os.environ if environ is None else environ
        if decision is None:
            from consent.store.sources import resolve

            decision = resolve(spec, environ=environ, full=False)
        if not decision.enabled and not decision.local:
            return Submission("disabled", decision.decided_by.detail)
        # Decided per event, by the purpose it serves.
        purpose = spec.event_purpose(spec.event(event))
        chosen = decision.for_purpose(purpose)
        local = chosen is not None and chosen.local
        if chosen is not None and not chosen.enabled and not local:
            return Submission("disabled", f"purpose {purpose!r}: {chosen.decided_by.detail}")
        return _send(spec, event, command, values, environ, local=local, purpose=purpose)
    except Exception as exc:  # noqa: BLE001 - telemetry must never break the host
        return Submission("error", f"{type(exc).__name__}: {exc}")


def _send(
    spec: AppSpec,
    event: str,
    command: str | None,
    values: Mapping[str, str] | None,
    environ: Mapping[str, str],
    *,
    local: bool = False,
    purpose: str = "",
) -> Submission:
    """Build the hit and hand it to the sender; in local mode, build it exactly as it would be
    sent and keep it in the local log (no id, no sender, no socket)."""
    from consent.core.envgrammar import read_value
    from consent.errors import EndpointError
    from consent.store.clock import utc_stamp
    from consent.store.log import append
    from consent.store.paths import locations
    from consent.wire.hits import build_hit
    from consent.wire.http import encode, endpoint_for

    locs = locations(spec)
    record: dict[str, object] = {
        "id": new_uuid4().replace("-", ""),
        "time": utc_stamp(),
        "event": event,
        **({"purpose": purpose} if purpose else {}),
    }
    try:
        endpoint = endpoint_for(spec, environ)
    except EndpointError as exc:
        _warn(f"{exc}; nothing was sent")
        append(locs.log_path, {**record, "outcome": f"refused: {exc}"})
        return Submission("refused", str(exc))
    if local:
        return _keep_local(
            spec,
            event,
            command=command,
            values=values,
            endpoint=endpoint,
            record=record,
            log=locs.log_path,
        )
    debug = read_value(environ.get(spec.debug_env)) in ("true", "unknown")
    # The sender fills in the pseudonymous id: loading a keyring costs the host ~0.2 s. A
    # random UUID stands in for it, the same length, so every other byte is final here.
    placeholder = new_uuid4()
    client_id = placeholder
    if debug:
        from consent.store import identity

        client_id = identity.load_or_create(spec, locs).value or placeholder
    hit = build_hit(spec, event, client_id=client_id, command=command, values=values)
    request = encode(spec, hit, endpoint)
    shown = {k: (ID_IN_LOG if v == placeholder else v) for k, v in hit.pairs}
    record.update(url=request.url, hit=shown)
    if debug:
        _warn(f"{spec.debug_env} is set: printing this request instead of sending it")
        _print_raw(request.raw())
        append(locs.log_path, {**record, "outcome": "printed, not sent"})
        return Submission("printed", request.url)
    if not append(locs.log_path, {**record, "outcome": "handed to sender"}):
        # Every hit that leaves is in the log `telemetry log` shows; one that cannot be
        # logged is not sent.
        return Submission("error", f"cannot write the log {locs.log_path}; nothing was sent")
    from consent.wire.job import Job

    spawn_sender(
        Job(
            host=endpoint.host,
            port=endpoint.port,
            tls=endpoint.scheme == "https",
            raw=request.raw(),
            log=locs.log_path,
            id=str(record["id"]),
            id_placeholder=placeholder,
            keyring_service=spec.keyring_service,
            id_file=locs.id_path,
        )
    )
    return Submission("handed", request.url)


def _keep_local(
    spec: AppSpec,
    event: str,
    *,
    command: str | None,
    values: Mapping[str, str] | None,
    endpoint: Endpoint,
    record: dict[str, object],
    log: str,
) -> Submission:
    """Local mode: the request the sender would get, with LOCAL_ID for the pseudonymous id,
    appended to the local log marked as kept local. Nothing else happens: no keyring, no child."""
    from consent.core.names import KEPT_LOCAL, LOCAL_ID
    from consent.store.log import append
    from consent.wire.hits import build_hit
    from consent.wire.http import encode

    hit = build_hit(spec, event, client_id=LOCAL_ID, command=command, values=values)
    request = encode(spec, hit, endpoint)
    record.update(
        url=request.url,
        hit=dict(hit.pairs),
        payload=request.body.decode("utf-8", "replace"),
        request=request.raw().decode("utf-8", "replace"),
        local=True,
        outcome=KEPT_LOCAL,
    )
    if not append(log, record):
        return Submission("error", f"cannot write the log {log}; the hit was dropped")
    return Submission("local", request.url)


def new_uuid4() -> str:
    """A random UUID4 string, without the uuid module (whose import costs ~3 ms)."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40  # version 4
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def spawn_sender(job: Job) -> None:
    """Start the detached child and hand it the job through a pipe; do not wait for it."""
    import subprocess

    flags = 0
    if sys.platform == "win32":
        flags = (
            subprocess.DETACHED_PROCESS
            | subprocess.CREATE_NEW_PROCESS_GROUP
            | subprocess.CREATE_NO_WINDOW
        )
    # The directory holding the consent package goes in by path, so the child finds consent
    # from any directory (this file is consent/wire/gate.py).
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    # The sender runs at a lower priority: on a small machine it must not take CPU from the
    # host command, which is still finishing while the sender starts.
    bootstrap = (
        "import os, sys\n"
        "try: os.nice(10)\n"
        "except (AttributeError, OSError): pass\n"
        "sys.path.insert(0, sys.argv[1]); from consent.wire.sender import main; main()"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", bootstrap, root],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        close_fds=True,
        start_new_session=sys.platform != "win32",
        creationflags=flags,
        cwd=os.path.abspath(os.sep),  # never keep the host's directory busy
    )
    assert proc.stdin is not None
    try:
        proc.stdin.write(job.to_json().encode("ascii"))  # small: fits the pipe buffer
    finally:
        proc.stdin.close()
    # Deliberately never waited for; tell Popen so it does not warn at exit.
    proc.returncode = 0


def _print_raw(data: bytes) -> None:
    """The request's exact bytes on stderr (binary where possible, so CR LF stays CR LF)."""
    try:
        sys.stderr.flush()
        buffer = getattr(sys.stderr, "buffer", None)
        if buffer is not None:
            buffer.write(data + b"\n")
            buffer.flush()
        else:
            sys.stderr.write(data.decode("utf-8", "replace") + "\n")
    except (OSError, ValueError):
        pass


def _warn(text: str) -> None:
    try:
        sys.stderr.write(f"telemetry: {text}\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
