"""Terminal output of the `telemetry` commands, the same bytes whatever framework runs them.

Results go to stdout, messages to stderr, in the order written, every text escaped
(`terminal_text`: no control character reaches a terminal). Colour follows NO_COLOR and is used
only on a terminal (as click does for its own output); a closed stdout pipe, or a stream the
process started without (`cmd >&-`), never turns into a traceback. No framework is imported
here: typer, click and argparse programs print through the same functions.
"""

from __future__ import annotations

import os
import sys

_COLOURS = {"red": 31, "yellow": 33}


# Every control character (C0, DEL, C1) and the bidi overrides, each with its escape: bytes from a
# file, a variable or a peer can never move the cursor, recolour or retitle a terminal. Lone
# surrogates too (the bytes of a path or variable that are not UTF-8): no stream can encode them.
_ESCAPES = {
    code: f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
    for code in (
        *range(0x20),
        *range(0x7F, 0xA0),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
        *range(0xD800, 0xE000),
    )
}
# The same, but a newline stays one: for a command's text, which may hold several lines.
_LINES = {code: escape for code, escape in _ESCAPES.items() if code != 0x0A}


def printable(text: object) -> str:
    """`text` with every control character (C0, DEL, C1, the bidi overrides) and every lone
    surrogate escaped, so that bytes from a file can never move the cursor, recolour or retitle a
    terminal, nor fail to encode."""
    return str(text).translate(_ESCAPES)


def terminal_text(text: str) -> str:
    """`printable`, line by line: every text a command writes goes through this on its way out
    (Output.result, Output.note), whatever it holds and wherever that came from."""
    return text.translate(_LINES)


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
        """A command's result, for people or pipes: stdout (escaped: `terminal_text`)."""
        self._write("out", terminal_text(text) + "\n")

    def raw(self, data: bytes) -> None:
        """Exact bytes on stdout (show-payload's requests)."""
        self._write("out", data)

    def note(self, text: str, *, fg: str | None = None) -> None:
        """A message about what happened: stderr (escaped: `terminal_text`; then coloured)."""
        text = terminal_text(text)
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
        if target is None:
            return  # started with the stream closed (`cmd >&-`): nothing can be written there
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
    except (OSError, ValueError, AttributeError):
        pass
