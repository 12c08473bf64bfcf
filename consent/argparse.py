"""The consent layer for argparse programs (standard library only).

```python
parser = argparse.ArgumentParser(prog="acme")
commands = parser.add_subparsers(dest="command")
...                                  # every subcommand, then:
install(parser, "acme.telemetry:SPEC", name="acme", env_prefix="ACME")
                                     # --disable-analytics, `acme telemetry …`
args = parser.parse_args()
run(parser, args)                    # a telemetry command: runs it and exits; else reports
...                                  # the command and returns: the program goes on
```

`install(parser, SPEC)` adds `--disable-analytics` and the `telemetry` subcommand to a parser
with subcommands; `run(parser, args)`, right after `args = parser.parse_args()`, runs a chosen
`telemetry` command and exits, or reports the command that runs and returns the scope of its
run (`with run(parser, args): main(args)` ends the run with the command; called plainly, the
run lasts until the program exits).

This module is the adapter's start path: it imports only argparse and sys, which the program
has loaded, and consent/_start.py, so that a run that is off costs a host command two small
modules (docs/architecture.md). The command path comes from the subparsers that were chosen
(each subparser carries its own path as a default, set by `install`), never from argument
values. The `telemetry` subparser only collects its words; its commands, and a run that may
send, show or ask, are consent/_cli/adapters/argparser.py's, imported only then.
"""

import argparse
import sys

from consent._start import FLAG, flag_help, prepared, start

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs a host without typer or click about 2 ms at start-up
    from typing import Any

    from consent._cli.adapters.argparser import NoRun
    from consent._core.runs import Scope
    from consent._core.spec import AppSpec
    from consent._start import OffScope, SpecRef

FLAG_DEST = "consent_disable_analytics"
PATH_DEST = "consent_command_path"  # each subparser's path, as a default: the deepest chosen wins
WORDS_DEST = "consent_telemetry_words"  # present only when the telemetry subparser was chosen

_INSTALLED = "_consent_spec"
_HINT = (
    "add the subcommands first, e.g. `commands = parser.add_subparsers(dest='command')` and "
    "`commands.add_parser('hello')`, then call install(parser, SPEC)"
)


def install(
    parser: argparse.ArgumentParser,
    spec: "AppSpec | str",
    *,
    group: "str | None" = None,
    name: "str | None" = None,
    env_prefix: "str | None" = None,
) -> argparse.ArgumentParser:
    """Give `parser` the consent layer for `spec` and return it.

    `spec` is the AppSpec, or a reference to it, `"package.module:NAME"`, with the app's `name`
    and `env_prefix` beside it: the module is then imported only when a run may send, shows a
    notice, asks, or runs a `telemetry` command (a mismatch is a SpecError then, and in the
    pytest plugin).

    Adds `--disable-analytics` to the parser and to every subparser below it (so it works
    before or after a command name) and the `telemetry` subcommand (named `group` if given).
    Call it once, after every subcommand was added; then call `run(parser, args)` right after
    `parser.parse_args()`.

    Raises ConsentError for what it cannot take: something other than an ArgumentParser, a
    parser without subcommands, a second install, or a subcommand or option that clashes with
    the consent layer's names.
    """
    if not isinstance(parser, argparse.ArgumentParser):
        from consent._cli.hostrun import refusal  # what install refuses costs a run nothing

        raise refusal(
            f"install() takes an argparse.ArgumentParser, not {type(parser).__name__}",
            hint="for a typer app use `consent.install`, for a click group `consent.click.install`",
        )
    installed: AppSpec | SpecRef | None = getattr(parser, _INSTALLED, None)
    if installed is not None:
        from consent._cli.hostrun import refusal

        raise refusal(f"the consent layer is already installed in this parser ({installed!r})")
    kept = prepared(spec, group=group, name=name, env_prefix=env_prefix)
    action = _subparsers(parser)
    if action is None:
        from consent._cli.hostrun import refusal

        raise refusal(
            "this parser has no subcommands, so it has no place for the "
            f"`{kept.group}` commands that let a person see and change their choice",
            hint=_HINT,
        )
    if kept.group in action.choices:
        from consent._cli.hostrun import clash

        raise clash(kept)
    _add_flag(parser, kept, root=True)
    parser.set_defaults(**{PATH_DEST: kept.name})
    _walk(action, kept.name, kept, _flag_action(kept, root=False))
    # argparse has no lazy subcommands: this one takes every word after it (its own options
    # too, hence no prefix character a word can start with) and `run` parses them.
    telemetry = action.add_parser(
        kept.group,
        help=f"See and change what {kept.display_name} may send about its use.",
        add_help=False,
        prefix_chars="\0",
    )
    telemetry.add_argument(WORDS_DEST, nargs=argparse.REMAINDER, help=argparse.SUPPRESS)
    setattr(parser, _INSTALLED, kept)
    return parser


def run(parser: argparse.ArgumentParser, args: argparse.Namespace) -> "Scope | OffScope | NoRun":
    """After `args = parser.parse_args()`: run a chosen `telemetry` command and exit with its
    status; otherwise start the run of the command that runs, report it (a screenview, only
    with consent), show the first-run notice or ask the question (a person at a terminal only),
    and return the run's scope.

    argparse does not run the command, the program does, after this returns: the run lasts
    until the program ends, or until the scope ends (`with run(parser, args): ...` around the
    command, or `.end()`), after which events decide on the spot again."""
    spec: AppSpec | SpecRef | None = getattr(parser, _INSTALLED, None)
    if spec is None:
        from consent._cli.hostrun import refusal

        raise refusal(
            "run() takes the parser that install(parser, SPEC) prepared",
            hint="call install(parser, SPEC) before parser.parse_args()",
        )
    flag = bool(getattr(args, FLAG_DEST, False))
    words = getattr(args, WORDS_DEST, None)
    if words is not None:
        from consent._cli.adapters.argparser import telemetry

        sys.exit(
            telemetry(parser, spec, list(words), flag, add_flag=_add_flag, flag_dest=FLAG_DEST)
        )
    path = getattr(args, PATH_DEST, None)
    command = path if isinstance(path, str) else spec.name
    off = start(spec, command, flag=flag)
    if off is not None:
        return off
    from consent._cli.adapters.argparser import started  # a run that may send or show something

    return started(spec, command, flag)


def _subparsers(parser: argparse.ArgumentParser) -> "Any":
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            return action
    return None


def _add_flag(
    parser: argparse.ArgumentParser,
    spec: "AppSpec | SpecRef",
    *,
    root: bool = False,
    action: "argparse.Action | None" = None,
) -> None:
    """Give `parser` the flag: `action` if given (one action serves every subparser, as a
    parent parser's actions serve its children), else a new one."""
    if action is None:
        action = _flag_action(spec, root=root)
    if FLAG[0] not in parser.prefix_chars:
        from consent._cli.hostrun import refusal

        raise refusal(
            f"the parser {parser.prog!r} takes no option that starts with {FLAG[0]!r}",
            hint=f"the consent layer adds {FLAG} to every command: keep '-' in its prefix_chars",
        )
    try:
        # What add_argument does with a made action, without the help formatter it builds to
        # check one: a second --disable-analytics is refused the same way (ArgumentError).
        parser._add_action(action)
    except argparse.ArgumentError as exc:
        from consent._cli.hostrun import refusal

        raise refusal(
            f"the parser {parser.prog!r} already has an option {FLAG}: {exc}",
            hint=f"remove it: the consent layer adds {FLAG} to every command",
        ) from None


def _flag_action(spec: "AppSpec | SpecRef", *, root: bool) -> argparse.Action:
    action = argparse._StoreTrueAction([FLAG], FLAG_DEST, help=flag_help(spec.commands))
    if not root:  # below the root nothing is set unless given: a subparser never undoes the root
        action.default = argparse.SUPPRESS
    return action


def _walk(action: "Any", path: str, spec: "AppSpec | SpecRef", flag: argparse.Action) -> None:
    seen: set[int] = set()
    for name, sub in action.choices.items():
        if id(sub) in seen:
            continue  # an alias: the path keeps the subcommand's own name
        seen.add(id(sub))
        _add_flag(sub, spec, action=flag)
        sub.set_defaults(**{PATH_DEST: f"{path} {name}"})
        below = _subparsers(sub)
        if below is not None:
            _walk(below, f"{path} {name}", spec, flag)


__all__ = ["install", "run"]
