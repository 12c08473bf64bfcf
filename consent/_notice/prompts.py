"""The first-run notice (opt-out apps) and the opt-in question, generated from the registry.

Both name every field that can be sent (wire name and meaning, and for runtime fields what
they may carry), the recipient (the destination's host and protocol), the purpose, and the
commands for the full notice and the exact bytes. No sentence claims more than the registry
and the sender guarantee.
"""

from __future__ import annotations

from consent._core.envgrammar import DO_NOT_TRACK
from consent._core.spec import AppSpec, Field
from consent._start import FLAG

TYPE_CHECKING = False
if TYPE_CHECKING:
    from consent._core.rules import DecidedBy


def host_of(spec: AppSpec, url: str = "") -> str:
    """The destination's host (or `url`'s), without importing urllib (`https://host[:port]/…`)."""
    rest = (url or spec.destination.origin).split("://", 1)[-1]
    return rest.split("/", 1)[0] or rest


PROTOCOL_NAMES = {
    "legacy": "Universal Analytics Measurement Protocol v1",
    "ga4": "GA4 Measurement Protocol",
    "otlp": "OpenTelemetry OTLP/HTTP logs",
}


def protocol_name(spec: AppSpec) -> str:
    return PROTOCOL_NAMES.get(spec.destination.protocol, spec.destination.protocol)


# Who set an endpoint the hits go to instead of the app's destination, by the decision's source.
_WHOSE = {
    "policy": "your organization's policy",
    "packager": "the packager of this installation",
}


def _meaning(spec: AppSpec, f: Field) -> str:
    text = f.description.strip()
    if f.kind == "runtime":
        text += f" Carries {f.allowed_text()}."
    elif f.kind == "constant":
        text += f" Always {f.value!r}."
    return text


def field_lines(spec: AppSpec) -> list[str]:
    width = max(len(f.wire) for f in spec.fields)
    return [f"  {f.wire:<{width}}  {_meaning(spec, f)}" for f in spec.fields]


def _recipient(spec: AppSpec, endpoint: DecidedBy | None = None) -> list[str]:
    dest = spec.destination
    url = endpoint.origin.get("url", "") if endpoint and endpoint.source in _WHOSE else ""
    host = host_of(spec, url)
    where = f"{(url or dest.origin).rstrip('/')}{dest.path}"
    instead = ""
    if url and endpoint is not None:
        instead = f", set by {_WHOSE[endpoint.source]} instead of {host_of(spec)}"
    # An OTLP endpoint is the organisation's own: the notice names who the spec says runs it.
    who = (
        f"{spec.recipients.strip().rstrip('.')}, at " if dest.protocol == "otlp" and not url else ""
    )
    return [
        f"Recipient: {who}{host} ({protocol_name(spec)}, {where}){instead}. "
        f"Like any connection, each request also shows your IP address to {host}.",
        f"Purpose: {spec.purpose.strip()}",
        "Each request carries only fields from this list; the sender refuses any other key:",
        *field_lines(spec),
        *_envelope_line(spec),
    ]


def _envelope_line(spec: AppSpec) -> list[str]:
    if spec.destination.protocol == "ga4":
        return [
            "GA4's envelope holds them (events, name, params) with "
            "non_personalized_ads set to true and the consent object's ad_user_data and "
            "ad_personalization set to DENIED."
        ]
    if spec.destination.protocol == "otlp":
        return [
            "Each event is one OpenTelemetry log record: its name as eventName, the time it was "
            "recorded, the fields as attributes; beside them only service.name "
            f"({spec.name}) and service.version ({spec.version})."
        ]
    return []


def first_run_text(spec: AppSpec, endpoint: DecidedBy | None = None) -> str:
    """The notice for the first interactive run of an opt-out app (stderr); `endpoint`: where
    the decision sends hits instead of the app's destination (`Decision.endpoint`)."""
    c = spec.commands
    return "\n".join(
        [
            f"{spec.display_name} sends pseudonymous usage data unless you opt out.",
            *_recipient(spec, endpoint),
            "Nothing was sent this time; sending starts with the next run. "
            "To opt out, use any one of:",
            f"  {c} disable",
            f"  {spec.disable_env}=1   (or {DO_NOT_TRACK}=1)",
            f"  {spec.name} COMMAND {FLAG}   (this run only)",
            f"Full notice: {c} notice    Exactly what is sent: {c} show-payload",
            purposes_line(spec) + ".",
        ]
    )


def question_text(
    spec: AppSpec, endpoint: DecidedBy | None = None, asked: tuple[str, ...] = ()
) -> str:
    """The opt-in question (stderr), ending with the prompt. `endpoint` as for
    `first_run_text`; `asked`: the purposes a Yes covers, when not every one (a packager's
    default keeps the others off)."""
    c = spec.commands
    return "\n".join(
        [
            f"{spec.display_name} would like to send pseudonymous usage data.",
            *_recipient(spec, endpoint),
            f"Nothing is sent in this run, whatever you answer. Full notice: {c} notice",
            *_question_purposes(spec, asked),
            "Allow it? [y/N] ",
        ]
    )


def purposes_line(spec: AppSpec) -> str:
    """The purposes, and where finer choices are made (local mode included)."""
    c = spec.commands
    if not spec.purposes:
        return f"Keep it on this machine instead (never sent): {c} local"
    listed = "; ".join(f"{p.name}: {p.description.rstrip('.')}" for p in spec.purposes)
    return (
        f"Purposes: {listed}. Choose per purpose with {c} enable PURPOSE or "
        f"{c} disable PURPOSE; keep everything on this machine with {c} local"
    )


def _question_purposes(spec: AppSpec, asked: tuple[str, ...] = ()) -> list[str]:
    """The question covers every purpose at once (or those `asked`); finer choices are made
    with enable/disable."""
    if not spec.purposes:
        return []
    if asked and set(asked) != set(spec.purpose_names):
        rest = [p for p in spec.purpose_names if p not in asked]
        return [
            f"Yes allows {', '.join(asked)}; {', '.join(rest)} stay{'s' if len(rest) == 1 else ''} "
            f"off (this installation's default) until you run {spec.commands} enable PURPOSE."
        ]
    return [
        f"Yes allows every purpose ({', '.join(spec.purpose_names)}); choose them one by one "
        f"with {spec.commands} enable PURPOSE / disable PURPOSE."
    ]
