"""What `show-payload` shows: the requests a command line would produce, built exactly as sent.

Uses the same hit builder and encoder as the sender. Never creates an id, never
opens a socket and never loads the keyring: a marked placeholder stands in for the id
unless the caller passes the stored one (`show-payload --with-id`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from consent._core.spec import AppSpec, Event, command_event
from consent._core.value import Record
from consent._errors import ConsentError
from consent._wire.hits import CLIENT_ID_PLACEHOLDER, build_hit
from consent._wire.http import Request, encode, endpoint_for
from consent._wire.proxy import Route, route


class Preview(Record):
    event: str
    request: Request
    always: bool = False  # sent by every run of the command (its screenview)
    # How the sender would connect, from the same environment by the same function.
    route: Route = Route(None, "no proxy variable is set")

    @property
    def connects(self) -> str:
        """The line under the label: directly, through which proxy (credentials masked), or
        not at all."""
        endpoint = self.request.endpoint
        return f"# connects {self.route.describe(endpoint.host, endpoint.port)}"

    def label(self, command: str | None) -> str:
        """The line above the raw request: the event, when it is sent, and the full URL."""
        if command is None:
            when = ""
        elif self.always:
            when = f" (every run of {command})"
        else:
            when = f" (when {command} records it)"
        return f"# event {self.event!r}{when}: {self.request.method} {self.request.url}"


class Node(Record):
    """A command in the host's command tree, whatever framework built it: `children` by name
    (None for a command that takes no subcommand); a group `runs_alone` when it may run without
    naming a subcommand (click's invoke_without_command, argparse's optional subcommands)."""

    children: Mapping[str, Node] | None = None
    runs_alone: bool = True


def resolve_words(root: Node, spec: AppSpec, words: Sequence[str]) -> str:
    """Map command words to a command path through the CLI's own tree (arguments dropped)."""
    names = [spec.name]
    current = root
    for word in words:
        children = current.children
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
    if current.children is not None and not current.runs_alone:
        raise ConsentError(f"'{' '.join(names)}' is a group; name one of its commands")
    return " ".join(names)


def first_leaf(root: Node, spec: AppSpec) -> str:
    names = [spec.name]
    current = root
    while current.children:
        name = next((n for n in current.children if n != spec.group), None)
        if name is None:
            break
        names.append(name)
        current = current.children[name]
    return " ".join(names)


def events_for(spec: AppSpec, command: str | None, event: str | None) -> list[Event]:
    """The events to show: `event` alone; else every event `command` may send (its screenview
    and each event that lists it or lists no command); else every declared event."""
    if event is not None:
        return [spec.event(event)]
    if command is None:
        return list(spec.events)
    return [e for e in spec.events if e.recorded_by(command, spec.name)]


def previews(
    spec: AppSpec,
    environ: Mapping[str, str],
    *,
    command: str | None,
    event: str | None,
    default_command: str,
    client_id: str | None = None,
    managed: str = "",
    default: str = "",
) -> list[Preview]:
    """`managed`: the endpoint an admin policy sets (`Decision.endpoint_url`), `default` a
    packager's (`Decision.default_url`), as the gate uses them."""
    client_id = client_id or CLIENT_ID_PLACEHOLDER
    endpoint = endpoint_for(spec, environ, managed, default)
    way = route(endpoint.scheme, endpoint.host, endpoint.port, environ)
    screen = command_event(spec)
    out = []
    for e in events_for(spec, command, event):
        name = e.name
        carries = spec.event_fields(e)
        runtime = {w: _example(spec, w) for w in carries if spec.field(w).kind == "runtime"}
        needs_command = any(spec.field(w).kind == "command" for w in carries)
        hit = build_hit(
            spec,
            name,
            client_id=client_id,
            command=(command or default_command) if needs_command else None,
            values=runtime,
        )
        always = screen is not None and name == screen.name
        out.append(Preview(name, encode(spec, hit, endpoint), always, way))
    return out


def _example(spec: AppSpec, wire: str) -> str | int:
    f = spec.field(wire)
    return int(f.example) if isinstance(f.allowed, range) else f.example


def as_json(p: Preview, sent_now: bool) -> dict[str, object]:
    r = p.request
    return {
        "event": p.event,
        "method": r.method,
        "url": r.url,
        "headers": [list(h) for h in r.headers],
        "body": r.body.decode("utf-8"),
        "raw": r.raw().decode("utf-8"),
        "proxy": None if p.route.proxy is None else p.route.proxy.shown,
        "connects": p.route.describe(r.endpoint.host, r.endpoint.port),
        "would_send_now": sent_now and not p.route.refused,
    }
