"""Hits are built only from the registry: undeclared keys, unknown events and values over the
protocol's limits are refused before anything is encoded."""

from __future__ import annotations

import pytest

from consent.errors import HitError
from consent.wire.hits import build_hit
from lumogon import SPEC
from tests.helpers import CID, opt_in_spec


def test_legacy_upload_event_fields() -> None:
    hit = build_hit(SPEC, "upload", client_id=CID, values={"el": "failed", "ev": 12})
    assert [w for w, _ in hit.pairs] == ["v", "tid", "cid", "an", "av", "t", "ec", "ea", "el", "ev"]
    assert hit.as_dict()["t"] == "event"
    assert hit.as_dict()["ec"] == "UX" and hit.as_dict()["ea"] == "upload"
    assert hit.as_dict()["el"] == "failed" and hit.as_dict()["ev"] == "12"


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
