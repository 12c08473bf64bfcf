"""The consent layer for argparse programs (standard library only).

`install(parser, SPEC)` adds `--disable-analytics` and the `telemetry` subcommand to a parser
with subcommands; `run(parser, args)`, right after `args = parser.parse_args()`, runs a chosen
`telemetry` command and exits, or reports the command that runs and returns the scope of its
run (`with run(parser, args): main(args)` ends the run with the command; called plainly, the
run lasts until the program exits). The adapter lives in consent/_cli/adapters/argparser.py.
"""

from consent._cli.adapters.argparser import install, run

__all__ = ["install", "run"]
