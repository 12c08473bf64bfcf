"""Reading TOML without the cost of tomlkit: stdlib tomllib where it exists.

The decision reads config and policy on every host command, so it must be
cheap; tomlkit (for writing, keeping comments) is imported only to write.
"""

from __future__ import annotations

import os
import stat
import sys

from consent.core.records import FileState
from consent.core.value import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    # Why a file could not be read: callers branch on this, never on the wording.
    Reason = Literal[
        "", "unreadable", "directory", "special", "too_large", "not_utf8", "invalid", "too_deep"
    ]
else:
    Reason = str  # typing is not imported at run time (see consent/core/value.py)

# Bigger than any config a person keeps; protects the host from a runaway file.
MAX_BYTES = 4 * 1024 * 1024


class TomlReading(Record):
    """One TOML file, read: its state, the document when `ok`, and why not otherwise."""

    path: str
    state: FileState  # "missing", "ok" or "error"
    doc: dict[str, object]
    reason: Reason = ""
    problem: str = ""  # for people: completes "<path> ...", e.g. "is a directory, not a file"


class TomlError(ValueError):
    """TOML bytes that cannot be parsed; `reason` says which way."""

    def __init__(self, reason: Reason, text: str) -> None:
        super().__init__(text)
        self.reason = reason


def parse_toml(data: bytes) -> dict[str, Any]:
    """Parse TOML bytes; raises TomlError with a short reason."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise TomlError("not_utf8", f"not UTF-8 text (byte {exc.start})") from None
    from consent.store.tomlfast import parse_simple

    simple = parse_simple(text)
    if simple is not None:
        return simple
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise TomlError("invalid", f"not valid TOML ({exc})") from None
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        parsed: dict[str, Any] = tomlkit.parse(text).unwrap()
    except TOMLKitError as exc:
        raise TomlError("invalid", f"not valid TOML ({exc})") from None
    return parsed


def read_toml(path: str | os.PathLike[str]) -> TomlReading:
    """Read a TOML file. Never raises, never writes, never opens anything but a regular file."""
    name = os.fspath(path)

    def error(reason: Reason, problem: str) -> TomlReading:
        return TomlReading(name, "error", {}, reason, problem)

    try:
        st = os.stat(path)
    except FileNotFoundError:
        return TomlReading(name, "missing", {})
    except OSError as exc:
        return error("unreadable", f"cannot be read ({exc.strerror or exc})")
    if stat.S_ISDIR(st.st_mode):
        return error("directory", "is a directory, not a file")
    if not stat.S_ISREG(st.st_mode):
        # A FIFO or device would block or stream forever; never open one.
        return error("special", "is not a regular file")
    too_large = f"is larger than {MAX_BYTES // (1024 * 1024)} MiB"
    if st.st_size > MAX_BYTES:
        return error("too_large", too_large)
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return TomlReading(name, "missing", {})
    except OSError as exc:
        return error("unreadable", f"cannot be read ({exc.strerror or exc})")
    if len(data) > MAX_BYTES:
        return error("too_large", too_large)
    try:
        return TomlReading(name, "ok", parse_toml(data))
    except TomlError as exc:
        return error(exc.reason, f"is {exc}")
    except RecursionError:
        return error("too_deep", "is nested too deeply to read")
