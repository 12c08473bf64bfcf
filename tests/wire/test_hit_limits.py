"""Every protocol limit of a hit, at the limit and one past it (issue 12, class 11): a byte that
would leave beyond what the protocol takes is refused with the whole event."""

from __future__ import annotations

import pytest

from consent._core.spec import AppSpec, Destination, Event, Field
from consent._errors import HitError, SpecError
from consent._wire.hits import CLIENT_ID_PLACEHOLDER, Hit, build_hit, check_limits

CID = "35009a79-1a05-49d7-b876-2b884d0f825b"


RESPONSIBLE = {
    "controller": "The limit tests",
    "contact": "tests@lim.example",
    "legal_basis": "Consent.",
    "retention": "1 day",
    "recipients": "Nobody.",
    "notice_date": "2026-12-01",
}


def legacy(*runtime: str, constant: tuple[str, str] | None = None) -> AppSpec:
    """A legacy spec with runtime fields (allowed: "x", "go"), or one constant field whose value
    is the text under test: a constant's value is what the app wrote, so only the protocol's
    limits bound it, while a runtime field's values are capped when the spec is built. Its hits
    are `exception` hits: the one hit type that needs no field of its own (an `av` brings `an`)."""
    fields = [
        Field("v", "Version.", "1", "constant", "1"),
        Field("tid", "Property.", "UA-1-1", "constant", "UA-1-1"),
        Field("cid", "Id.", "x", "client_id"),
        Field("t", "Type.", "exception", "hit_type"),
        *(Field(w, f"{w}.", "x", "runtime", allowed=("x", "go")) for w in runtime),
    ]
    carried = tuple(runtime)
    if constant is not None:
        fields.append(Field(constant[0], "Constant.", "x", "constant", constant[1]))
        carried += (constant[0],)
        if constant[0] == "av":
            fields.append(Field("an", "Name.", "Lim", "constant", "Lim"))
            carried += ("an",)
    return AppSpec(
        name="lim", display_name="Lim", version="1", env_prefix="LIM", mode="opt-in",
        destination=Destination("legacy", "UA-1-1"), fields=tuple(fields),
        common=("v", "tid", "cid", "t"), events=(Event("e", "An event.", "exception", carried),),
        purpose="Test limits.", access="Nobody.", **RESPONSIBLE,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("wire", "limit"),
    [("an", 100), ("av", 100), ("ec", 150), ("ea", 500), ("el", 500), ("cd", 2048),
     ("cd7", 150), ("cd12", 150)],
)  # fmt: skip
def test_legacy_limits_in_bytes(wire: str, limit: int) -> None:
    def hit(value: str) -> dict[str, str | int]:
        return build_hit(legacy(constant=(wire, value)), "e", client_id=CID).as_dict()

    assert hit("é" * (limit // 2))[wire] == "é" * (limit // 2)
    assert hit("x" * limit)[wire] == "x" * limit
    with pytest.raises(HitError, match=f"{limit} bytes") as caught:
        hit("x" * (limit + 1))
    assert caught.value.field == wire
    with pytest.raises(HitError):
        hit("é" * (limit // 2) + "x")


@pytest.mark.parametrize("wire", ["cdx", "cd", "ab12"])
def test_names_that_only_look_like_dimensions(wire: str) -> None:
    spec = legacy(constant=(wire, "x" * 3000))
    if wire == "cd":  # `cd` has its own limit (above)
        with pytest.raises(HitError, match="2048 bytes"):
            build_hit(spec, "e", client_id=CID)
    else:
        assert build_hit(spec, "e", client_id=CID).as_dict()[wire] == "x" * 3000


def test_ev_takes_an_integer_and_a_dimension_an_index_from_1_to_200() -> None:
    """The protocol's own types, checked when the spec is built (consent/_core/spec.py)."""
    assert build_hit(legacy(constant=("ev", "3")), "e", client_id=CID).as_dict()["ev"] == "3"
    for wire, value in (("ev", "x"), ("ev", "-1"), ("qt", "14400001")):
        with pytest.raises(SpecError, match=f"'{wire}': the legacy protocol takes an integer"):
            legacy(constant=(wire, value)).check()
    for wire in ("cd0", "cd201", "cm0"):
        with pytest.raises(SpecError, match=f"field '{wire}' is not a valid legacy name"):
            legacy(constant=(wire, "x")).check()


def test_runtime_only_and_declared_only() -> None:
    spec = legacy("ec")
    with pytest.raises(HitError, match="'v', 'zz'") as caught:
        build_hit(spec, "e", client_id=CID, values={"zz": "1", "v": "2", "ec": "x"})
    assert caught.value.field == "v"
    with pytest.raises(HitError, match="needs a value for 'ec'"):
        build_hit(spec, "e", client_id=CID)
    hit = build_hit(spec, "e", client_id=CID, values={"ec": "go"})
    assert hit.pairs == (
        ("v", "1"), ("tid", "UA-1-1"), ("cid", CID), ("t", "exception"), ("ec", "go")
    )  # fmt: skip
    assert hit.event == "e" and hit.as_dict()["cid"] == CID


def test_the_placeholder_is_what_show_payload_prints() -> None:
    assert CLIENT_ID_PLACEHOLDER == "<pseudonymous-id: created when the first hit is sent>"


def ga4_with(extra: int) -> AppSpec:
    """The GA4 test app with `extra` constant params besides its own (id and name are no params)."""
    from tests.helpers import opt_in_spec

    base = opt_in_spec()
    fields = tuple(Field(f"p{i}", f"P{i}.", "x", "constant", "x") for i in range(extra))
    carried = ("command", *(f.wire for f in fields))
    event = Event("command", "A command ran.", "command_run", carried)
    return base.replace(fields=base.fields + fields, events=(event,))


def test_ga4_params_at_the_cap_and_one_past_it() -> None:
    """25 params go (the id and the event name are not params); a spec whose event would carry
    a 26th never builds, and the hit's own check (kept for a spec built some other way) holds."""
    hit = build_hit(ga4_with(22), "command", client_id=CID, command="acme build")
    wires = [w for w, _ in hit.pairs]
    assert len(wires) == 27 and wires[:2] == ["client_id", "name"]
    with pytest.raises(SpecError, match="carries 26 params; a GA4 event takes at most 25"):
        ga4_with(23).check()
    big = Hit("command", (*hit.pairs, ("p0", "x")))  # a 26th param
    with pytest.raises(HitError, match="at most 25 params, not 26") as caught:
        check_limits(ga4_with(22), big)
    assert caught.value.event == "command"


def test_an_undeclared_key_says_how_to_declare_it() -> None:
    with pytest.raises(HitError) as caught:
        build_hit(legacy("ec"), "e", client_id=CID, values={"zz": "1", "ec": "x"})
    assert caught.value.hint == "declare it in the AppSpec registry to send it"
    assert caught.value.field == "zz"


# --- the edges scripts/mutate.py found untested (issue 24) --------------------------------------


def ga4_runtime() -> AppSpec:
    """The GA4 test app with an integer runtime field and a text one, besides the command."""
    from tests.helpers import opt_in_spec

    base = opt_in_spec()
    fields = (
        Field("count", "A count.", "3", "runtime", allowed=range(0, 1000)),
        Field("word", "A word.", "x", "runtime", allowed=("x", "y")),
    )
    event = Event("command", "A command ran.", "command_run", ("command", "count", "word"))
    return base.replace(fields=base.fields + fields, events=(event,))


def test_ga4_limits_text_values_only_and_takes_100_characters() -> None:
    spec = ga4_runtime()
    command = "acme " + "y" * 95  # 100 characters: the most GA4 takes
    hit = build_hit(
        spec, "command", client_id=CID, command=command, values={"count": 7, "word": "x"}
    )
    assert hit.pairs == (
        ("client_id", CID), ("name", "command_run"), ("app_version", "2.0.0"),
        ("engagement_time_msec", "1"), ("command", command), ("count", 7), ("word", "x"),
    )  # fmt: skip
    with pytest.raises(HitError) as caught:
        build_hit(
            spec, "command", client_id=CID, command=command + "y", values={"count": 7, "word": "x"}
        )
    assert str(caught.value) == "'command' is longer than GA4's 100 characters"
    assert (caught.value.event, caught.value.field) == ("command", "command")


def test_otlp_bounds_no_value_of_its_own() -> None:
    """OpenTelemetry takes any length per attribute: the encoder bounds the whole body."""
    from consent._core.spec import Destination

    long = "z" * 3000
    spec = AppSpec(
        name="otel", display_name="Otel", version="1", env_prefix="OTEL", mode="opt-in",
        destination=Destination("otlp", endpoint="https://otel.example.com/v1/logs"),
        fields=(
            Field("id", "Id.", "x", "client_id"),
            Field("kind", "Which event.", "x", "hit_type"),
            Field("note", "A note.", "x", "constant", long),
        ),
        common=("id", "kind", "note"), events=(Event("e", "An event.", "ran", ()),),
        purpose="Test limits.", access="Nobody.", **RESPONSIBLE,
    )  # fmt: skip
    assert build_hit(spec, "e", client_id=CID).as_dict()["note"] == long


@pytest.mark.parametrize(
    ("call", "message", "event", "field"),
    [
        (
            {"values": {"zz": "1"}},
            "acme: the 'command' event does not declare 'zz' as a runtime field; declare it in the "
            "AppSpec registry to send it",
            "command",
            "zz",
        ),
        ({"command": None}, "acme: the 'command' event needs the command path", "command", "command"),
        ({"values": {"count": 1}}, "acme: the 'command' event needs a value for 'word'", "command", "word"),
        ({}, "acme: the 'command' event needs a value for 'count'", "command", "count"),
        (
            {"values": {"count": 1, "word": "z"}},
            "acme: the 'command' event refuses 'word': 'z' is not one of \"x\", \"y\"; declare the "
            "value in the field's `allowed`",
            "command",
            "word",
        ),
    ],
)  # fmt: skip
def test_each_refusal_names_its_event_and_field(
    call: dict[str, object], message: str, event: str, field: str
) -> None:
    """What the debug variable prints and strict mode records (consent/_wire/gate.py)."""
    args: dict[str, object] = {"command": "acme x", **call}
    with pytest.raises(HitError) as caught:
        build_hit(ga4_runtime(), "command", client_id=CID, **args)  # type: ignore[arg-type]
    assert (str(caught.value), caught.value.event, caught.value.field) == (message, event, field)


def test_a_legacy_refusal_names_its_event_and_bytes() -> None:
    with pytest.raises(HitError) as caught:
        build_hit(legacy(constant=("ea", "x" * 501)), "e", client_id=CID)
    assert str(caught.value) == "'ea' is longer than the protocol's 500 bytes"
    assert (caught.value.event, caught.value.field) == ("e", "ea")
    hit = build_hit(ga4_with(22), "command", client_id=CID, command="acme build")
    with pytest.raises(HitError) as ga4:
        check_limits(ga4_with(22), Hit("command", (*hit.pairs, ("p0", "x"))))
    assert str(ga4.value) == "a GA4 event carries at most 25 params, not 26"
