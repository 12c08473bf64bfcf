"""Terminal output: results on stdout, messages on stderr, colour only where wanted.

Colour follows NO_COLOR and is dropped when the stream is not a terminal; a
closed stdout pipe never turns into a traceback.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import ParamSpec, TypeVar

import typer

from consent.errors import ConsentError

P = ParamSpec("P")
R = TypeVar("R")


def _colour() -> bool | None:
    # None lets click decide (colour only on a terminal); NO_COLOR forbids it outright.
    return False if os.environ.get("NO_COLOR") else None


def result(text: str) -> None:
    """A command's result, for people or pipes: stdout."""
    typer.echo(text)


def printable(text: object) -> str:
    """`text` with every control character (C0, DEL, C1, and the bidi overrides) escaped, so
    that bytes from a file can never move the cursor, recolour or retitle a terminal."""
    out = []
    for ch in str(text):
        code = ord(ch)
        if (
            code < 0x20
            or 0x7F <= code < 0xA0
            or 0x202A <= code <= 0x202E
            or 0x2066 <= code <= 0x2069
        ):
            out.append(f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")
        else:
            out.append(ch)
    return "".join(out)


def note(text: str, *, fg: str | None = None) -> None:
    """A message about what happened: stderr."""
    typer.secho(text, err=True, fg=fg, color=_colour())


def warn(text: str) -> None:
    note(f"warning: {text}", fg="yellow")


def fail(text: str, code: int = 1) -> typer.Exit:
    note(f"error: {text}", fg="red")
    return typer.Exit(code)


def guarded(func: Callable[P, R]) -> Callable[P, R]:
    """Turn toolkit and OS errors in a user-invoked command into a message and exit 1."""

    @wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except ConsentError as exc:
            raise fail(str(exc)) from None
        except BrokenPipeError:
            # Exit 1 quietly, as click does for the host's own commands (and Python's docs advise).
            _quiet_broken_pipe()
            raise typer.Exit(1) from None
        except OSError as exc:
            raise fail(
                f"{exc.strerror or exc} ({getattr(exc, 'filename', '') or 'no file'})"
            ) from None

    return wrapper


def _quiet_broken_pipe() -> None:
    # Point stdout at devnull so the interpreter's final flush cannot raise again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
