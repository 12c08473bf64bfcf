"""The `telemetry` commands, one entry each: what every adapter renders into its framework.

To add a command: write its function (`def name(call: Call) -> int | None`, reading
`call.values`, writing to `call.out`, returning the exit status; raise UsageError for a bad
argument, ConsentError for a failure) and add one `Command` here. typer, click and argparse
programs then all have it, with the same texts and exit statuses. The order here is the order
of the group's help.
"""

from __future__ import annotations

from consent._cli import audit, receipts, telemetry
from consent._cli.commands import Command, Param
from consent._core.spec import AppSpec

PURPOSE_HELP = "Purposes to change (default: every purpose); `status` lists them."
PURPOSES = Param("purposes", (), PURPOSE_HELP, metavar="PURPOSES")
JSON_ONE = Param("as_json", ("--json",), "Print one JSON object.", False)
JSON_LIST = Param("as_json", ("--json",), "Print a JSON list.", False)

COMMANDS = (
    Command(
        "status",
        "Show whether telemetry is on, which source decided, and every source consulted.",
        (JSON_ONE,),
        telemetry.status,
    ),
    Command(
        "policy",
        "Show the organisation's policy in force here: each managed key and its file.",
        (JSON_ONE,),
        telemetry.policy,
    ),
    Command(
        "enable",
        "Allow telemetry, for every purpose or the ones named. Leaves local mode.\n\n"
        "Records your choice for the current notice.",
        (PURPOSES,),
        telemetry.enable,
    ),
    Command(
        "disable",
        "Turn telemetry off, for every purpose or the ones named. Always works.\n\n"
        "Turning every purpose off also ends local mode, and prints the pseudonymous id once and\n"
        "deletes it.",
        (PURPOSES,),
        telemetry.disable,
    ),
    Command(
        "local",
        "Keep telemetry on this machine: hits are kept in the local log, never sent.\n\n"
        "Every hit is built exactly as it would be sent and kept in the local log (`telemetry\n"
        "log`). `enable` or `disable` ends local mode.",
        (),
        telemetry.local,
    ),
    Command(
        "reset",
        "Delete the pseudonymous id; the next hit, if any, gets a new one.",
        (),
        telemetry.reset,
    ),
    Command(
        "id",
        "Print the pseudonymous id, to quote it in a request about your data (looks up the OS "
        "keyring).",
        (),
        telemetry.show_id,
    ),
    Command(
        "show-payload",
        "Print every request a command line may send, byte for byte, each under its full URL\n"
        "(on stderr). Sends nothing.",
        (
            Param("words", (), "A command line, e.g. `version`.", metavar="WORDS"),
            Param("event", ("--event",), "Show only this declared event.", None, "TEXT"),
            JSON_LIST,
            Param(
                "with_id",
                ("--with-id",),
                "Fill in the stored pseudonymous id (looks up the OS keyring; creates none).",
                False,
            ),
        ),
        audit.show_payload,
    ),
    Command(
        "notice",
        "Print the full privacy notice, generated from what can be sent.",
        (
            Param("fmt", ("--format",), "markdown or json.", "markdown", "TEXT"),
            Param("as_json", ("--json",), "The same as --format json.", False),
        ),
        audit.notice,
    ),
    Command(
        "log",
        "Show the hits handed to the sender, or kept local, with their outcomes.",
        (JSON_LIST,),
        audit.show_log,
    ),
    Command(
        "receipts",
        "List the consent receipts kept on this machine (one per change of consent).",
        (
            Param("as_json", ("--json",), "Print a JSON list.", False),
            Param(
                "verify",
                ("--verify",),
                "Check the hash chain; exit 1 naming the first bad one.",
                False,
            ),
        ),
        receipts.receipts,
    ),
)


def group_help(spec: AppSpec) -> str:
    return f"See and change what {spec.display_name} may send about its use."
