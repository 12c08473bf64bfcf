"""Issue 25, point 1: a spec is checked against its protocol when it is built.

Each protocol states in one table (consent/_core/spec.py, PROTOCOLS) the fields its hits need
and how constants agree with the destination. The class of defect: a spec that builds yet can
only produce hits the protocol refuses. The oracle is independent: the local collector's
validators (consent/testing/collector/ua.py, ga4.py), fed the hits the registry says it sends.
A spec builds exactly when every hit it can produce is valid there.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent._core import spec as spec_module
from consent._core.endpoint import parse_endpoint
from consent._core.spec import PROTOCOLS, AppSpec, Destination, Event, Field
from consent._errors import SpecError
from consent._wire.hits import build_hit
from consent._wire.http import encode
from consent.testing.collector import ga4, ua
from lumogon import SPEC as LUMOGON
from tests.helpers import opt_in_spec

CID = "35009a79-1a05-49d7-b876-2b884d0f825b"
NOW = 1_732_291_200_000_000
RESPONSIBLE: dict[str, Any] = {
    "purpose": "Test protocols.",
    "access": "Nobody.",
    "controller": "The protocol tests",
    "contact": "tests@protocols.example",
    "legal_basis": "Consent.",
    "retention": "1 day",
    "recipients": "Nobody.",
    "notice_date": "2026-12-01",
}


def without(spec: AppSpec, *wires: str) -> AppSpec:
    return spec.replace(
        fields=tuple(f for f in spec.fields if f.wire not in wires),
        common=tuple(w for w in spec.common if w not in wires),
    )


# --- the examples ------------------------------------------------------------------------


def test_a_legacy_spec_without_v_and_tid_names_both_and_how_to_declare_them() -> None:
    with pytest.raises(SpecError) as caught:
        without(LUMOGON, "v", "tid").check()
    message = str(caught.value)
    assert "every hit needs 'v' (the protocol version)" in message
    assert "Field('v', '…', '1', 'constant', '1')" in message
    assert "every hit needs 'tid'" in message
    assert "Field('tid', '…', 'UA-54263865-7', 'constant', 'UA-54263865-7')" in message


def test_a_tid_that_disagrees_with_the_destination_is_refused() -> None:
    with pytest.raises(SpecError, match="'tid' is 'UA-54263865-7'; it must be 'UA-1-1', the dest"):
        LUMOGON.replace(destination=Destination("legacy", "UA-1-1")).check()
    with pytest.raises(SpecError, match="must be a Universal Analytics tracking id"):
        LUMOGON.replace(destination=Destination("legacy", "G-ABC")).check()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda s: {"common": tuple(w for w in s.common if w != "tid")}, "name it in `common`"),
        (
            lambda s: {
                "fields": tuple(f.replace(value="2") if f.wire == "v" else f for f in s.fields)
            },
            "'v' is '2'; it must be '1'",
        ),
        (
            lambda s: {"events": (s.events[0].replace(fields=()), s.events[1])},
            "a legacy 'screenview' hit needs 'cd'",
        ),
        (
            lambda s: {"events": (s.events[0], s.events[1].replace(fields=("ec", "el", "ev")))},
            "a legacy 'event' hit needs 'ea'",
        ),
        (lambda s: {"events": (s.events[0].replace(hit_type="click"),)}, "not a legacy hit type"),
        (lambda s: {"common": ("v", "tid", "cid", "av", "t")}, "needs 'an'"),
    ],
    ids=["tid-not-common", "v-2", "screenview-cd", "event-ea", "hit-type", "av-without-an"],
)
def test_legacy_requirements(change: Any, message: str) -> None:
    with pytest.raises(SpecError, match=message):
        LUMOGON.replace(**change(LUMOGON)).check()


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda s: {
                "fields": tuple(
                    f.replace(wire="cid") if f.wire == "client_id" else f for f in s.fields
                ),
                "common": tuple("cid" if w == "client_id" else w for w in s.common),
            },
            "the client_id field must be named 'client_id', not 'cid'",
        ),
        (lambda s: {"events": (s.events[0].replace(hit_type="session_start"),)}, "reserves"),
        (lambda s: {"destination": Destination("ga4", "", api_secret="s")}, "measurement id"),
    ],
    ids=["client-id-name", "reserved-event", "no-measurement-id"],
)
def test_ga4_requirements(change: Any, message: str) -> None:
    base = opt_in_spec()
    with pytest.raises(SpecError, match=message):
        base.replace(**change(base)).check()


def test_a_new_protocol_is_one_entry() -> None:
    """What the rest of the package asks of a protocol comes from its entry."""
    for name, p in PROTOCOLS.items():
        assert p.name == name and p.path.startswith("/") and p.title and p.label
        assert all(r.kind in ("constant", "client_id", "hit_type") for r in p.required)
    assert Destination("legacy", "UA-1-1").path == "/collect"
    assert Destination("ga4", "G-1").path == "/mp/collect"
    with pytest.raises(
        SpecError, match="protocol 'carrier-pigeon' must be 'legacy', 'ga4' or 'otlp'"
    ):
        LUMOGON.replace(destination=Destination("carrier-pigeon", "x")).check()


def test_the_legacy_protocol_tells_the_plugin_it_is_no_longer_processed() -> None:
    """The pytest plugin sets the hook (tests/testing/test_plugin.py runs it for real)."""
    seen: list[str] = []
    saved = spec_module.sunset_warning
    spec_module.sunset_warning = lambda spec, p: seen.append(f"{spec.name}: {p.sunset}")
    try:
        LUMOGON.replace().check()
        opt_in_spec().check()
    finally:
        spec_module.sunset_warning = saved
    assert len(seen) == 1 and seen[0].startswith("lumogon: Google stopped processing Universal")
    assert "2023-07-01" in seen[0]


# --- the class: a spec builds exactly when its hits are valid at the collector -----------------


def legacy_valid(pairs: list[tuple[str, str]]) -> bool:
    body = "&".join(f"{k}={v}" for k, v in pairs).encode()
    return ua.validate_single("POST", "/collect", "HTTP/1.1", body).valid


def ga4_valid(pairs: list[tuple[str, object]]) -> bool:
    """The body as the registry describes it: `client_id` and `name` in their places, every
    other wire name a param."""
    values = dict(pairs)
    params = {k: v for k, v in pairs if k not in ("client_id", "name")}
    body = {
        "client_id": values.get("client_id", ""),
        "events": [{"name": values.get("name", ""), "params": params}],
    }
    query = "measurement_id=G-1&api_secret=s"
    return ga4.validate(query, json.dumps(body).encode(), now_micros=NOW).valid


def claimed_hits(
    fields: tuple[Field, ...], common: tuple[str, ...], event: Event
) -> list[list[tuple[str, Any]]]:
    """The hits the registry says `event` may carry: each runtime range at both of its ends."""
    by_wire = {f.wire: f for f in fields}
    out = []
    for end in (0, -1):
        pairs: list[tuple[str, Any]] = []
        for wire in (*common, *(w for w in event.fields if w not in common)):
            f = by_wire[wire]
            value: Any = {
                "constant": f.value,
                "client_id": CID,
                "hit_type": event.hit_type,
                "command": "app x",
                "app_version": "1.0",
            }.get(f.kind)
            if f.kind == "runtime":
                value = f.allowed[end] if isinstance(f.allowed, range) else f.allowed[0]  # type: ignore[index]
            pairs.append((wire, value))
        out.append(pairs)
    return out


def values_of(f: Field) -> list[Any]:
    """What a field may carry, as the collector sees it (a range at both ends)."""
    if f.kind == "runtime":
        return [f.allowed[0], f.allowed[-1]] if isinstance(f.allowed, range) else [f.allowed[0]]  # type: ignore[index]
    return [{"constant": f.value, "command": "app x", "app_version": "1.0"}[f.kind]]


def each_field_fits(protocol: str, fields: tuple[Field, ...]) -> bool:
    """Every declared field, in a hit that is otherwise valid, keeps it valid: its name and its
    values are the protocol's, whether or not an event carries it yet."""
    for f in fields:
        if f.kind in ("client_id", "hit_type"):
            continue
        for value in values_of(f):
            if protocol == "legacy":
                base = {"v": "1", "tid": "UA-1-1", "cid": CID, "t": "exception", "an": "App"}
                if f.wire != "tid" and not legacy_valid(list({**base, f.wire: str(value)}.items())):
                    return False
            elif not ga4_valid([("client_id", CID), ("name", "run"), (f.wire, value)]):
                return False
    return True


def build(
    protocol: str,
    tracking_id: str,
    fields: tuple[Field, ...],
    common: tuple[str, ...],
    events: tuple[Event, ...],
) -> AppSpec:
    return AppSpec(
        name="proto", display_name="Proto", version="1.0", env_prefix="PROTO", mode="opt-in",
        destination=Destination(protocol, tracking_id, api_secret="s" if protocol == "ga4" else ""),
        fields=fields, common=common, events=events, **RESPONSIBLE,
    )  # fmt: skip


LEGACY_EXTRAS = {
    "cd": Field("cd", "Screen.", "app x", "command"),
    "ec": Field("ec", "Category.", "UX", "constant", "UX"),
    "ea": Field("ea", "Action.", "go", "constant", "go"),
    "el": Field("el", "Label.", "ok", "runtime", allowed=("ok", "failed")),
    "an": Field("an", "Name.", "App", "constant", "App"),
    "av": Field("av", "Version.", "1.0", "app_version"),
    "cd3": Field("cd3", "Dimension.", "x", "constant", "x"),
}


@st.composite
def legacy_registries(
    draw: st.DrawFn,
) -> tuple[str, tuple[Field, ...], tuple[str, ...], tuple[Event, ...]]:
    tracking_id = draw(st.sampled_from(["UA-1-1", "UA-12-3", "G-1", "UA-x-1"]))
    core = [
        Field("v", "Version.", "1", "constant", draw(st.sampled_from(["1", "1", "2", 1]))),
        Field(
            "tid",
            "Property.",
            "UA-1-1",
            "constant",
            draw(st.sampled_from([tracking_id, tracking_id, "UA-9-9"])),
        ),
        Field("cid", "Id.", CID, "client_id"),
        Field("t", "Type.", "event", "hit_type"),
    ]
    core = [f for f in core if draw(st.integers(0, 9)) > 0]  # each one usually there
    extras = [LEGACY_EXTRAS[w] for w in sorted(LEGACY_EXTRAS) if draw(st.booleans())]
    ev = draw(
        st.sampled_from([
            None, Field("ev", "Value.", "1", "runtime", allowed=range(0, 10)),
            Field("ev", "Value.", "1", "runtime", allowed=range(-2, 3)),
            Field("ev", "Value.", "5", "constant", "5"), Field("ev", "Value.", "x", "constant", "x"),
        ])
    )  # fmt: skip
    odd = draw(st.sampled_from([None, "cd0", "cd201", "cm7"]))
    extras += [
        f for f in (ev, odd and Field(odd, "Custom.", "1", "constant", "1")) if f is not None
    ]
    fields = tuple(core + extras)
    common = tuple(f.wire for f in core if draw(st.integers(0, 9)) > 0)
    rest = [f.wire for f in fields if f.wire not in common]
    events = tuple(
        Event(f"e{i}", "An event.", draw(st.sampled_from(["screenview", "event", "exception", "bogus"])),
              tuple(w for w in rest if draw(st.booleans())))
        for i in range(draw(st.integers(1, 3)))
    )  # fmt: skip
    return tracking_id, fields, common, events


def builds(make: Any) -> AppSpec | None:
    """The spec, checked (building one checks nothing: its first use does), or None."""
    spec: AppSpec = make()
    try:
        spec.check()
    except SpecError:
        return None
    return spec


def check_legacy(registry: Any) -> None:
    tracking_id, fields, common, events = registry
    kinds = [f.kind for f in fields]
    assert kinds.count("client_id") <= 1 and kinds.count("hit_type") <= 1
    valid = each_field_fits("legacy", fields) and all(
        legacy_valid([(k, str(v)) for k, v in pairs])
        for e in events
        for pairs in claimed_hits(fields, common, e)
    )
    tid = next((f for f in fields if f.wire == "tid"), None)
    agrees = tid is None or tid.value == tracking_id
    spec = builds(lambda: build("legacy", tracking_id, fields, common, events))
    assert (spec is not None) == (valid and agrees)
    if spec is not None:  # and the real path produces what the registry claims
        endpoint = parse_endpoint("https://www.google-analytics.com")
        for e in spec.events:
            runtime = {
                w: spec.field(w).allowed[0]
                for w in spec.event_fields(e)
                if spec.field(w).kind == "runtime"
            }  # type: ignore[index]
            hit = build_hit(spec, e.name, client_id=CID, command="proto x", values=runtime)
            body = encode(spec, hit, endpoint).body
            assert ua.validate_single("POST", "/collect", "HTTP/1.1", body).valid


@st.composite
def ga4_registries(draw: st.DrawFn) -> tuple[tuple[Field, ...], tuple[str, ...], tuple[Event, ...]]:
    ident = Field(draw(st.sampled_from(["client_id", "client_id", "cid"])), "Id.", CID, "client_id")
    name = Field(draw(st.sampled_from(["name", "name", "event_name"])), "Event.", "run", "hit_type")
    params = [
        Field(f"p{i}", "A param.", "x", "constant", "x")
        for i in range(draw(st.sampled_from([0, 2, 23, 24])))
    ]
    params += [
        f
        for f in (
            Field("grams", "Grams.", "250", "runtime", allowed=range(0, 100_001)),
            Field("ga_x", "Reserved.", "x", "constant", "x"),
            Field("engagement_time_msec", "Engagement.", "1", "constant", 1),
        )
        if draw(st.booleans())
    ]
    fields = (ident, name, *params)
    common = tuple(f.wire for f in (ident, name) if draw(st.integers(0, 5)) > 0)
    rest = [f.wire for f in fields if f.wire not in common]
    events = tuple(
        Event(f"e{i}", "An event.", draw(st.sampled_from(["run", "recipe_added", "session_start", "1bad"])),
              tuple(w for w in rest if draw(st.integers(0, 5)) > 0))
        for i in range(draw(st.integers(1, 2)))
    )  # fmt: skip
    return fields, common, events


def check_ga4(registry: Any) -> None:
    fields, common, events = registry
    valid = each_field_fits("ga4", fields) and all(
        ga4_valid(pairs) for e in events for pairs in claimed_hits(fields, common, e)
    )
    spec = builds(lambda: build("ga4", "G-1", fields, common, events))
    assert (spec is not None) == valid


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(legacy_registries())
def test_a_legacy_spec_builds_exactly_when_its_hits_are_valid(registry: Any) -> None:
    check_legacy(registry)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ga4_registries())
def test_a_ga4_spec_builds_exactly_when_its_hits_are_valid(registry: Any) -> None:
    check_ga4(registry)


@pytest.mark.slow
@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(legacy_registries(), ga4_registries())
def test_many_more_registries(legacy: Any, ga4_registry: Any) -> None:
    check_legacy(legacy)
    check_ga4(ga4_registry)


def test_the_check_is_one_pass_at_first_use() -> None:
    """Building lumogon's spec checks nothing; checking it (its first use does) calls the
    protocol's name rule once per field, and nothing that hashes."""
    calls: list[str] = []
    p = PROTOCOLS["legacy"]
    counting = p.replace(is_name=lambda s: calls.append(s) or p.is_name(s))
    saved = dict(PROTOCOLS)
    PROTOCOLS["legacy"] = counting
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            built = LUMOGON.replace()
            assert calls == []
            built.check()
            built.check()  # once
    finally:
        PROTOCOLS.clear()
        PROTOCOLS.update(saved)
    assert calls == [f.wire for f in LUMOGON.fields]
    assert built._notice_version is None  # nothing hashed the registry
