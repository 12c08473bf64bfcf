"""The words of a command line, fuzzed, and what reaches the terminal (issue 24).

`test_fuzz_argv` holds the reader of argv words (show-payload's command words, the purposes of
`enable`/`disable`) to the bound docs/security.md states for it ("Readers of outside input").
The regressions here are the terminal's: every text a command prints is escaped, wherever it
came from, and a command started without a stdout or a stderr (`cmd >&-`) works, quietly.
"""

from __future__ import annotations

import sys
from typing import Any

import pytest
from hypothesis import strategies as st

from consent._cli.commands import execute
from consent._cli.table import COMMANDS
from consent._errors import ConsentError, UsageError
from consent._notice.preview import resolve_words
from consent.testing.home import Home
from lumogon import SPEC
from tests.fuzz import ESCAPES, EXAMPLES, command, lumogon_tree, run, terminal_safe

WORDS = st.lists(
    st.one_of(
        st.sampled_from(["version", "scan", "telemetry", "status", "--json", "-", "", *ESCAPES]),
        st.text(max_size=12),
        st.sampled_from(ESCAPES).map(lambda e: f"x{e}y"),
    ),
    max_size=6,
)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_argv(examples: int, consent_home: Home) -> None:
    """Any words: show-payload resolves them through the command tree to a command's name
    (made of the tree's names only, one step per word at most) or refuses with `error:`,
    escaped; unknown purposes are a usage error naming them escaped."""

    def prop(words: list[str]) -> None:
        try:
            name = resolve_words(lumogon_tree(), SPEC, words)
        except ConsentError:
            name = None
        if name is not None:
            parts = name.split(" ")
            assert parts[0] == SPEC.name and len(parts) <= len(words) + 1
            assert all(p in {"version", "scan", "report", "telemetry", "status", "enable",
                             "disable"} for p in parts[1:])  # fmt: skip
        code, out, err = command("show-payload", words=words)
        assert code in (0, 1) and terminal_safe(out.replace("\r\n", "\n")) and terminal_safe(err)
        if name is None and words and words[0] != SPEC.group:
            assert code == 1 and err.startswith("error: ")
        if words:  # named purposes: none of these words is one of lumogon's
            with pytest.raises(UsageError) as refused:
                command("enable", purposes=words)
            assert terminal_safe(str(refused.value))

    run(prop, WORDS, examples=examples, always=((["\x1b]0;owned\x07"],), (["version", "x"],)))


def test_show_payloads_not_a_command_error_is_escaped(consent_home: Home) -> None:
    """Regression (issue 24): `show-payload $'\\e]0;title\\a'` printed the escape raw."""
    code, out, err = command("show-payload", words=["\x1b]0;owned\x07"])
    assert code == 1 and out == ""
    assert err.startswith("error: 'lumogon \\x1b]0;owned\\x07' is not a command")


def test_status_prints_the_endpoint_variable_escaped(
    consent_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (issue 24): status's `endpoint:` line printed the variable unescaped."""
    monkeypatch.setenv(SPEC.endpoint_env, "https://x\x1b[31m.example")
    code, out, err = command("status")
    assert code == 0 and terminal_safe(out) and terminal_safe(err)
    assert "x\\x1b[31m.example" in out


def run_live(name: str, **values: Any) -> int:
    (cmd,) = [c for c in COMMANDS if c.name == name]
    given = {p.name: values.get(p.name, [] if p.kind == "words" else p.default) for p in cmd.params}
    return execute(SPEC, cmd, given, flag=False, tree=lumogon_tree, live=True).code


@pytest.mark.parametrize("stream", ["stdout", "stderr"])
@pytest.mark.parametrize("name", [c.name for c in COMMANDS])
def test_every_command_works_without_a_stdout_or_a_stderr(
    name: str, stream: str, consent_home: Home, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Regression (issue 24): started as `lumogon telemetry status >&-`, Python has no
    sys.stdout (None), and show-payload, status, log and receipts ended in an AttributeError
    traceback. Every command now does its work and writes what it can."""
    monkeypatch.setattr(sys, stream, None)
    assert run_live(name) in (0, 1)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_answer(examples: int, consent_home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    """The answer to an opt-in app's question, whatever line is typed: `y` or `yes` (trimmed,
    any case) records yes, anything else no, end of input no; what is printed is escaped."""
    import io

    from consent._cli import firstrun
    from consent._store.sources import read_config, resolve
    from tests.helpers import opt_in_spec

    spec = opt_in_spec()
    locs = consent_home.locations(spec)
    monkeypatch.setattr(firstrun, "is_interactive", lambda: True)

    def prop(line: str) -> None:
        locs.config_file.unlink(missing_ok=True)
        decision = resolve(spec, environ={}, locs=locs, cwd="/", home="/")
        assert decision.pending == "question"
        err = io.StringIO()
        with monkeypatch.context() as patch:
            patch.setattr(sys, "stdin", io.StringIO(line))
            patch.setattr(sys, "stderr", err)
            firstrun.first_run(spec, decision)
        record = read_config(locs).record
        said = line.split("\n", 1)[0].strip().lower()
        assert record is not None and record.enabled is (said in ("y", "yes"))
        assert terminal_safe(err.getvalue())

    lines = st.one_of(
        st.sampled_from(["y\n", "YES \n", "yes", "n\n", "", "\n", " y\n", "yess\n", "y\nyes\n"]),
        st.text(max_size=20),
        st.sampled_from(ESCAPES).map(lambda e: f"y{e}\n"),
    )
    run(prop, lines, examples=examples)
