"""What the OpenTelemetry destination requires of a spec, and how its values are typed.

Pure. An OTLP destination is an organisation's own endpoint (`https://…/v1/logs`) that receives
one OTLP/HTTP JSON `ExportLogsServiceRequest` per hit (consent/_wire/otlp.py builds it): the
app's name and version as resource attributes, one log record per event whose `eventName` is
the event's hit type and whose attributes are the event's declared fields, typed. This module
holds the rules a spec is checked against when it is built (consent/_core/spec.py gathers them as
the OTLP entry of its checks) and the typing of each declared value. It imports nothing of the
spec: the spec imports it.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Set as AbstractSet

# The OTLP/HTTP default path for logs (OpenTelemetry protocol specification, "OTLP/HTTP
# Request"): a destination's endpoint ends with it; an override or a policy's endpoint is a
# base URL that it is appended to, as OTEL_EXPORTER_OTLP_ENDPOINT is read by OpenTelemetry SDKs.
LOGS_PATH = "/v1/logs"
MAX_BODY = 65_536  # far above any hit of a registry; far below a collector's request limit
INT64 = range(-(2**63), 2**63)

# Attribute namespaces a declared field may not use: those of the resource the encoder sets
# itself (`service.*`), of an OpenTelemetry SDK's automatic attributes (`telemetry.*`), and the
# semantic conventions for what identifies a machine, a person, an address or a process. A field
# under one of them would claim to be what the notice says is never sent.
RESERVED_PREFIXES = (
    "service.",
    "telemetry.",
    "host.",
    "os.",
    "user.",
    "enduser.",
    "client.",
    "source.",
    "network.",
    "net.",
    "device.",
    "process.",
    "container.",
    "geo.",
)
# Headers the encoder writes itself, and those that change how a body is framed or carried:
# a static header of the destination may be none of them.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "user-agent",
        "content-type",
        "content-length",
        "connection",
        "transfer-encoding",
        "content-encoding",
        "te",
        "trailer",
        "upgrade",
        "expect",
        "keep-alive",
        "proxy-authorization",
        "proxy-connection",
    }
)
# What the request body holds around the declared fields; the notice lists each key.
ENVELOPE = {
    "resourceLogs": "the list holding the one resource of this request",
    "resource.attributes": "service.name (the app's name) and service.version (its version); "
    "nothing else about this machine",
    "scopeLogs": "the list holding the log records of this request",
    "logRecords": "one log record per event",
    "timeUnixNano": "when the event was recorded, in nanoseconds since 1970 (UTC)",
    "eventName": "the event's name (its hit type)",
    "attributes": "the event's declared fields, each typed: integers as intValue, true/false "
    "as boolValue, everything else as stringValue",
}

_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_LETTERS = _LOWER | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
_TOKEN = _LETTERS | _DIGITS | frozenset("!#$%&'*+-.^_`|~")


def is_attribute_key(s: str) -> bool:
    """A declared field's wire name: letters, digits, '_', '-' and '.' between words, starting
    with a letter (`acme.command`), at most 128 characters, outside the reserved namespaces."""
    return (
        0 < len(s) <= 128
        and s[0] in _LETTERS
        and set(s) <= _LETTERS | _DIGITS | {"_", "-", "."}
        and ".." not in s
        and not s.endswith(".")
        and not s.lower().startswith(RESERVED_PREFIXES)
    )


def is_event_name(s: str) -> bool:
    """An event's `eventName`: the same characters as a key, at most 128 (`acme.deployed`)."""
    return (
        0 < len(s) <= 128
        and s[0] in _LETTERS
        and set(s) <= _LETTERS | _DIGITS | {"_", "-", "."}
        and ".." not in s
        and not s.endswith(".")
    )


def _is_int_text(text: str) -> bool:
    body = text[1:] if text.startswith("-") else text
    return 0 < len(body) <= 19 and set(body) <= _DIGITS and (body == "0" or body[0] != "0")


def value_type(
    kind: str, allowed: tuple[str, ...] | range | AbstractSet[str] | None, value: str | int | None
) -> str:
    """How a field's value is typed on the wire: "int", "bool" or "string", from the field's
    `kind`, `allowed` and constant `value`.

    Integers: a runtime field that declares a range, and a constant whose value is an integer.
    Booleans: a runtime field that declares exactly "true" and "false" (what `record_event`
    makes of a bool), and a constant "true" or "false". Everything else is a string."""
    if isinstance(allowed, range):
        return "int"
    if kind == "runtime" and allowed is not None and sorted(allowed) == ["false", "true"]:
        return "bool"
    if kind == "constant" and type(value) is int:
        return "int" if value in INT64 else "string"
    if kind == "constant" and isinstance(value, str):
        if _is_int_text(value) and int(value) in INT64:
            return "int"
        if value in ("true", "false"):
            return "bool"
    return "string"


def attribute_value(kind: str, value: str | int) -> dict[str, object]:
    """The OTLP `AnyValue` of a hit's value (an int for an integer field, else its text). int64
    is a decimal string in proto3 JSON."""
    if kind == "int":
        return {"intValue": str(value)}
    if kind == "bool":
        return {"boolValue": value == "true"}
    return {"stringValue": str(value)}


def split_endpoint(endpoint: str) -> tuple[str, str]:
    """(base URL, path) of a destination's endpoint: `https://h/otlp/v1/logs` is
    (`https://h/otlp`, `/v1/logs`). An endpoint without the logs path is all base."""
    text = endpoint.strip().rstrip("/")
    if text.endswith(LOGS_PATH):
        return text[: -len(LOGS_PATH)], LOGS_PATH
    return text, LOGS_PATH


def endpoint_problems(endpoint: str) -> list[str]:
    """What is wrong with a destination's endpoint: none, not ending with /v1/logs, not https
    (or http on a loopback address)."""
    if not endpoint.strip():
        return ['an OTLP destination needs its endpoint: endpoint="https://…/v1/logs"']
    problems = []
    if not endpoint.strip().rstrip("/").endswith(LOGS_PATH):
        problems.append(
            f"the OTLP endpoint {endpoint!r} must end with {LOGS_PATH}, the OTLP/HTTP path for logs"
        )
    base = split_endpoint(endpoint)[0]
    if plainly_https(base):
        return problems  # surely valid: the endpoint rules and their errors need not load
    from consent._core.endpoint import parse_endpoint
    from consent._errors import EndpointError

    try:
        parse_endpoint(base)
    except EndpointError as exc:
        problems.append(f"the OTLP endpoint: {exc.message}")
    return problems


_HOST = _LOWER | _DIGITS | frozenset(".-")
_PATH = _LETTERS | _DIGITS | frozenset("-._~/")


def plainly_https(url: str) -> bool:
    """`https://host[:port][/path]` in plain characters: a URL that parse_endpoint
    (consent/_core/endpoint.py) accepts as it is, so that an app's every run need not load it
    (and the errors it raises) to check its own endpoint. Anything else goes to parse_endpoint;
    tests/core/test_otlp_spec.py holds this to it."""
    if not url.startswith("https://"):
        return False
    netloc, _, path = url[8:].partition("/")
    host, _, port = netloc.partition(":")
    return (
        bool(host)
        and set(host) <= _HOST
        and (not port or (set(port) <= _DIGITS and len(port) <= 5 and 0 < int(port) <= 65535))
        and set(path) <= _PATH
    )


def header_problems(headers: tuple[tuple[str, str], ...]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for pair in headers:
        if not (isinstance(pair, tuple) and len(pair) == 2 and all(type(s) is str for s in pair)):
            problems.append(f"header {pair!r} must be a (name, value) pair of strings")
            continue
        name, value = pair
        if not name or not set(name) <= _TOKEN:
            problems.append(f"header name {name!r} must be letters, digits or '-'")
        elif name.lower() in RESERVED_HEADERS:
            problems.append(f"header {name!r} is written by the sender itself, or not allowed")
        elif name.lower() in seen:
            problems.append(f"header {name!r} is given twice")
        seen.add(name.lower())
        if (
            not value
            or len(value) > 1024
            or value != value.strip()
            or not all(" " <= c <= "~" for c in value)
        ):
            problems.append(
                f"header {name!r}: its value must be printable ASCII, 1 to 1024 characters, "
                "without leading or trailing spaces"
            )
    return problems
