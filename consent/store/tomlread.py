"""Reading TOML without the cost of tomlkit: stdlib tomllib where it exists.

The decision reads config and policy on every host command, so it must be
cheap; tomlkit (for writing, keeping comments) is imported only to write.
"""

from __future__ import annotations

import os
import stat
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    State = Literal["missing", "ok", "error"]

# Bigger than any config a person keeps; protects the host from a runaway file.
MAX_BYTES = 4 * 1024 * 1024


def parse_toml(data: bytes) -> dict[str, Any]:
    """Parse TOML bytes; raises ValueError with a short reason."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 text (byte {exc.start})") from None
    from consent.store.tomlfast import parse_simple

    simple = parse_simple(text)
    if simple is not None:
        return simple
    if sys.version_info >= (3, 11):
        import tomllib

        try:
            return tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ValueError(f"not valid TOML ({exc})") from None
    import tomlkit
    from tomlkit.exceptions import TOMLKitError

    try:
        parsed: dict[str, Any] = tomlkit.parse(text).unwrap()
    except TOMLKitError as exc:
        raise ValueError(f"not valid TOML ({exc})") from None
    return parsed


def read_toml(path: str | os.PathLike[str]) -> tuple[State, dict[str, Any], str]:
    """Read a TOML file: (state, document, error). Never raises, never writes."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return "missing", {}, ""
    except OSError as exc:
        return "error", {}, f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISDIR(st.st_mode):
        return "error", {}, "is a directory, not a file"
    if not stat.S_ISREG(st.st_mode):
        # A FIFO or device would block or stream forever; never open one.
        return "error", {}, "is not a regular file"
    if st.st_size > MAX_BYTES:
        return "error", {}, f"is larger than {MAX_BYTES // (1024 * 1024)} MiB"
    try:
        with open(path, "rb") as fh:
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        return "missing", {}, ""
    except OSError as exc:
        return "error", {}, f"cannot be read ({exc.strerror or exc})"
    if len(data) > MAX_BYTES:
        return "error", {}, f"is larger than {MAX_BYTES // (1024 * 1024)} MiB"
    try:
        return "ok", parse_toml(data), ""
    except ValueError as exc:
        return "error", {}, f"is {exc}" if str(exc).startswith("not") else str(exc)
    except RecursionError:
        return "error", {}, "is nested too deeply to read"


def path_text(path: str | os.PathLike[str]) -> str:
    return os.fspath(path)
