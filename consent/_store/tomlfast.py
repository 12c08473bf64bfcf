"""A reader for the plainest TOML, so that the usual config file costs no tomllib import.

Importing tomllib costs about 4.5 ms (its regexes are compiled at import), which a
host command would pay whenever a config file exists. The files lumogon writes,
and most that people keep, use only bare-key tables and `key = value` lines with
strings, booleans and integers. This reader accepts exactly that subset and
returns None for anything else — then tomllib (or tomlkit) decides. It never
accepts what TOML rejects: tests/store/test_tomlfast.py checks every answer against
tomllib.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any


_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_DIGITS = frozenset("0123456789")
_MAX_DIGITS = 100
# Printable ASCII, tab and newline only: anything else is tomllib's business.
_PLAIN = frozenset(chr(c) for c in range(0x20, 0x7F)) | {"\t", "\n"}


def parse_simple(text: str) -> dict[str, Any] | None:
    """The document, or None when `text` is not in the plain subset (which says nothing of validity)."""
    if not _PLAIN.issuperset(text):
        return None
    root: dict[str, Any] = {}
    current = root
    for raw in text.split("\n"):
        line = raw.strip(" \t")
        if not line or line[0] == "#":
            continue
        if line[0] == "[":
            name, rest = _header(line)
            if name is None or not _blank_or_comment(rest) or name in root:
                return None
            current = root[name] = {}
            continue
        parsed = _key_value(line)
        if parsed is None or parsed[0] in current:
            return None
        current[parsed[0]] = parsed[1]
    return root


def _header(line: str) -> tuple[str | None, str]:
    end = line.find("]")
    if end < 0:
        return None, ""
    name = line[1:end].strip(" \t")  # `[[array]]` gives "[array": not bare, declined
    return (name if _is_bare(name) else None), line[end + 1 :]


def _key_value(line: str) -> tuple[str, Any] | None:
    eq = line.find("=")
    if eq < 0:
        return None
    key = line[:eq].strip(" \t")
    if not _is_bare(key):
        return None
    value = line[eq + 1 :].lstrip(" \t")
    if value[:1] in ('"', "'"):
        quote = value[0]
        end = value.find(quote, 1)
        text = value[1:end]
        # No escapes, and no multi-line strings: those are tomllib's.
        if end < 0 or "\\" in text or value.startswith(quote * 3):
            return None
        return (key, text) if _blank_or_comment(value[end + 1 :]) else None
    word = value.partition("#")[0].rstrip(" \t")
    if not word or " " in word or "\t" in word:
        return None
    if word in ("true", "false"):
        return key, word == "true"
    digits = word[1:] if word[0] in "+-" else word
    # Longer numbers are tomllib's to judge: Python refuses to convert a decimal integer of more
    # digits than its limit (4300 by default, 640 at the least: PYTHONINTMAXSTRDIGITS).
    if (
        0 < len(digits) <= _MAX_DIGITS
        and _DIGITS.issuperset(digits)
        and (digits == "0" or digits[0] != "0")
    ):
        return key, int(word)
    return None


def _is_bare(name: str) -> bool:
    return bool(name) and _BARE.issuperset(name)


def _blank_or_comment(rest: str) -> bool:
    rest = rest.lstrip(" \t")
    return not rest or rest[0] == "#"
