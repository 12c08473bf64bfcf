"""Hits are built only from the registry: undeclared keys, unknown events and values over the
protocol's limits are refused before anything is encoded."""

from __future__ import annotations

import pytest

from consent._errors import HitError
from consent._wire.hits import build_hit
from lumogon import SPEC
from tests.helpers import CID, opt_in_spec


def test_legacy_upload_event_fields() -> None:
    hit = build_hit(SPEC, "upload", client_id=CID, values={"el": "failed", "ev": 12})
    assert [w for w, _ in hit.pairs] == ["v", "tid", "cid", "an", "av", "t", "ec", "ea", "el", "ev"]
    assert hit.as_dict()["t"] == "event"
    assert hit.as_dict()["ec"] == "UX" and hit.as_dict()["ea"] == "upload"
    assert hit.as_dict()["el"] == "failed" and hit.as_dict()["ev"] == 12  # an int field's int


@pytest.mark.parametrize("values", [{"cd2": "x"}, {"cd": "lumogon secret"}, {"uip": "1.2.3.4"}])
def test_undeclared_or_non_runtime_keys_are_refused(values: dict[str, str]) -> None:
    with pytest.raises(HitError, match="does not declare"):
        build_hit(SPEC, "screenview", client_id=CID, command="lumogon version", values=values)


def test_unknown_event_is_refused() -> None:
    with pytest.raises(Exception, match="declares no event"):
        build_hit(SPEC, "install", client_id=CID)


def test_legacy_byte_limits() -> None:
    with pytest.raises(HitError, match="2048"):
        build_hit(SPEC, "screenview", client_id=CID, command="lumogon " + "x" * 2050)


def test_ga4_value_limit() -> None:
    with pytest.raises(HitError, match="100"):
        build_hit(opt_in_spec(), "command", client_id=CID, command="acme " + "y" * 100)


def deploy_only() -> object:
    """The GA4 test app, its one event listing the commands that may record it."""
    from consent._core.spec import Event

    base = opt_in_spec()
    event = Event("command", "A command ran.", "command_run", ("command",), ("deploy", "db up"))
    return base.replace(events=(event,))


@pytest.mark.parametrize("recorded_by", ["", "acme deploy", "acme db up", "deploy"])
def test_an_event_is_recorded_by_the_commands_it_lists(recorded_by: str) -> None:
    """ "" is "not checked" (show-payload, the gate's own screenview)."""
    from consent._core.spec import AppSpec

    spec = deploy_only()
    assert isinstance(spec, AppSpec)
    hit = build_hit(spec, "command", client_id=CID, command="acme x", recorded_by=recorded_by)
    assert hit.as_dict()["command"] == "acme x"


@pytest.mark.parametrize(
    ("recorded_by", "where"),
    [("acme build", "the command 'acme build'"), (None, "code outside a command run")],
)
def test_an_event_from_elsewhere_is_refused_naming_the_commands(
    recorded_by: str | None, where: str
) -> None:
    from consent._core.spec import AppSpec

    spec = deploy_only()
    assert isinstance(spec, AppSpec)
    with pytest.raises(HitError) as caught:
        build_hit(spec, "command", client_id=CID, command="acme x", recorded_by=recorded_by)
    assert caught.value.message == (
        f"acme: {where} may not record the 'command' event; it lists 'deploy', 'db up'"
    )
    assert caught.value.hint == "add the command to the event's `commands`"
    assert caught.value.event == "command"


def test_refusals_say_how_to_declare() -> None:
    with pytest.raises(HitError) as unknown:
        build_hit(SPEC, "install", client_id=CID)
    assert (
        unknown.value.hint == "declare the event in the AppSpec"
        and unknown.value.event == "install"
    )
    from consent._core.spec import Field

    base = opt_in_spec()
    plan = Field("plan", "The plan.", "free", "runtime", allowed=("free", "pro"))
    event = base.events[0].replace(fields=(*base.events[0].fields, "plan"))
    spec = base.replace(fields=(*base.fields, plan), events=(event,))
    with pytest.raises(HitError) as refused:
        build_hit(spec, "command", client_id=CID, command="acme x", values={"plan": "gold"})
    assert refused.value.hint == "declare the value in the field's `allowed`"
    assert refused.value.field == "plan"
    ok = build_hit(spec, "command", client_id=CID, command="acme x", values={"plan": "pro"})
    assert ok.as_dict()["plan"] == "pro"
