"""The sending path's JSON writer writes what json.dumps(obj, sort_keys=True) writes."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from consent._core.jsonline import dumps

SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(VALUES)
def test_matches_json_dumps(value: object) -> None:
    assert dumps(value) == json.dumps(value, sort_keys=True)


def test_request_bytes_survive_as_latin1() -> None:
    raw = bytes(range(256))
    assert json.loads(dumps({"raw": raw.decode("latin-1")}))["raw"].encode("latin-1") == raw
