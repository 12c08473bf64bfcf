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
