"""The plain-TOML reader agrees with tomllib whenever it answers, and answers for our own files."""

from __future__ import annotations

import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent._store.tomlfast import parse_simple

tomllib = (
    pytest.importorskip("tomllib") if sys.version_info >= (3, 11) else pytest.importorskip("tomli")
)

KEYS = st.sampled_from(
    ["enabled", "notice_version", "a", "b-c", "x_1", "telemetry", "", "a.b", '"q"', "é"]
)
VALUES = st.one_of(
    st.sampled_from(
        [
            "true",
            "false",
            "True",
            "0",
            "-0",
            "+7",
            "007",
            "1_000",
            "1.5",
            "1e3",
            "inf",
            '"s"',
            "'lit'",
            '""',
            '"a # b"',
            '"esc\\"q"',
            '"""m"""',
            "'''m'''",
            "[1, 2]",
            "{a = 1}",
            "2026-11-22",
            '"unterminated',
            "",
            "x",
        ]
    ),
    st.text(alphabet="\"'#=[]{} .-_abc019\\\t", max_size=10),
)
COMMENT = st.sampled_from(["", " # note", "# x", " #", "\t# tab"])
LINE = st.one_of(
    st.builds(lambda k, v, c: f"{k} = {v}{c}", KEYS, VALUES, COMMENT),
    st.builds(lambda k, v: f"{k}={v}", KEYS, VALUES),
    st.builds(lambda n, c: f"[{n}]{c}", KEYS, COMMENT),
    st.builds(lambda n: f"[ {n} ]", KEYS),
    st.sampled_from(
        ["", "# comment", "   ", "[[arr]]", "[a.b]", "key", "= 1", "\r", "\x7f", "[telemetry] x"]
    ),
    st.text(max_size=12),
)
DOC = st.lists(LINE, max_size=10).map("\n".join)


@settings(max_examples=600, deadline=None)
@given(DOC)
def test_every_answer_matches_tomllib(text: str) -> None:
    ours = parse_simple(text)
    try:
        theirs = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        assert ours is None, text  # never accept what TOML rejects
        return
    # Declining (None) is the fast path's right on any document; an answer must be TOML's.
    assert ours is None or ours == theirs, text


def test_our_own_files_take_the_fast_path() -> None:
    text = (
        "# My settings\n[other]\ndepth = 3  # how deep\n\n[telemetry]\nenabled = false\n"
        'notice_version = "530b2a3ca2"\ndecided_at = "2026-11-22T19:00:00Z"\n'
        'decided_via = "command: lumogon telemetry disable"\n'
    )
    assert parse_simple(text) == tomllib.loads(text)
    assert parse_simple("[telemetry]\nenabled = false\n[telemetry]\n") is None  # duplicate table
    assert parse_simple("a = 1\na = 2\n") is None  # duplicate key: tomllib reports the error


PLAIN_KEYS = st.text(alphabet="abcxyz_-019", min_size=1, max_size=6)
PLAIN_VALUES = st.one_of(
    st.booleans().map(lambda b: "true" if b else "false"),
    st.integers(-(10**20), 10**20).map(str),
    st.text(alphabet="abc #=[]'{}\t.:-", max_size=12).map(lambda s: '"' + s + '"'),
    st.text(alphabet='abc #="[]\t.:-', max_size=12).map(lambda s: "'" + s + "'"),
)
PLAIN_LINE = st.one_of(
    st.builds(lambda k, v, c: f"{k} = {v}{c}", PLAIN_KEYS, PLAIN_VALUES, COMMENT),
    st.builds(lambda n, c: f"[{n}]{c}", PLAIN_KEYS, COMMENT),
    st.sampled_from(["", "# c", "\t"]),
)


@settings(max_examples=400, deadline=None)
@given(st.lists(PLAIN_LINE, max_size=12).map("\n".join))
def test_plain_documents_agree_with_tomllib(text: str) -> None:
    """Plain documents are the shape of our own files: the fast path answers every valid one."""
    ours = parse_simple(text)
    try:
        theirs = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        theirs = None  # never accept what TOML rejects
    # Exact, both ways: the plain subset is read by the fast path, never passed on to tomllib
    # (a reader that declined everything would fail here, not pass).
    assert ours == theirs, text


# (text, does the fast path answer it?): where it answers, exactly as tomllib; where it declines,
# tomllib decides (valid or not).
EDGES = [
    ("X = 1\n", True),  # capitals are bare-key characters
    ("Telemetry_X = true\n", True),
    ("a = 0\nb = -0\nc = +12\n", True),
    ("a = 0\nb = -0\nc = +0\n", True),
    ("[A-b]\nk = 'v'\n", True),
    ("[X]\nk = 1\n", True),
    ("[ X ]\n", True),
    ("a=1\nb=true\n", True),
    ("a = ''\n", True),
    ('a = ""\n', True),
    ("\ta = 1\t# note\n", True),
    ("a = X\n", False),  # not a value (and not TOML)
    ("a = X1\n", False),
    ("a = 0X1\n", False),
    ("a = 1X\n", False),
    ("a = 007\n", False),  # leading zeros: not TOML
    ("a = -01\n", False),
    ("a = 1 2\n", False),
    ("[a]x\n", False),  # text after a header
    ("[a] X\n", False),
    ("a = 'v' X\n", False),  # text after a value
    ("[abc\n", False),  # a header never closed
    ("[[a]]\nk = 1\n", False),  # an array of tables: tomllib's
    ("# \x7f\n", False),  # DEL in a comment: not TOML
    ('a = "a\\tb"\n', False),  # an escape: tomllib's
    ('a = "x\\"\n', False),  # an escaped quote, then no end
    ('a = """m"""\n', False),  # multi-line strings: tomllib's
    ("true\n", False),  # a value without a key (and not TOML)
    ("12\n", False),
    ("a = " + "9" * 100 + "\n", True),  # up to 100 digits: longer is tomllib's (_MAX_DIGITS)
    ("a = -" + "9" * 100 + "\n", True),
    ("a = " + "9" * 101 + "\n", False),
    ("a = +\n", False),  # a sign without digits (not TOML)
    ("a = -\n", False),
    ('a = "caf\u00e9"\n', False),  # beyond ASCII: tomllib's (_plain)
    ("# caf\u00e9\n", False),
]


@pytest.mark.parametrize(("text", "answers"), EDGES)
def test_edge_lines(text: str, answers: bool) -> None:
    ours = parse_simple(text)
    if answers:
        assert ours == tomllib.loads(text), text
    else:
        assert ours is None, text
