"""Reading the running containers from the Docker Engine API over its unix socket.

Two requests, both bounded (lumogon/transport.py): `GET /version` for the engine, and
`GET /containers/json` for the running containers, each as the engine lists it. Nothing is
inspected beyond that list. The socket is `DOCKER_HOST` (`unix://PATH`), else
/var/run/docker.sock.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lumogon.errors import DockerError, ExchangeError
from lumogon.transport import Answer, UnixConnection, exchange, parse_json

DEFAULT_SOCKET = "/var/run/docker.sock"
HOST_ENV = "DOCKER_HOST"
# Ceilings for one request: far above what an engine answers, so that only a stuck, broken or
# hostile peer meets them. 16 MiB is about 50 000 containers as the engine lists them.
DEADLINE = 20.0
MAX_LIST_BYTES = 16 * 1024 * 1024
MAX_VERSION_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Engine:
    version: str
    api_version: str
    os: str
    arch: str


@dataclass(frozen=True, slots=True)
class Container:
    id: str
    name: str
    image: str
    image_id: str
    created: int  # seconds since the epoch
    state: str
    status: str
    labels: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Scan:
    socket: str
    engine: Engine
    containers: tuple[Container, ...]


def socket_path(environ: Mapping[str, str]) -> str:
    """The Docker Engine's socket: `DOCKER_HOST=unix://PATH`, else the default."""
    host = environ.get(HOST_ENV, "").strip()
    if not host:
        return DEFAULT_SOCKET
    scheme, sep, path = host.partition("://")
    if not sep or scheme.lower() != "unix" or not path:
        raise DockerError(
            f"{HOST_ENV}={host!r} is not supported: lumogon reads the Docker Engine only through "
            "its unix socket",
            hint=f"unset {HOST_ENV}, or set it to unix:///path/to/docker.sock",
        )
    return path


def scan(
    environ: Mapping[str, str], *, deadline: float = DEADLINE, max_bytes: int = MAX_LIST_BYTES
) -> Scan:
    """The engine and its running containers; raises DockerError, saying what to do."""
    path = socket_path(environ)
    engine = parse_engine(_get(path, "/version", deadline, MAX_VERSION_BYTES))
    containers = parse_containers(_get(path, "/containers/json", deadline, max_bytes))
    return Scan(path, engine, containers)


def _get(path: str, target: str, deadline: float, max_bytes: int) -> bytes:
    try:
        answer = exchange(
            UnixConnection(path),
            "GET",
            target,
            headers={"Accept": "application/json"},
            deadline=deadline,
            max_bytes=max_bytes,
        )
    except ExchangeError as exc:
        raise DockerError(
            f"cannot read the Docker Engine at {path} (GET {target}): {exc.message}",
            hint=_hint(exc.__cause__),
        ) from None
    if answer.status != 200:
        raise DockerError(
            f"the Docker Engine at {path} answered GET {target} with HTTP {answer.status}"
            f"{_message(answer)}",
            hint="check that the engine is healthy (`docker info`)",
        )
    return answer.body


def _hint(cause: BaseException | None) -> str:
    if isinstance(cause, PermissionError):
        return "run lumogon as a user allowed to use Docker (the docker group), or with sudo"
    if isinstance(cause, (FileNotFoundError, ConnectionRefusedError)):
        return (
            f"is Docker running? If its socket is elsewhere, set {HOST_ENV}=unix:///path/to/"
            "docker.sock"
        )
    return f"check that Docker is running and that {HOST_ENV} names its socket"


def _message(answer: Answer) -> str:
    """The engine's own error message (`{"message": …}`), shown safely, if it sent one."""
    try:
        data = parse_json(answer.body)
    except ValueError:
        return ""
    text = data.get("message") if isinstance(data, dict) else None
    return f": {shown(text, 200)}" if isinstance(text, str) and text else ""


def shown(text: str, limit: int) -> str:
    """Text from a peer, safe to print: control characters escaped, cut at `limit`."""
    out = "".join(c if c.isprintable() else _escaped(c) for c in text[:limit])
    return out + ("…" if len(text) > limit else "")


def _escaped(c: str) -> str:
    code = ord(c)
    return (
        f"\\x{code:02x}"
        if code < 0x100
        else f"\\u{code:04x}"
        if code < 0x10000
        else f"\\U{code:08x}"
    )


def _json(body: bytes, target: str) -> object:
    try:
        return parse_json(body)
    except ValueError:
        raise _malformed(target, "it is not JSON, or nested too deeply") from None


def _malformed(target: str, why: str) -> DockerError:
    return DockerError(
        f"the Docker Engine's answer to GET {target} is malformed: {why}",
        hint=f"check that {HOST_ENV} names a Docker Engine's socket",
    )


def parse_engine(body: bytes) -> Engine:
    data = _json(body, "/version")
    if not isinstance(data, dict):
        raise _malformed("/version", "it is not a JSON object")
    values = []
    for key in ("Version", "ApiVersion", "Os", "Arch"):
        value = data.get(key, "")
        if not isinstance(value, str):
            raise _malformed("/version", f"{key!r} is not a string")
        values.append(value)
    return Engine(*values)


def parse_containers(body: bytes) -> tuple[Container, ...]:
    target = "/containers/json"
    data = _json(body, target)
    if not isinstance(data, list):
        raise _malformed(target, "it is not a JSON list")
    out = []
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise _malformed(target, f"item {i} is not an object")
        cid = item.get("Id")
        if not isinstance(cid, str) or not cid:
            raise _malformed(target, f"item {i} has no 'Id'")
        strings = {}
        for key in ("Image", "ImageID", "State", "Status"):
            value = item.get(key) or ""
            if not isinstance(value, str):
                raise _malformed(target, f"item {i}: {key!r} is not a string")
            strings[key] = value
        names = item.get("Names") or []
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise _malformed(target, f"item {i}: 'Names' is not a list of strings")
        created = item.get("Created") or 0
        if type(created) is not int:
            raise _malformed(target, f"item {i}: 'Created' is not an integer")
        labels = item.get("Labels") or {}
        if not isinstance(labels, dict) or not all(isinstance(v, str) for v in labels.values()):
            raise _malformed(target, f"item {i}: 'Labels' is not an object of strings")
        out.append(
            Container(
                id=cid,
                name=names[0].lstrip("/") if names else "",
                image=strings["Image"],
                image_id=strings["ImageID"],
                created=created,
                state=strings["State"],
                status=strings["Status"],
                labels=tuple(sorted(labels.items())),
            )
        )
    return tuple(out)
