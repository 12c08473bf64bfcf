"""Issue 11, point 3: a runtime field declares what it may carry; anything else refuses the event."""

from __future__ import annotations

import pytest

from consent import Field, HitError, SpecError
from consent._notice.document import facts, markdown
from consent._wire.hits import build_hit
from tests.apps import acme

SPEC = acme.SPEC
CID = "35009a79-1a05-49d7-b876-2b884d0f825b"


def with_field(field: Field) -> object:
    return SPEC.replace(fields=(*SPEC.fields, field))


def test_a_runtime_field_without_allowed_is_a_spec_error() -> None:
    with pytest.raises(SpecError, match=r"runtime field 'path' must declare what it may carry"):
        with_field(Field("path", "A path.", "x", "runtime")).check()


@pytest.mark.parametrize(
    ("allowed", "problem"),
    [
        ((), "non-empty tuple"),
        (["ok"], "non-empty tuple"),
        (("ok", 1), "non-empty tuple"),
        (range(5, 5), "empty range"),
        (("ok", "ok"), "names a value twice"),
        (("y" * 101,), "over 100 bytes"),
        (("a", "b"), "example 'x' is not allowed"),
    ],
)
def test_a_bad_declaration_is_a_spec_error(allowed: object, problem: str) -> None:
    with pytest.raises(SpecError, match=problem):
        with_field(Field("extra", "Extra.", "x", "runtime", allowed=allowed)).check()  # type: ignore[arg-type]


def test_only_runtime_fields_declare_allowed_values() -> None:
    with pytest.raises(SpecError, match="only runtime fields declare allowed values"):
        with_field(Field("extra", "Extra.", "x", "constant", "x", allowed=("x",))).check()


def values_sent(**values: object) -> dict[str, str | int]:
    hit = build_hit(SPEC, "deployed", client_id=CID, values=values)  # type: ignore[arg-type]
    return hit.as_dict()


def test_strings_ints_and_booleans_go_on_the_wire_as_declared() -> None:
    sent = values_sent(outcome="failed", retries=10)
    assert (sent["outcome"], sent["retries"]) == ("failed", 10)  # an int stays an int
    flags = SPEC.replace(
        fields=(
            *SPEC.fields[:-2],
            Field("outcome", "Ok.", "true", "runtime", allowed=("true", "false")),
            SPEC.field("retries"),
        )
    )
    hit = build_hit(flags, "deployed", client_id=CID, values={"outcome": False, "retries": 0})
    assert hit.as_dict()["outcome"] == "false"  # never "False"


@pytest.mark.parametrize(
    ("values", "field", "why"),
    [
        ({"outcome": "/home/ada/secret.txt", "retries": 0}, "outcome", "is not one of"),
        ({"outcome": "ok", "retries": 11}, "retries", "11 is not an integer from 0 to 10"),
        ({"outcome": "ok", "retries": -1}, "retries", "is not an integer"),
        ({"outcome": "ok", "retries": "3"}, "retries", "str given where"),
        ({"outcome": "ok", "retries": True}, "retries", "bool given where"),
        ({"outcome": 1, "retries": 0}, "outcome", "int given where"),
        ({"outcome": True, "retries": 0}, "outcome", "\"true\" is not one of|'true' is not one of"),
        ({"outcome": "ok", "retries": 0, "path": "/etc"}, "path", "does not declare"),
        ({"outcome": "ok"}, "retries", "needs a value"),
    ],
)
def test_anything_outside_the_declaration_refuses_the_whole_event(
    values: dict[str, object], field: str, why: str
) -> None:
    with pytest.raises(HitError, match=why) as caught:
        values_sent(**values)
    assert (caught.value.event, caught.value.field) == ("deployed", field)


def test_a_long_refused_value_is_cut_short_in_the_reason() -> None:
    with pytest.raises(HitError) as caught:
        values_sent(outcome="k" * 500, retries=0)
    assert "k" * 41 not in str(caught.value)


def test_the_notice_lists_each_runtime_fields_allowed_values() -> None:
    text = markdown(SPEC)
    assert 'Allowed: one of "ok", "failed".' in text
    assert "Allowed: an integer from 0 to 10." in text
    by_wire = {f["wire"]: f for f in facts(SPEC)["fields"]}
    assert by_wire["outcome"]["allowed"] == ["ok", "failed"]
    assert by_wire["retries"]["allowed"] == {"min": 0, "max": 10, "step": 1}
    assert "allowed" not in by_wire["command"]


def test_changing_what_a_field_may_carry_changes_the_notice_version() -> None:
    wider = SPEC.replace(
        fields=tuple(
            f.replace(allowed=range(0, 101)) if f.wire == "retries" else f for f in SPEC.fields
        )
    )
    assert wider.notice_version != SPEC.notice_version
