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


def test_reading_back_is_bounded_in_depth() -> None:
    """Regression (issue 24): a receipts or log line nested 100 000 deep made the json parser
    raise RecursionError (a traceback); `loads` refuses it first, as ValueError."""
    import pytest

    from consent._core.jsonline import MAX_DEPTH, loads, nesting_exceeds

    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) == loads("[" * MAX_DEPTH + "]" * MAX_DEPTH)
    for text in ("[" * 100_000 + "]" * 100_000, "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
                 "[" * 100_000, "[" * 100_000 + "}" * 100_000):  # fmt: skip
        with pytest.raises(ValueError, match="nested deeper"):
            loads(text.encode())
    assert not nesting_exceeds('["' + "[" * 100 + '"]', 2)  # brackets in a string are text
    assert not nesting_exceeds('["\\"' + "[" * 100 + '"]', 2)  # an escaped quote ends nothing
    assert nesting_exceeds('["\\\\"' + "[" * 100 + '"]', 2)  # an escaped backslash does
    assert nesting_exceeds("{[{[]}]}", 3) and not nesting_exceeds("{[{[]}]}", 4)


@given(VALUES)
def test_loads_reads_what_json_reads(value: object) -> None:
    from consent._core.jsonline import loads, nesting_exceeds

    text = json.dumps(value)
    if not nesting_exceeds(text, 16):
        assert loads(text) == json.loads(text)


def test_what_the_writer_refuses_in_words() -> None:
    import pytest

    with pytest.raises(ValueError, match=r"^the sending path writes finite numbers only$"):
        dumps(float("nan"))
    with pytest.raises(TypeError, match=r"^Object of type set is not JSON serializable$"):
        dumps({1})
    with pytest.raises(TypeError, match=r"^Object of type bytes is not JSON serializable$"):
        dumps([b"x"])


def test_the_depth_bound_to_the_level() -> None:
    import pytest

    from consent._core.jsonline import loads, nesting_exceeds

    assert loads("[" * 16 + "]" * 16) == loads("[" * 16 + "]" * 16)  # 16 levels: read
    with pytest.raises(ValueError) as caught:
        loads("[" * 17 + "]" * 17)
    assert str(caught.value) == "JSON nested deeper than 16 levels (or unbalanced)"
    # A string's escaped line end is still inside the string (DOTALL): its brackets are text.
    assert not nesting_exceeds(b'["a\\\n' + b"[" * 20 + b'"]', 2)
    # Text that is no UTF-8 (a lone surrogate) is counted too, never an encoding error.
    assert nesting_exceeds("\ud800" + "[" * 20, 2)


COMPACT_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.text()
)  # NaN and the infinities too: json.dumps writes them as NaN, Infinity and -Infinity
COMPACT_KEYS = st.one_of(st.text(max_size=8), st.integers(), st.booleans(), st.none(), st.floats())
COMPACT_VALUES = st.recursive(
    COMPACT_SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(COMPACT_KEYS, inner, max_size=4),
    ),
    max_leaves=20,
)


@given(COMPACT_VALUES)
def test_compact_matches_the_json_that_http_bodies_used(value: object) -> None:
    """consent/_wire/http.py's GA4 and OTLP bodies: json.dumps with compact separators, the
    keys in their own order and text as UTF-8, byte for byte (`import json` would cost a
    sending host about 32 M instructions, more than a third of all it does)."""
    from consent._core.jsonline import compact

    assert compact(value) == json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def test_compact_refuses_what_json_refuses() -> None:
    import pytest

    from consent._core.jsonline import compact

    for bad in ({(1, 2): 1}, {"set": {1}}, object(), b"bytes"):
        with pytest.raises(TypeError):
            json.dumps(bad, separators=(",", ":"), ensure_ascii=False)
        with pytest.raises(TypeError):
            compact(bad)


def test_compact_writes_and_refuses_as_json_does_at_every_edge() -> None:
    """The cases a random draw may miss, each against json.dumps itself: the infinities and NaN
    as values and as keys, floats on either side of zero, every scalar key, and the words of
    each refusal."""
    import pytest

    from consent._core.jsonline import compact

    def as_json(value: object) -> str:
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)

    specials = [float("inf"), float("-inf"), float("nan"), 0.0, -0.0, 1.5, -1.5, 1e-300]
    for value in [*specials, specials, {k: 1 for k in specials}]:
        assert compact(value) == as_json(value), value
    keys = {"a": 1, 2: 2, -3: 3, True: 4, False: 5, None: 6, 0.5: 7}
    assert compact(keys) == as_json(keys)
    for bad in ({(1, 2): 1}, {object(): 1}, {"set": {1}}, object(), b"bytes"):
        with pytest.raises(TypeError) as expected:
            as_json(bad)
        with pytest.raises(TypeError) as got:
            compact(bad)
        assert str(got.value) == str(expected.value), bad
