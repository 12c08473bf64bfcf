"""consent/_cli/console.py exactly: what each control character becomes, which stream gets what,
in which order and when it is flushed, when colour is used, and a stream that is closed, not a
terminal or has no byte layer (issue 24: the edges scripts/mutate.py found untested)."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from consent._cli.console import Output, printable, quiet_broken_pipe, terminal_text


@pytest.mark.parametrize(
    ("code", "escape"),
    [
        (0x00, "\\x00"), (0x0A, "\\x0a"), (0x1B, "\\x1b"), (0x1F, "\\x1f"), (0x7F, "\\x7f"),
        (0x80, "\\x80"), (0x9F, "\\x9f"), (0x202A, "\\u202a"), (0x202E, "\\u202e"),
        (0x2066, "\\u2066"), (0x2069, "\\u2069"), (0xD800, "\\ud800"), (0xDFFF, "\\udfff"),
    ],
)  # fmt: skip
def test_each_control_character_bidi_override_and_lone_surrogate_is_escaped(
    code: int, escape: str
) -> None:
    assert printable(f"a{chr(code)}b") == f"a{escape}b"


@pytest.mark.parametrize(
    "code", [0x20, 0x7E, 0xA0, 0xFF, 0x2029, 0x202F, 0x2065, 0x206A, 0xD7FF, 0xE000]
)
def test_the_characters_next_to_each_escaped_range_stay_as_they_are(code: int) -> None:
    assert printable(f"a{chr(code)}b") == f"a{chr(code)}b"


def test_a_command_text_keeps_its_newlines_and_nothing_else() -> None:
    assert terminal_text("a\nb\x0bc\rd\x1be") == "a\nb\\x0bc\\x0dd\\x1be"
    assert printable("a\nb") == "a\\x0ab"
    assert printable(42) == "42"


class Stream:
    """A text stream over bytes, its layers logged: what reached the bytes, and when."""

    def __init__(self, *, tty: bool = False, binary: bool = True, newline: str = "\n") -> None:
        self.bytes = io.BytesIO()
        self.text = io.TextIOWrapper(
            self.bytes, encoding="utf-8", write_through=False, newline=newline
        )
        self.tty = tty
        self.buffer = self.text.buffer if binary else None

    def write(self, text: str) -> int:
        return self.text.write(text)

    def flush(self) -> None:
        self.text.flush()

    def isatty(self) -> bool:
        return self.tty

    def value(self) -> bytes:
        return self.bytes.getvalue()


def streams(monkeypatch: pytest.MonkeyPatch) -> tuple[Stream, Stream]:
    """A plain stdout and a terminal stderr, set in the test itself: pytest sets its own capture
    again between a fixture and the test."""
    out, err = Stream(), Stream(tty=True)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    monkeypatch.delenv("NO_COLOR", raising=False)
    return out, err


def test_results_go_to_stdout_and_notes_to_stderr_each_flushed_at_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out, err = streams(monkeypatch)
    o = Output()
    o.result("one\x1b")
    assert out.value() == b"one\\x1b\n" and err.value() == b""
    o.note("two")
    assert err.value() == b"two\n"  # no colour without `fg`, even on a terminal
    o.raw(b"\x00three\r\n")
    assert out.value() == b"one\\x1b\n\x00three\r\n"
    assert o.pieces == [("out", "one\\x1b\n"), ("err", "two\n"), ("out", b"\x00three\r\n")]
    assert (o.text("out"), o.text("err")) == ("one\\x1b\n\x00three\r\n", "two\n")


def test_raw_bytes_come_after_text_written_before_them(monkeypatch: pytest.MonkeyPatch) -> None:
    out, _ = streams(monkeypatch)
    sys.stdout.write("before ")  # written by someone else, not flushed yet
    Output().raw(b"bytes")
    assert out.value() == b"before bytes"


def test_raw_bytes_pass_a_text_layer_that_would_translate_newlines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = Stream(newline="\r\n")  # as a Windows console's text layer does
    monkeypatch.setattr(sys, "stdout", out)
    Output().raw(b"POST / HTTP/1.1\r\n\r\n")
    assert out.value() == b"POST / HTTP/1.1\r\n\r\n"


def test_raw_bytes_on_a_stream_without_a_byte_layer_are_written_as_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out = Stream(binary=False)
    monkeypatch.setattr(sys, "stdout", out)
    Output().raw("é\r\n".encode())
    assert out.value() == "é\r\n".encode()


def test_warnings_and_errors_are_coloured_on_a_terminal_only(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, err = streams(monkeypatch)
    Output().warn("w")
    Output().error("e")
    assert err.value() == b"\x1b[33mwarning: w\x1b[0m\n\x1b[31merror: e\x1b[0m\n"
    err.tty = False
    Output().error("plain")
    assert err.value().endswith(b"\x1b[0m\nerror: plain\n")


def test_no_color_or_a_stream_that_cannot_say_turns_colour_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, err = streams(monkeypatch)
    monkeypatch.setenv("NO_COLOR", "1")
    Output().warn("a")
    monkeypatch.delenv("NO_COLOR")
    for problem in (ValueError, OSError):

        def isatty(problem: type[Exception] = problem) -> bool:
            raise problem

        monkeypatch.setattr(err, "isatty", isatty)
        Output().warn("b")
    assert err.value() == b"warning: a\nwarning: b\nwarning: b\n"


def test_a_quiet_output_writes_nothing_and_keeps_every_piece_uncoloured(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    out, err = streams(monkeypatch)
    o = Output(live=False)
    o.result("r")
    o.error("e")
    o.raw(b"b")
    assert out.value() == err.value() == b""
    assert o.pieces == [("out", "r\n"), ("err", "error: e\n"), ("out", b"b")]
    out.tty = True
    assert not o.stdout_is_tty()


def test_stdout_is_a_terminal_only_when_it_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    out, _ = streams(monkeypatch)
    assert Output().stdout_is_tty() is False
    out.tty = True
    assert Output().stdout_is_tty() is True
    monkeypatch.setattr(sys, "stdout", None)  # started with stdout closed (`cmd >&-`)
    assert Output().stdout_is_tty() is False


def test_a_stream_the_process_started_without_is_skipped(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sys, "stdout", None)
    monkeypatch.setattr(sys, "stderr", None)
    o = Output()
    o.result("r")
    o.raw(b"b")
    o.error("e")
    assert o.text("out") == "r\nb" and o.text("err") == "error: e\n"


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else -1


def test_after_a_broken_pipe_stdout_leads_to_devnull(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with open(tmp_path / "out", "w", encoding="utf-8") as stdout:
        monkeypatch.setattr(sys, "stdout", stdout)
        before = _open_fds()
        quiet_broken_pipe()
        assert _open_fds() == before  # the devnull descriptor it opened is closed again
        os.write(stdout.fileno(), b"lost")
    assert (tmp_path / "out").read_bytes() == b""
    monkeypatch.setattr(sys, "stdout", None)
    quiet_broken_pipe()  # no stdout at all: nothing to do, and no exception
