"""What `show-payload` shows: the requests a command line would produce, built exactly as sent.

Uses the same hit builder and encoder as the sender. Never creates an id and
never opens a socket: without a stored id, a marked placeholder stands in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from consent.core.names import GROUP_NAME
from consent.core.spec import AppSpec, command_event
from consent.core.value import Record
from consent.errors import ConsentError
from consent.store import identity
from consent.store.paths import Locations
from consent.wire.hits import CLIENT_ID_PLACEHOLDER, build_hit
from consent.wire.http import Request, encode, endpoint_for


class Preview(Record):
    event: str
    request: Request


def resolve_words(root: Any, spec: AppSpec, words: Sequence[str]) -> str:
    """Map command words to a command path through the CLI's own tree (arguments dropped)."""
    names = [spec.name]
    current = root
    for word in words:
        children = getattr(current, "commands", None)
        if children is None:
            break  # a leaf: what follows is arguments, never part of the name
        if word not in children:
            choices = ", ".join(sorted(children))
            raise ConsentError(
                f"'{' '.join([*names, word])}' is not a command; choose from: {choices}"
            )
        current = children[word]
        names.append(word)
    # A group is a command line of its own only when it runs without a subcommand.
    if getattr(current, "commands", None) is not None and not current.invoke_without_command:
        raise ConsentError(f"'{' '.join(names)}' is a group; name one of its commands")
    return " ".join(names)


def first_leaf(root: Any, spec: AppSpec, skip: str = GROUP_NAME) -> str:
    names = [spec.name]
    current = root
    while getattr(current, "commands", None):
        name = next((n for n in current.commands if n != skip), None)
        if name is None:
            break
        names.append(name)
        current = current.commands[name]
    return " ".join(names)


def previews(
    spec: AppSpec,
    locs: Locations,
    environ: Mapping[str, str],
    *,
    command: str | None,
    event: str | None,
    default_command: str,
) -> list[Preview]:
    client_id = identity.load(spec, locs).value or CLIENT_ID_PLACEHOLDER
    endpoint = endpoint_for(spec, environ)
    screen = command_event(spec)
    if event is not None:
        names = [spec.event(event).name]
    elif command is not None and screen is not None:
        names = [screen.name]
    else:
        names = [e.name for e in spec.events]
    out = []
    for name in names:
        carries = spec.event_fields(spec.event(name))
        runtime = {w: spec.field(w).example for w in carries if spec.field(w).kind == "runtime"}
        needs_command = any(spec.field(w).kind == "command" for w in carries)
        hit = build_hit(
            spec,
            name,
            client_id=client_id,
            command=(command or default_command) if needs_command else None,
            values=runtime,
        )
        out.append(Preview(name, encode(spec, hit, endpoint)))
    return out


def as_json(p: Preview, sent_now: bool) -> dict[str, object]:
    r = p.request
    return {
        "event": p.event,
        "method": r.method,
        "url": r.url,
        "headers": [list(h) for h in r.headers],
        "body": r.body.decode("utf-8"),
        "raw": r.raw().decode("utf-8"),
        "would_send_now": sent_now,
    }
