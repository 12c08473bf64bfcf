"""The argparse adapter beyond its start path (consent/argparse.py): the `telemetry` commands,
built from the table of consent._cli.table when the `telemetry` subparser was chosen, and a
host command's run that the start did not turn off (consent._cli.hostrun). Imported only then.
"""

import argparse

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

    from consent._core.runs import Scope
    from consent._core.spec import AppSpec
    from consent._start import SpecRef

    AddFlag = Callable[..., None]


class NoRun:
    """The scope of no run (a run that could not start): ending it does nothing. Defined here,
    not in consent._core.runs, which the failure it stands for may be in."""

    __slots__ = ()

    def end(self) -> None:
        return None

    def __enter__(self) -> "NoRun":
        return self

    def __exit__(self, *exc: object) -> None:
        return None


NO_RUN = NoRun()


def started(spec: "AppSpec | SpecRef", command: str, flag: bool) -> "Scope | NoRun":
    """Start the run of `command`, which the start did not turn off: report it, show the
    first-run notice or ask (never raises)."""
    try:
        from consent._cli.hostrun import command_started
        from consent._core.reference import spec_of

        loaded = spec_of(spec)
    except Exception:  # noqa: BLE001 - telemetry never breaks the host command
        return NO_RUN
    return command_started(loaded, command, flag=flag) or NO_RUN


def _node(parser: argparse.ArgumentParser) -> "Any":
    """The neutral command tree below `parser` (consent._notice.preview.Node)."""
    from consent._notice.preview import Node

    action = next((a for a in parser._actions if isinstance(a, argparse._SubParsersAction)), None)
    if action is None:
        return Node(None)
    children: dict[str, Any] = {}
    seen: set[int] = set()
    for name, sub in action.choices.items():
        if id(sub) not in seen:
            seen.add(id(sub))
            children[name] = _node(sub)
    return Node(children, not action.required)


def telemetry(
    parser: argparse.ArgumentParser,
    ref: "AppSpec | SpecRef",
    words: "list[str]",
    flag: bool,
    *,
    add_flag: "AddFlag",
    flag_dest: str,
) -> int:
    """Parse the words after `telemetry` with the group built from the table (each parser given
    the flag, kept at `flag_dest`, by `add_flag`: consent/argparse.py's); run the command and
    return its status."""
    from consent._core.reference import spec_of

    spec = spec_of(ref)
    from consent._cli.commands import execute
    from consent._cli.table import COMMANDS
    from consent._errors import UsageError

    group = argparse.ArgumentParser(
        prog=f"{parser.prog} {spec.group}",
        description=f"See and change what {spec.display_name} may send about its use.",
    )
    add_flag(group, spec, root=True)
    commands = group.add_subparsers(dest="consent_command", metavar="COMMAND", title="commands")
    parsers = {}
    for entry in COMMANDS:
        sub = commands.add_parser(entry.name, help=entry.summary, description=entry.help)
        parsers[entry.name] = sub
        add_flag(sub, spec)
        for p in entry.params:
            if p.kind == "words":
                sub.add_argument(
                    p.name, nargs="*", metavar=p.metavar or p.name.upper(), help=p.help
                )
            elif p.kind == "flag":
                sub.add_argument(*p.flags, dest=p.name, action="store_true", help=p.help)
            else:
                sub.add_argument(
                    *p.flags,
                    dest=p.name,
                    default=p.default,
                    metavar=p.metavar or "TEXT",
                    help=f"{p.help} (default: {p.default})" if p.default is not None else p.help,
                )
        sub.set_defaults(consent_entry=entry)
    if not words:
        # As click does for a group with no_args_is_help: the help, and exit status 2.
        group.print_help()
        return 2
    ns = group.parse_args(words)
    entry = ns.consent_entry
    values = {p.name: getattr(ns, p.name) for p in entry.params}
    flag = flag or bool(getattr(ns, flag_dest, False))
    try:
        outcome = execute(spec, entry, values, flag=flag, tree=lambda: _node(parser))
    except UsageError as exc:
        parsers[entry.name].error(f"argument {exc.param}: {exc}")
    return outcome.code
