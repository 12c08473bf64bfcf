"""The `telemetry` commands as a table that every framework adapter renders.

A command is one `Command` entry: its name, its help, its parameters (`Param`) and a plain
function that takes a `Call` (the parameter values, whether `--disable-analytics` was given,
the host's command tree, where to write) and returns an exit status. typer, click and argparse
each turn the same table into their own commands (consent/_cli/adapters/), so the texts, the
exit statuses and the JSON are the same in every framework, and a new command is one entry in
consent/_cli/table.py (plus its function).

`execute` runs one command: a ConsentError or an OS error becomes `error: …` on stderr and exit
status 1, a closed stdout pipe a quiet exit 1; a `UsageError` (a bad argument) is left to the
adapter, which reports it the way its framework reports usage errors (exit status 2).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from consent._cli.console import Output, quiet_broken_pipe
from consent._core.spec import AppSpec
from consent._core.value import Record
from consent._errors import ConsentError, UsageError
from consent._notice.preview import Node


class Param(Record):
    """One parameter. `flags` empty: positional words, any number (a list, maybe empty);
    a bool `default`: an on/off flag; otherwise an option that takes a value (str)."""

    name: str  # the key in Call.values
    flags: tuple[str, ...]
    help: str
    default: str | bool | None = None
    metavar: str = ""

    @property
    def kind(self) -> str:
        if not self.flags:
            return "words"
        return "flag" if isinstance(self.default, bool) else "option"


class Call(Record):
    """What a command's function gets."""

    spec: AppSpec
    values: Mapping[str, Any]
    flag: bool  # --disable-analytics was given to this run
    tree: Callable[[], Node]  # the host's command tree (show-payload resolves words in it)
    out: Output


class Command(Record):
    name: str
    help: str  # the first paragraph is the one-line summary in the group's list
    params: tuple[Param, ...]
    run: Callable[[Call], int | None]

    @property
    def summary(self) -> str:
        return self.help.split("\n\n", 1)[0].replace("\n", " ")


class Outcome(Record):
    code: int
    out: Output


def execute(
    spec: AppSpec,
    command: Command,
    values: Mapping[str, Any],
    *,
    flag: bool,
    tree: Callable[[], Node],
    live: bool = True,
) -> Outcome:
    """Run `command` with `values` (every parameter's, defaults filled in). Raises only
    UsageError."""
    out = Output(live=live)
    call = Call(spec, values, flag, tree, out)
    try:
        code = command.run(call) or 0
    except UsageError:
        raise
    except ConsentError as exc:
        out.error(str(exc))
        code = 1
    except BrokenPipeError:
        # Exit 1 quietly, as click does for the host's own commands (and Python's docs advise).
        quiet_broken_pipe()
        code = 1
    except OSError as exc:
        out.error(f"{exc.strerror or exc} ({getattr(exc, 'filename', '') or 'no file'})")
        code = 1
    return Outcome(code, out)
