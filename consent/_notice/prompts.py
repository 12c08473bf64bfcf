"""The first-run notice (opt-out apps) and the opt-in question: the first layer of the notice.

Both are generated from the registry and fit in at most 10 lines of 80 columns before the
command's own output: who collects, for what purposes, what kind of data (named compactly, with
the number of fields), where it goes, that nothing was sent in this run, how to turn it off in
the words a person types, and the command that prints the full notice (consent/_notice/document.py),
which says everything else. The question asks for consent, so it also names every field it covers
by its wire name. No sentence claims more than the registry and the sender guarantee.
"""

from __future__ import annotations

from consent._core.envgrammar import DO_NOT_TRACK
from consent._core.spec import EU_URL, PROTOCOLS, AppSpec, Field
from consent._start import FLAG

WIDTH = 80  # the columns a first layer is written for; a narrower terminal gets its own width
GOOGLE = "google-analytics.com"

TYPE_CHECKING = False
if TYPE_CHECKING:
    from consent._core.rules import DecidedBy


def host_of(spec: AppSpec, url: str = "") -> str:
    """The destination's host (or `url`'s), without importing urllib (`https://host[:port]/…`)."""
    rest = (url or spec.destination.origin).split("://", 1)[-1]
    return rest.split("/", 1)[0] or rest


def protocol_title(spec: AppSpec) -> str:
    found = PROTOCOLS.get(spec.destination.protocol)
    return found.title if found is not None else spec.destination.protocol


# Who set an endpoint the hits go to instead of the app's destination, by the decision's source.
_WHOSE = {
    "policy": "your organization's policy",
    "packager": "the packager of this installation",
}


def recipient(spec: AppSpec, endpoint: DecidedBy | None = None) -> str:
    """Who receives the hits, in a few words: `Google Analytics (www.google-analytics.com)`;
    an endpoint a policy, a packager or the override variable set (`Decision.endpoint`) is named
    as such, so that the sentence never names a destination the hits would not go to."""
    url = endpoint.origin.get("url", "") if endpoint is not None else ""
    if url and endpoint is not None:
        whose = _WHOSE.get(endpoint.source) or endpoint.origin.get("name", "")
        if whose:  # a variable's value is escaped on its way out (consent/_cli/console.py)
            return f"{host_of(spec, url)}, set by {whose} instead of {host_of(spec)}"
    host = host_of(spec)
    if host == GOOGLE or host.endswith("." + GOOGLE):
        where = ", in the EU" if spec.destination.origin == EU_URL else ""
        return f"Google Analytics ({host}{where})"
    if spec.destination.protocol == "otlp":  # an organisation's own endpoint
        return f"{host} (an OpenTelemetry endpoint)"
    return host


def _carries(f: Field) -> str:
    """A runtime field's declaration, compactly: `el (ok|failed)`, `ev (0 to 10000)`."""
    allowed = f.allowed
    if isinstance(allowed, range):
        return f"{f.wire} ({allowed[0]} to {allowed[-1]})" if allowed else f.wire
    words = "|".join(allowed or ())
    return f"{f.wire} ({words})" if len(words) <= 32 else f"{f.wire} (one of {len(allowed or ())})"


def data_summary(spec: AppSpec) -> str:
    """What kind of data, named compactly, with the number of fields."""
    kinds = [f.kind for f in spec.fields]
    parts = []
    if "client_id" in kinds:
        parts.append("a random id")
    if "command" in kinds:
        parts.append("the command (never its arguments)")
    if "app_version" in kinds:
        parts.append("the version")
    fixed = kinds.count("constant") + kinds.count("hit_type")
    if fixed:
        parts.append(f"{fixed} fixed value{'s' if fixed != 1 else ''}")
    parts += [_carries(f) for f in spec.fields if f.kind == "runtime"]
    # OTLP hits also carry the app's name and version as their resource (consent/_wire/otlp.py).
    beside = "; besides, the app's name and version" if spec.destination.protocol == "otlp" else ""
    return f"{len(spec.fields)} fields: " + ", ".join(parts) + beside


def _who_why(spec: AppSpec, choose: str = "") -> str:
    who = f"Who: {spec.controller.strip()}"
    who += "" if who.endswith(".") else "."
    if spec.purposes:
        return f"{who} Why: {', '.join(spec.purpose_names)}{choose}."
    return f"{who} Why: {spec.purpose.strip()}"


def _where(spec: AppSpec, endpoint: DecidedBy | None) -> str:
    return f"Where: {recipient(spec, endpoint)}; it sees your IP address."


def first_run_text(spec: AppSpec, endpoint: DecidedBy | None = None, *, width: int = WIDTH) -> str:
    """The notice for the first interactive run of an opt-out app (stderr); `endpoint`: where
    the decision sends hits instead of the app's destination (`Decision.endpoint`)."""
    c = spec.commands
    paragraphs = [
        f"{spec.display_name} sends pseudonymous usage data unless you opt out.",
        _who_why(spec),
        f"What: {data_summary(spec)}.",
        _where(spec, endpoint),
        f"To turn it off: {_words(f'{c} disable')}, or {spec.disable_env}=1 or "
        f"{DO_NOT_TRACK}=1, or {FLAG} for one run.",
        f"Nothing was sent this run. Full notice: {_words(f'{c} notice')}",
    ]
    return "\n".join(line for p in paragraphs for line in wrap(p, width))


def question_text(
    spec: AppSpec,
    endpoint: DecidedBy | None = None,
    asked: tuple[str, ...] = (),
    *,
    width: int = WIDTH,
) -> str:
    """The opt-in question (stderr), ending with the prompt. It asks for consent, so it names
    every field it covers, by wire name. `endpoint` as for `first_run_text`; `asked`: the
    purposes a Yes covers, when not every one (a packager's default keeps the others off)."""
    c = spec.commands
    enable = _words(f"{c} enable PURPOSE")
    each = f" (yes allows all; one by one: {enable} / {_words('disable PURPOSE')})"
    if asked and set(asked) != set(spec.purpose_names):
        rest = [p for p in spec.purpose_names if p not in asked]
        stays = "stays" if len(rest) == 1 else "stay"
        each = (
            f" (Yes allows {', '.join(asked)}; {', '.join(rest)} {stays} off, this "
            f"installation's default, until you run {enable})"
        )
    paragraphs = [
        f"{spec.display_name} would like to send pseudonymous usage data.",
        _who_why(spec, each),
        f"Fields ({len(spec.fields)}): {', '.join(f.wire for f in spec.fields)}.",
        _where(spec, endpoint),
        f"Nothing is sent in this run, whatever you answer. Withdraw any time: "
        f"{_words(f'{c} disable')}. Full notice: {_words(f'{c} notice')}",
    ]
    return "\n".join(line for p in paragraphs for line in wrap(p, width)) + "\nAllow it? [y/N] "


# Joins the words of a command so that a line is never broken inside it; wrap() turns it back.
_KEEP = "\x1f"


def _words(command: str) -> str:
    return command.replace(" ", _KEEP)


def wrap(text: str, width: int = WIDTH, indent: str = "  ") -> list[str]:
    """`text` in lines of at most `width` columns, later lines indented; a word is never split
    (a command or a variable stays whole, even if it alone is wider). Written out rather than
    taken from textwrap, which imports re on the host's first run."""
    lines: list[str] = []
    line = ""
    for word in text.split(" "):
        if not word:
            continue
        candidate = f"{line} {word}" if line else (indent if lines else "") + word
        if line and len(candidate) > width:
            lines.append(line)
            line = indent + word
        else:
            line = candidate
    if line:
        lines.append(line)
    return [line.replace(_KEEP, " ") for line in lines]
