"""JSON text for the sending path's own small records, without importing the json package.

`import json` costs a sending host ~6 ms (its decoder compiles regexes, pulling in re and
enum). Writing a log line or a job needs only an encoder for dicts, lists, strings,
numbers, booleans and None; the string escaping is CPython's own C function.
tests/core/test_jsonline.py holds the output to json.dumps(obj, sort_keys=True).
"""

from __future__ import annotations

import math

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

try:
    from _json import encode_basestring_ascii as _quote
except ImportError:  # another Python implementation: the json package has a pure one
    from json.encoder import py_encode_basestring_ascii as _quote

quote: Callable[[str], str] = _quote


def dumps(obj: object) -> str:
    """Like json.dumps(obj, sort_keys=True) (ASCII output, default separators)."""
    if isinstance(obj, str):
        return quote(obj)
    if obj is None:
        return "null"
    if obj is True:
        return "true"
    if obj is False:
        return "false"
    if isinstance(obj, int):
        return int.__repr__(obj)
    if isinstance(obj, float):
        if math.isfinite(obj):
            return float.__repr__(obj)
        raise ValueError("the sending path writes finite numbers only")
    if isinstance(obj, dict):
        items = sorted(obj.items())
        return "{" + ", ".join(f"{quote(str(k))}: {dumps(v)}" for k, v in items) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ", ".join(dumps(v) for v in obj) + "]"
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


# Nesting of arrays and objects in the JSON the toolkit reads back (a receipt, a log line, the
# sender's job): far beyond any record it writes (four levels), far below the depth at which the
# json package gives up with a RecursionError (a traceback) on a line someone else put there.
MAX_DEPTH = 16
# Every byte but the four brackets: deleted in one C pass (bytes.translate).
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))


def loads(data: bytes | str, *, max_depth: int = MAX_DEPTH) -> object:
    """`json.loads(data)` for JSON the toolkit reads back from a file or a pipe: raises
    ValueError for what is not JSON, and for JSON nested deeper than `max_depth`, which is
    refused before the parser sees it (`nesting_exceeds`)."""
    if nesting_exceeds(data, max_depth):
        raise ValueError(f"JSON nested deeper than {max_depth} levels (or unbalanced)")
    import json

    return json.loads(data)


def nesting_exceeds(data: bytes | str, max_depth: int) -> bool:
    """Does JSON text nest arrays and objects deeper than `max_depth`, or leave one unclosed?

    In C, and in at most `max_depth` + 2 linear passes: the brackets outside strings are kept
    (quotes pair left to right as the parser pairs them, so where the text is JSON these are the
    parser's brackets, and where it is not the parser fails no deeper than the text before),
    each one as `[` or `]`, and each pass drops the innermost pairs."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= max_depth:
        return False
    import re

    outside = re.sub(rb'"[^"\\]*(?:\\.[^"\\]*)*"', b"", raw, flags=re.DOTALL)
    residue = outside.translate(None, _NOT_BRACKETS).replace(b"{", b"[").replace(b"}", b"]")
    for _ in range(max_depth):
        shorter = residue.replace(b"[]", b"")
        if len(shorter) == len(residue):
            break  # nothing left, or unbalanced: refused alike
        residue = shorter
    return bool(residue)
