"""Terminal output of the `telemetry` commands, the same bytes whatever framework runs them.

Results go to stdout, messages to stderr, in the order written. Colour follows NO_COLOR and
is used only on a terminal (as click does for its own output); a closed stdout pipe never
turns into a traceback. No framework is imported here: typer, click and argparse programs
print through the same functions.
"""

from __future__ import annotations

import os
import sys

_COLOURS = {"red": 31, "yellow": 33}


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


def _coloured(stream: object) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    try:
        return bool(stream.isatty())  # type: ignore[attr-defined]
    except (AttributeError, ValueError, OSError):
        return False


class Output:
    """Where a command writes. `live`: each piece goes out as it is written (so nothing is lost
    if the process ends midway, as `disable` quoting the id before deleting it needs); every
    piece is also kept, in order, as `(stream, text or bytes)` with stream "out" or "err"."""

    def __init__(self, *, live: bool = True) -> None:
        self.live = live
        self.pieces: list[tuple[str, str | bytes]] = []

    def result(self, text: str) -> None:
        """A command's result, for people or pipes: stdout."""
        self._write("out", text + "\n")

    def raw(self, data: bytes) -> None:
        """Exact bytes on stdout (show-payload's requests)."""
        self._write("out", data)

    def note(self, text: str, *, fg: str | None = None) -> None:
        """A message about what happened: stderr."""
        if fg is not None and self.live and _coloured(sys.stderr):
            text = f"\x1b[{_COLOURS[fg]}m{text}\x1b[0m"
        self._write("err", text + "\n")

    def warn(self, text: str) -> None:
        self.note(f"warning: {text}", fg="yellow")

    def error(self, text: str) -> None:
        self.note(f"error: {text}", fg="red")

    def stdout_is_tty(self) -> bool:
        try:
            return self.live and sys.stdout.isatty()
        except (AttributeError, ValueError, OSError):
            return False

    def text(self, stream: str) -> str:
        """What was written to one stream ("out" or "err"), as text."""
        return "".join(
            p.decode("utf-8") if isinstance(p, bytes) else p for s, p in self.pieces if s == stream
        )

    def _write(self, stream: str, piece: str | bytes) -> None:
        self.pieces.append((stream, piece))
        if not self.live:
            return
        target = sys.stdout if stream == "out" else sys.stderr
        if isinstance(piece, bytes):
            target.flush()
            buffer = getattr(target, "buffer", None)
            if buffer is not None:
                buffer.write(piece)
                buffer.flush()
            else:
                target.write(piece.decode("utf-8"))
        else:
            target.write(piece)
        target.flush()


def quiet_broken_pipe() -> None:
    """Point stdout at devnull so the interpreter's final flush cannot raise again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
