"""The job the gate hands to the detached sender: one request, and where to record its outcome.

It travels as one JSON object on the child's stdin (never argv): `to_json` in the host, with
the sending path's small encoder; `from_json` in the child, which refuses anything malformed.
"""

from __future__ import annotations

from consent._core.jsonline import dumps, loads
from consent._core.names import SENDER_TIMEOUT
from consent._core.value import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TypeVar

    T = TypeVar("T")

# A job is a few KB; anything bigger on the pipe is not one of ours.
MAX_JOB = 1024 * 1024


class Job(Record):
    host: str
    port: int
    tls: bool
    raw: bytes  # the request exactly as it leaves, the id's placeholder included
    log: str  # the local log, where the outcome is appended under `id`
    id: str
    id_placeholder: str  # stands in for the pseudonymous id in `raw`; the sender fills it in
    keyring_service: str
    id_file: str
    # What the sender needs to decide again just before it connects (see consent/_wire/sender.py).
    app: str
    mode: str
    notice_version: str
    disable_env: str
    config_path: str
    policy_paths: tuple[str, ...]
    purpose: str = ""  # the purpose the hit serves ("": the implicit one of an app declaring none)
    purposes: tuple[str, ...] = ()  # the app's declared purposes
    defaults_path: str = ""  # a packager's defaults (Locations.defaults_path)
    system_root: str = ""  # where the fixed policy locations are (Locations.system_root)
    timeout: float = SENDER_TIMEOUT
    # The host's proxy variables that are set (names in consent/_core/names.py), so the sender
    # routes by the same environment as the endpoint and show-payload: (name, value) pairs.
    proxy_env: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> str:
        data = self.asdict()
        # The request bytes travel as a latin-1 string: one character per byte. The tuples
        # (policy_paths, purposes, proxy_env) are written as arrays by the encoder itself.
        data["raw"] = self.raw.decode("latin-1")
        return dumps(data)

    @classmethod
    def from_json(cls, text: bytes) -> Job:
        """The job in `text`; raises ValueError unless every field is there with its type."""
        data = loads(text)
        if not isinstance(data, dict):
            raise ValueError("a job is a JSON object")
        timeout = data.get("timeout")
        if type(timeout) is int:
            timeout = float(timeout)
        return cls(
            host=_typed(data, "host", str),
            port=_typed(data, "port", int),
            tls=_typed(data, "tls", bool),
            raw=_typed(data, "raw", str).encode("latin-1"),
            log=_typed(data, "log", str),
            id=_typed(data, "id", str),
            id_placeholder=_typed(data, "id_placeholder", str),
            keyring_service=_typed(data, "keyring_service", str),
            id_file=_typed(data, "id_file", str),
            app=_typed(data, "app", str),
            mode=_typed(data, "mode", str),
            notice_version=_typed(data, "notice_version", str),
            disable_env=_typed(data, "disable_env", str),
            config_path=_typed(data, "config_path", str),
            policy_paths=_strings(data, "policy_paths"),
            defaults_path=_typed(data, "defaults_path", str),
            system_root=_typed(data, "system_root", str),
            purpose=_typed(data, "purpose", str),
            purposes=_strings(data, "purposes"),
            timeout=_typed({"timeout": timeout}, "timeout", float),
            proxy_env=_pairs(data, "proxy_env"),
        )


def _typed(data: dict[str, object], name: str, kind: type[T]) -> T:
    value = data.get(name)
    if type(value) is not kind:  # exact: a bool is not a port, an int is not a flag
        raise ValueError(f"the job's {name!r} must be {kind.__name__}")
    return value


def _strings(data: dict[str, object], name: str) -> tuple[str, ...]:
    value = _typed(data, name, list)
    if not all(type(p) is str for p in value):
        raise ValueError(f"the job's {name!r} must be a list of str")
    return tuple(value)


def _pairs(data: dict[str, object], name: str) -> tuple[tuple[str, str], ...]:
    value = _typed(data, name, list)
    if not all(type(p) is list and len(p) == 2 and all(type(s) is str for s in p) for p in value):
        raise ValueError(f"the job's {name!r} must be a list of [str, str]")
    return tuple((p[0], p[1]) for p in value)
