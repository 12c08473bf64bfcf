"""The gate: the one path by which anything leaves the machine.

`submit` re-checks the decision itself, builds the hit from the registry, and
hands the exact request bytes to a detached child process. It never raises,
never waits on the network, and does nothing beyond the decision when telemetry
is disabled: the id, the HTTP code and the child are reached only when enabled.
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

    Outcome = Literal["disabled", "handed", "printed", "refused", "error"]

ID_IN_LOG = "(the anonymous id, filled in by the sender)"


class Submission(Record):
    outcome: Outcome
    detail: str


def submit(
    spec: AppSpec,
    event: str,
    *,
    command: str | None = None,
    values: Mapping[str, str] | None = None,
    flag: bool = False,
    environ: Mapping[str, str] | None = None,
) -> Submission:
    """Send one hit of `event` if, and only if, consent resolves to enabled. Never raises."""
    try:
        from consent.store.sources import resolve

        environ = os.environ if environ is None else environ
        decision = resolve(spec, flag=flag, environ=environ, full=False)
        if not decision.enabled:
            return Submission("disabled", decision.decided_by.detail)
        return _send(spec, event, command, values, environ)
    except Exception as exc:  # noqa: BLE001 - telemetry must never break the host
        return Submission("error", f"{type(exc).__name__}: {exc}")


def _send(
    spec: AppSpec,
    event: str,
    command: str | None,
    values: Mapping[str, str] | None,
    environ: Mapping[str, str],
) -> Submission:
    from consent.core.envgrammar import read_value
    from consent.errors import HitError
    from consent.store.log import append, stamp
    from consent.store.paths import locations
    from consent.wire.hits import build_hit
    from consent.wire.http import encode, endpoint_for

    locs = locations(spec)
    record: dict[str, object] = {
        "id": new_uuid4().replace("-", ""),
        "time": stamp(),
        "event": event,
    }
    try:
        endpoint = endpoint_for(spec, environ)
    except HitError as exc:
        _warn(f"{exc}; nothing was sent")
        append(locs.log_path, {**record, "outcome": f"refused: {exc}"})
        return Submission("refused", str(exc))
    debug = read_value(environ.get(spec.debug_env)) in ("true", "unknown")
    # The sender fills in the anonymous id: loading a keyring costs the host ~0.2 s. A
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
    spawn_sender(
        {
            "host": endpoint.host,
            "port": endpoint.port,
            "tls": endpoint.scheme == "https",
            "raw": request.raw(),
            "log": locs.log_path,
            "id": record["id"],
            "id_placeholder": placeholder,
            "keyring_service": spec.keyring_service,
            "id_file": locs.id_path,
        }
    )
    return Submission("handed", request.url)


def new_uuid4() -> str:
    """A random UUID4 string, without the uuid module (whose import costs ~3 ms)."""
    b = bytearray(os.urandom(16))
    b[6] = (b[6] & 0x0F) | 0x40  # version 4
    b[8] = (b[8] & 0x3F) | 0x80  # RFC 4122 variant
    h = b.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def spawn_sender(job: dict[str, object]) -> None:
    """Start the detached child and hand it the job through a pipe; do not wait for it."""
    import subprocess

    from consent.core.jsonline import dumps

    # The request bytes travel as a latin-1 string: one char per byte, escaped by the encoder.
    job = {**job, "raw": job["raw"].decode("latin-1")}  # type: ignore[attr-defined]
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
        proc.stdin.write(dumps(job).encode("ascii"))  # small: fits the pipe buffer
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
