"""Building a hit from the registry, and refusing anything the registry does not declare.

A hit is an ordered list of (wire name, value) pairs for one declared event. A value is text,
or an int for an integer field (a `range` runtime field, an int constant), which a JSON
destination sends as a JSON number (consent/_wire/http.py). Values come from the field's kind;
the caller may supply only `runtime` fields, each within what the field declares (`allowed`),
and only from a command the event lists. Anything else is refused, the whole event with it,
before any encoding.
"""

from __future__ import annotations

from consent._core.spec import AppSpec
from consent._core.value import Record
from consent._errors import ConsentError, HitError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    Value = str | int | bool
    WireValue = str | int  # what a hit carries: an int for an integer field, else text

CLIENT_ID_PLACEHOLDER = "<pseudonymous-id: created when the first hit is sent>"

# Byte limits of the legacy protocol's parameters (Google's Measurement Protocol v1 reference;
# the local collector enforces the same, consent/testing/collector/ua.py).
LEGACY_LIMITS = {"an": 100, "av": 100, "cd": 2048, "ec": 150, "ea": 500, "el": 500}
GA4_VALUE_LIMIT = 100
GA4_MAX_PARAMS = 25


class Hit(Record):
    event: str
    pairs: tuple[tuple[str, str | int], ...]  # an int for an integer field, else text

    def as_dict(self) -> dict[str, WireValue]:
        return dict(self.pairs)


def build_hit(
    spec: AppSpec,
    event_name: str,
    *,
    client_id: str,
    command: str | None = None,
    values: Mapping[str, Value] | None = None,
    recorded_by: str | None = "",
) -> Hit:
    """The hit for `event_name`; raises HitError for undeclared keys or values, broken limits,
    or (when `recorded_by`, the command path of the run, is not "") a command the event does
    not list. `recorded_by=None` means "outside any command run"."""
    try:
        event = spec.event(event_name)
    except ConsentError as exc:
        raise HitError(
            str(exc), event=event_name, hint="declare the event in the AppSpec"
        ) from None
    if recorded_by != "" and not event.recorded_by(recorded_by, spec.name):
        where = f"the command {recorded_by!r}" if recorded_by else "code outside a command run"
        listed = ", ".join(repr(c) for c in event.commands)
        raise HitError(
            f"{spec.name}: {where} may not record the {event_name!r} event; it lists {listed}",
            event=event_name,
            hint="add the command to the event's `commands`",
        )
    wires = spec.event_fields(event)
    supplied = dict(values or {})
    undeclared = sorted(k for k in supplied if k not in wires or spec.field(k).kind != "runtime")
    if undeclared:
        keys = ", ".join(map(repr, undeclared))
        raise HitError(
            f"{spec.name}: the {event_name!r} event does not declare {keys} as a runtime field",
            event=event_name,
            field=undeclared[0],
            hint="declare it in the AppSpec registry to send it",
        )
    pairs: list[tuple[str, WireValue]] = []
    for wire in wires:
        f = spec.field(wire)
        value: WireValue
        if f.kind == "constant":
            value = "" if f.value is None else f.value
        elif f.kind == "app_version":
            value = spec.version
        elif f.kind == "client_id":
            value = client_id
        elif f.kind == "hit_type":
            value = event.hit_type
        elif f.kind == "command":
            if command is None:
                raise HitError(
                    f"{spec.name}: the {event_name!r} event needs the command path",
                    event=event_name,
                    field=wire,
                )
            value = command
        else:
            if wire not in supplied:
                raise HitError(
                    f"{spec.name}: the {event_name!r} event needs a value for {wire!r}",
                    event=event_name,
                    field=wire,
                )
            admitted, why = f.admits(supplied[wire])
            if admitted is None:
                raise HitError(
                    f"{spec.name}: the {event_name!r} event refuses {wire!r}: {why}",
                    event=event_name,
                    field=wire,
                    hint="declare the value in the field's `allowed`",
                )
            value = admitted
        pairs.append((wire, value))
    hit = Hit(event_name, tuple(pairs))
    check_limits(spec, hit)
    return hit


def check_limits(spec: AppSpec, hit: Hit) -> None:
    if spec.destination.protocol == "legacy":
        for wire, value in hit.pairs:
            limit = LEGACY_LIMITS.get(
                wire, 150 if wire.startswith("cd") and wire[2:].isdigit() else None
            )
            if limit is not None and len(str(value).encode("utf-8")) > limit:
                raise HitError(
                    f"{wire!r} is longer than the protocol's {limit} bytes",
                    event=hit.event,
                    field=wire,
                )
        return
    if spec.destination.protocol == "otlp":
        return  # no limit per value: the encoder bounds the whole body (consent/_core/otlp.py)
    params = [(w, v) for w, v in hit.pairs if spec.field(w).kind not in ("client_id", "hit_type")]
    if len(params) > GA4_MAX_PARAMS:
        raise HitError(
            f"a GA4 event carries at most {GA4_MAX_PARAMS} params, not {len(params)}",
            event=hit.event,
        )
    for wire, value in params:
        if isinstance(value, str) and len(value) > GA4_VALUE_LIMIT:
            raise HitError(
                f"{wire!r} is longer than GA4's {GA4_VALUE_LIMIT} characters",
                event=hit.event,
                field=wire,
            )
