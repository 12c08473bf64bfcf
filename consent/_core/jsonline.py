"""JSON text for the sending path's own small records, without importing the json package.

`import json` costs a sending host ~6 ms (its decoder compiles regexes, pulling in re and
enum). Writing a log line or a job needs only an encoder for dicts, lists, strings,
numbers, booleans and None; the string escaping is CPython's own C function.
tests/core/test_jsonline.py holds the output to json.dumps(obj, sort_keys=True).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

try:
    from _json import encode_basestring as _quote_text
    from _json import encode_basestring_ascii as _quote
except ImportError:  # another Python implementation: the json package has pure ones
    from json.encoder import py_encode_basestring as _quote_text
    from json.encoder import py_encode_basestring_ascii as _quote

quote: Callable[[str], str] = _quote
quote_text: Callable[[str], str] = _quote_text


def _constant(obj: object) -> str | None:
    """null, true, false or an integer as JSON writes them (both writers below); None else."""
    if obj is None:
        return "null"
    if obj is True:
        return "true"
    if obj is False:
        return "false"
    if isinstance(obj, int):
        return int.__repr__(obj)
    return None


def dumps(obj: object) -> str:
    """Like json.dumps(obj, sort_keys=True) (ASCII output, default separators)."""
    if isinstance(obj, str):
        return quote(obj)
    if (word := _constant(obj)) is not None:
        return word
    if isinstance(obj, float):
        # Finite: x - x is 0.0, where an infinity or NaN gives NaN (math.isfinite's import
        # would cost a sending host about 0.8 M instructions).
        if obj - obj == 0.0:
            return float.__repr__(obj)
        raise ValueError("the sending path writes finite numbers only")
    if isinstance(obj, dict):
        items = sorted(obj.items())
        return "{" + ", ".join(f"{quote(str(k))}: {dumps(v)}" for k, v in items) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ", ".join(dumps(v) for v in obj) + "]"
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def compact(obj: object) -> str:
    """Like json.dumps(obj, separators=(",", ":"), ensure_ascii=False): the JSON body of a GA4
    or OTLP request (consent/_wire/http.py), keys in their own order, text as it is. `import
    json` costs a sending host about 32 M instructions (its decoder compiles regexes, pulling
    in re and enum), a third of a one-hit script's whole run (docs/benchmarks.md).
    tests/core/test_jsonline.py holds the output to json.dumps, NaN and infinities included."""
    if isinstance(obj, str):
        return quote_text(obj)
    if (word := _constant(obj)) is not None:
        return word
    if isinstance(obj, float):
        return _number(obj)
    if isinstance(obj, dict):
        return "{" + ",".join(f"{quote_text(_key(k))}:{compact(v)}" for k, v in obj.items()) + "}"
    if isinstance(obj, (list, tuple)):
        return "[" + ",".join(compact(v) for v in obj) + "]"
    raise TypeError(f"Object of type {type(obj).__name__} is not JSON serializable")


def _number(value: float) -> str:
    """A float as json writes it (allow_nan, its default)."""
    if value - value == 0.0:  # finite (see dumps)
        return float.__repr__(value)
    if value > 0:
        return "Infinity"
    return "-Infinity" if value < 0 else "NaN"


def _key(key: object) -> str:
    """An object's key as json writes it: text as it is, other scalars as their JSON text."""
    if isinstance(key, str):
        return key
    if isinstance(key, float):
        return _number(key)
    if key is True:
        return "true"
    if key is False:
        return "false"
    if key is None:
        return "null"
    if isinstance(key, int):
        return int.__repr__(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


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
