"""Reading TOML without the cost of tomlkit: stdlib tomllib where it exists.

The decision reads config and policy on every host command, so it must be
cheap; tomlkit (for writing, keeping comments) is imported only to write.
"""

from __future__ import annotations

import os
import sys

from consent._core.records import FileState
from consent._core.value import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterator
    from re import Match, Pattern
    from typing import Any, Literal

    # Why a file could not be read: callers branch on this, never on the wording.
    Reason = Literal[
        "",
        "unreadable",
        "directory",
        "special",
        "too_large",
        "too_complex",
        "not_utf8",
        "invalid",
        "too_deep",
    ]
else:
    Reason = str  # typing is not imported at run time (see consent/_core/value.py)

# Caps checked before any parser sees the text (docs/configuration.md, "Limits"). A file beyond
# one of them fails closed with its reason. Each is far beyond any config a person keeps; under
# them every parser's cost is linear in the size (docs/benchmarks.md, "Growth"). Without the key
# caps, tomllib's cost grows with the square of a dotted key's parts: 40 KB took seconds.
MAX_BYTES = 1024 * 1024  # the whole file
MAX_KEYS = 4096  # `=` signs: every key/value pair, inline tables included (strings count too)
MAX_TABLES = 512  # table and array-of-tables headers
MAX_ITEMS = 16384  # `,` signs: array items and inline-table pairs (strings count too)
MAX_KEY_LENGTH = 256  # characters of one key or table header, dots and quotes included
MAX_KEY_PARTS = 16  # parts of one dotted key or header (`a.b.c` has 3)
MAX_DEPTH = 16  # nesting of arrays and inline tables
BOM = "\ufeff"


class TomlReading(Record):
    """One TOML file, read: its state, the document when `ok`, and why not otherwise."""

    path: str
    state: FileState  # "missing", "ok" or "error"
    doc: dict[str, object]
    reason: Reason = ""
    problem: str = ""  # for people: completes "<path> ...", e.g. "is a directory, not a file"
    target: str = ""  # a system policy reached through a link: the file read (see `read_policy`)


class _Brackets:
    """The bracket finder, compiled on first use (re costs an import the fast path avoids)."""

    def findall(self, text: str) -> list[str]:
        import re

        found: list[str] = re.findall(r"[\[\]{}]", text)
        return found


_BRACKETS = _Brackets()


class _Tokens:
    """What finding keys needs to tell apart: strings (whose dots and `=` belong to no key),
    comments, runs of key characters, `=`, and runs of anything else. Compiled on first use."""

    pattern: Pattern[str] | None = None

    def finditer(self, text: str) -> Iterator[Match[str]]:
        if self.pattern is None:
            import re

            self.pattern = re.compile(
                r'"""[^"\\]*(?:(?:\\[\s\S]|"(?!""))[^"\\]*)*""""{0,2}'  # multi-line basic
                r"|'''[\s\S]*?''''{0,2}"  # multi-line literal
                r'|"(?:[^"\\\n]|\\.)*"'  # basic string
                r"|'[^'\n]*'"  # literal string
                r"|#[^\n]*"  # comment
                r"|[A-Za-z0-9_\-. \t]+"  # bare key characters, dots and blanks
                r"|="
                r"|[^\"'#=A-Za-z0-9_\-. \t]+"  # anything else: it ends a key
                r"|[\s\S]"  # a quote that opens no string (invalid: the parser says so)
            )
        return self.pattern.finditer(text)


_TOKENS = _Tokens()


class TomlError(ValueError):
    """TOML bytes that cannot be parsed; `reason` says which way."""

    def __init__(self, reason: Reason, text: str) -> None:
        super().__init__(text)
        self.reason = reason


def check_limits(text: str) -> None:
    """Raise TomlError("too_complex") when `text` is beyond a cap; linear, and cheap.

    Conservative: it looks at lines, not tokens, so a string that looks like a key counts as one.
    Keys that do not start a line (in inline tables, at any depth) are checked by `_check_keys`.
    """
    if len(text) > MAX_BYTES:
        raise TomlError("too_large", f"larger than {MAX_BYTES // (1024 * 1024)} MiB")
    if text.count("=") > MAX_KEYS:
        raise TomlError("too_complex", f"too complex to read safely (more than {MAX_KEYS} keys)")
    if text.count(",") > MAX_ITEMS:
        raise TomlError(
            "too_complex",
            f"too complex to read safely (more than {MAX_ITEMS} array or table items)",
        )
    tables = 0
    for raw in text.splitlines():
        line = raw.lstrip(" \t")
        if not line or line[0] == "#":
            continue
        if line[0] == "[":
            key = line.lstrip("[").split("]", 1)[0]
            tables += 1
        elif "=" in line:
            key = line.split("=", 1)[0]
        else:
            continue
        error = _key_error(key.count(".") + 1, len(key))
        if error is not None:
            raise error
    if tables > MAX_TABLES:
        raise TomlError(
            "too_complex", f"too complex to read safely (more than {MAX_TABLES} table headers)"
        )
    if text.count("[") + text.count("{") > MAX_DEPTH:
        depth = 0
        for ch in _BRACKETS.findall(text):
            depth = depth + 1 if ch in "[{" else max(depth - 1, 0)
            if depth > MAX_DEPTH:
                raise TomlError(
                    "too_complex",
                    f"too complex to read safely (arrays or tables nested deeper than {MAX_DEPTH})",
                )
    if "{" in text:
        _check_keys(text)


def _key_error(parts: int, length: int) -> TomlError | None:
    if parts > MAX_KEY_PARTS:
        return TomlError(
            "too_complex",
            f"too complex to read safely (a key of more than {MAX_KEY_PARTS} dotted parts)",
        )
    if length > MAX_KEY_LENGTH:
        return TomlError(
            "too_complex",
            f"too complex to read safely (a key longer than {MAX_KEY_LENGTH} characters)",
        )
    return None


# What a bare key, a dotted key's dots and the blanks around them are made of.
_KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-. \t")


def _check_keys(text: str) -> None:
    """Every key, wherever it stands: what comes before each `=` outside strings and comments,
    back to the nearest character that no key holds (key characters, dots, blanks and quoted
    strings make up a key). A key starts a line except inside an inline table, at any depth
    (`x = {a.b.c = 1}`), where the line check above cannot see it, yet tomllib's cost grows with
    the square of its parts as anywhere. One pass, linear; raises at the first key beyond a cap.
    """
    parts, start = 1, -1
    for token in _TOKENS.finditer(text):
        piece = token.group()
        first = piece[0]
        if first == "=":
            if start >= 0:
                error = _key_error(parts, len(text[start : token.start()].lstrip(" \t")))
                if error is not None:
                    raise error
            parts, start = 1, -1
        elif first in _KEY_CHARS:
            start = token.start() if start < 0 else start
            parts += piece.count(".")
        elif first in "\"'" and len(piece) > 1 and piece[:3] not in ('"""', "'''"):
            start = token.start() if start < 0 else start  # a quoted key, or a quoted part
        else:
            parts, start = 1, -1  # anything else: a key starts after it


def decode(data: bytes) -> str:
    """The text of TOML bytes, a UTF-8 byte order mark dropped; raises TomlError."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TomlError("not_utf8", f"not UTF-8 text (byte {exc.start})") from None
    return text[1:] if text.startswith(BOM) else text


def parse_toml(data: bytes) -> dict[str, Any]:
    """Parse TOML bytes within the caps; raises TomlError with a short reason."""
    text = decode(data)
    check_limits(text)
    from consent._store.tomlfast import parse_simple

    simple = parse_simple(text)
    if simple is not None:
        return simple
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise TomlError("invalid", f"not valid TOML ({exc})") from None
        except ValueError:
            raise _too_long_a_number() from None
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        parsed: dict[str, Any] = tomlkit.parse(text).unwrap()
    except TOMLKitError as exc:
        raise TomlError("invalid", f"not valid TOML ({exc})") from None
    except ValueError:
        raise _too_long_a_number() from None
    return parsed


def _too_long_a_number() -> TomlError:
    # Python refuses to convert a decimal integer of more than 4300 digits (its cost grows with
    # the square of the digits): valid TOML, yet no config needs such a number.
    return TomlError("too_complex", "too complex to read safely (a number too long to convert)")


def _link_problem(name: str) -> str:
    target = "dangling " if not os.path.exists(name) else ""
    return f"is a {target}symbolic link, not a regular file"


def read_toml(
    path: str | os.PathLike[str], *, follow: bool = True, policy_root: str | None = None
) -> TomlReading:
    """Read a TOML file. Never raises, never writes, never opens anything but a regular file
    (nor blocks on one: see consent/_store/safeopen.py). With `follow=False` a symlink at `path`,
    dangling or not, is an error ("special"), never read through. A system policy
    (`policy_root`: the system root, "" for `/`) is read through a link only when the link
    passes `safeopen.resolve_trusted`; else the error names the component that failed."""
    name = os.fspath(path)
    target = ""

    def error(reason: Reason, problem: str) -> TomlReading:
        return TomlReading(name, "error", {}, reason, problem)

    from consent._store.safeopen import (
        LINK,
        NotRegularFile,
        UntrustedLink,
        read_policy,
        read_regular,
    )

    try:
        if policy_root is None:
            data = read_regular(path, MAX_BYTES, follow=follow)
        else:
            data, target = read_policy(name, MAX_BYTES, policy_root)
    except FileNotFoundError:
        return TomlReading(name, "missing", {})
    except UntrustedLink as exc:
        return error("special", str(exc.strerror))
    except NotRegularFile as exc:
        # A FIFO or device would block or stream forever; it is never read.
        if exc.strerror == "is a directory":
            return error("directory", "is a directory, not a file")
        if exc.strerror == LINK:
            return error("special", _link_problem(name))
        return error("special", "is not a regular file")
    except OSError as exc:
        return error("unreadable", f"cannot be read ({exc.strerror or exc})")
    if len(data) > MAX_BYTES:
        return error("too_large", f"is larger than {MAX_BYTES // (1024 * 1024)} MiB")
    try:
        return TomlReading(name, "ok", parse_toml(data), target=target)
    except TomlError as exc:
        return error(exc.reason, f"is {exc}")
    except RecursionError:
        return error("too_deep", "is nested too deeply to read")
