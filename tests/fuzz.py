"""The fuzz harness every reader of outside input is held to (issue 24; docs/security.md,
"Readers of outside input", lists the readers and each one's bound).

A reader's property is one function of the generated input; `run` checks it with hypothesis, a
few examples in the normal run and many more in the `slow` one (`EXAMPLES`; set
CONSENT_FUZZ_EXAMPLES for a longer run). The inputs are of three kinds, mixed by `hostile`:
random bytes or text, structured-hostile text (the shapes that once broke a parser: deep
nesting, long dotted keys, escape sequences, numbers too long to convert, strings never
closed), and size extremes (just under, at and over each cap). Every property asserts three
things: no exception escapes but the reader's documented ones, the work done stays within the
reader's bound (counted: bytes read, parser calls, key parts a parser saw, nesting it entered;
never a bare wall-clock limit), and the documented outcome (refused, warned, fail closed).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

# (examples in the normal run, in the slow one): each reader's property is cheap, so the normal
# run keeps the suite's time; the slow one tries many more inputs.
FEW = 25
MANY = int(os.environ.get("CONSENT_FUZZ_EXAMPLES", "100"))
EXAMPLES = [
    pytest.param(FEW, id="few"),
    pytest.param(MANY, id="many", marks=pytest.mark.slow),
]


def run(
    prop: Callable[..., None],
    *strategies: st.SearchStrategy[Any],
    examples: int,
    always: tuple[tuple[Any, ...], ...] = (),
) -> None:
    """Check `prop` on the inputs in `always` (the shapes a reader once failed on: every run
    tries them), then on `examples` inputs drawn from `strategies` (no example database: a run
    is a run, reproducible from hypothesis' own output)."""
    for args in always:
        prop(*args)
    check = settings(
        max_examples=examples,
        deadline=None,
        database=None,
        suppress_health_check=[
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.function_scoped_fixture,
        ],
    )(given(*strategies)(prop))
    check()


# --- inputs -------------------------------------------------------------------------------------

ESCAPES = ["\x1b[31m", "\x1b]0;owned\x07", "\x9b2J", "\u202e", "\x00", "\r", "\x7f", "\udcff"]


def nested(depth: int, kind: str = "[") -> str:
    """JSON nested `depth` levels deep: arrays, or objects."""
    if kind == "{":
        return '{"a": ' * depth + "1" + "}" * depth
    return "[" * depth + "1" + "]" * depth


def hostile_json() -> st.SearchStrategy[bytes]:
    """JSON-ish bytes: deep arrays and objects, unbalanced, brackets in strings, escapes, and
    random bytes."""
    depth = st.integers(0, 3000)
    return st.one_of(
        st.binary(max_size=300),
        st.builds(lambda d: nested(d).encode(), depth),
        st.builds(lambda d: nested(d, "{").encode(), depth),
        st.builds(lambda d: ("[" * d).encode(), depth),  # never closed
        st.builds(lambda d: ("[" * d + "}" * d).encode(), depth),  # closed wrongly
        st.builds(lambda d: ('["' + "[" * d + '"]').encode(), depth),  # brackets in a string
        st.builds(lambda d: ('["\\"' + "[" * d + '"]').encode(), depth),  # an escaped quote
        st.builds(
            lambda e: f'{{"message": "{e}"}}'.encode("utf-8", "surrogatepass"),
            st.sampled_from(ESCAPES),
        ),
        st.recursive(
            st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=8)),
            lambda inner: st.one_of(
                st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=4), inner, max_size=3)
            ),
            max_leaves=12,
        ).map(lambda v: json.dumps(v).encode()),
    )


def depth_of(data: bytes | str) -> int:
    """The deepest nesting of arrays and objects outside strings: the test's own oracle (a
    plain scan, independent of consent/_core/jsonline.py)."""
    text = data.decode("latin-1") if isinstance(data, bytes) else data
    depth = deepest = 0
    in_string = escaped = False
    for ch in text:
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(depth - 1, 0)
    return deepest


@contextmanager
def json_parser_calls() -> Iterator[list[int]]:
    """Every text the json package parses meanwhile, as its nesting depth (`depth_of`): a reader
    bounded in depth never hands the parser anything deeper than its bound."""
    seen: list[int] = []
    real = json.loads

    def counting(text: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(depth_of(text))
        return real(text, *args, **kwargs)

    json.loads = counting  # type: ignore[assignment]
    try:
        yield seen
    finally:
        json.loads = real


def terminal_safe(text: str) -> bool:
    """No control character (but newline) and no bidi override or lone surrogate: nothing that
    could move a cursor, recolour, retitle or fail to encode."""
    return not any(
        (ord(c) < 0x20 and c != "\n")
        or 0x7F <= ord(c) < 0xA0
        or 0x202A <= ord(c) <= 0x202E
        or 0x2066 <= ord(c) <= 0x2069
        or 0xD800 <= ord(c) < 0xE000
        for c in text
    )


def command(name: str, **values: Any) -> tuple[int, str, str]:
    """Run one `telemetry` command of lumogon in-process, as no terminal sees it (the output is
    kept, not written): exit status, stdout, stderr."""
    from consent._cli.commands import execute
    from consent._cli.table import COMMANDS
    from lumogon import SPEC

    (cmd,) = [c for c in COMMANDS if c.name == name]
    given = {p.name: values.get(p.name, [] if p.kind == "words" else p.default) for p in cmd.params}
    done = execute(SPEC, cmd, given, flag=False, tree=lumogon_tree, live=False)
    return done.code, done.out.text("out"), done.out.text("err")


def lumogon_tree() -> Any:
    """lumogon's command tree, as its typer adapter hands it to show-payload."""
    from consent._notice.preview import Node

    telemetry = Node({name: Node(None) for name in ("status", "enable", "disable")}, False)
    return Node({"version": Node(None), "scan": Node(None), "report": Node(None),
                 "telemetry": telemetry})  # fmt: skip


def environ_can_hold(value: str) -> bool:
    """Could a process be given this value in a variable? No NUL; a surrogate only as the
    stand-in for a byte that is not UTF-8 (os.environ's surrogateescape)."""
    try:
        value.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return False
    return "\x00" not in value
