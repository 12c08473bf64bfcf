"""Every protocol limit of a hit, at the limit and one past it (issue 12, class 11): a byte that
would leave beyond what the protocol takes is refused with the whole event."""

from __future__ import annotations

import pytest

from consent.core.spec import AppSpec, Destination, Event, Field
from consent.errors import HitError
from consent.wire.hits import CLIENT_ID_PLACEHOLDER, build_hit

CID = "35009a79-1a05-49d7-b876-2b884d0f825b"


def legacy(*runtime: str) -> AppSpec:
    fields = [
        Field("v", "Version.", "1", "constant", "1"),
        Field("cid", "Id.", "x", "client_id"),
        Field("t", "Type.", "event", "hit_type"),
        *(Field(w, f"{w}.", "x", "runtime") for w in runtime),
    ]
    return AppSpec(
        name="lim", display_name="Lim", version="1", env_prefix="LIM", mode="opt-in",
        destination=Destination("legacy", "UA-1-1"), fields=tuple(fields),
        common=("v", "cid", "t"), events=(Event("e", "An event.", "event", tuple(runtime)),),
        purpose="Test limits.", access="Nobody.",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("wire", "limit"),
    [("an", 100), ("av", 100), ("ec", 150), ("ea", 500), ("el", 500), ("cd", 2048),
     ("cd7", 150), ("cd12", 150)],
)  # fmt: skip
def test_legacy_limits_in_bytes(wire: str, limit: int) -> None:
    spec = legacy(wire)
    ok = build_hit(spec, "e", client_id=CID, values={wire: "é" * (limit // 2)})
    assert dict(ok.pairs)[wire] == "é" * (limit // 2)
    assert build_hit(spec, "e", client_id=CID, values={wire: "x" * limit})
    with pytest.raises(HitError, match=f"{limit} bytes") as caught:
        build_hit(spec, "e", client_id=CID, values={wire: "x" * (limit + 1)})
    assert caught.value.field == wire
    with pytest.raises(HitError):
        build_hit(spec, "e", client_id=CID, values={wire: "é" * (limit // 2) + "x"})


@pytest.mark.parametrize("wire", ["cdx", "cd", "ev"])
def test_names_that_only_look_like_dimensions(wire: str) -> None:
    spec = legacy(wire)
    if wire == "cd":
        return  # `cd` has its own limit above
    assert build_hit(spec, "e", client_id=CID, values={wire: "x" * 3000})


def test_runtime_only_and_declared_only() -> None:
    spec = legacy("ec")
    with pytest.raises(HitError, match="'v', 'zz'") as caught:
        build_hit(spec, "e", client_id=CID, values={"zz": "1", "v": "2", "ec": "3"})
    assert caught.value.field == "v"
    with pytest.raises(HitError, match="needs a value for 'ec'"):
        build_hit(spec, "e", client_id=CID)
    hit = build_hit(spec, "e", client_id=CID, values={"ec": "go"})
    assert hit.pairs == (("v", "1"), ("cid", CID), ("t", "event"), ("ec", "go"))
    assert hit.event == "e" and hit.as_dict()["cid"] == CID


def test_the_placeholder_is_what_show_payload_prints() -> None:
    assert CLIENT_ID_PLACEHOLDER == "<anonymous-id: created when the first hit is sent>"
