"""Acme's commands on argparse. The consent layer: install(parser, "…:SPEC", …), then run(…)."""

import argparse

from consent.argparse import install, run

from acme_argparse import __version__


def hello(args: argparse.Namespace) -> None:
    print(f"Hello, {args.name}!")


def deploy(args: argparse.Namespace) -> None:
    print(f"{'Would deploy' if args.dry_run else 'Deployed'} to {args.target}.")
    from consent import record_event

    from acme_argparse.telemetry import SPEC  # the spec loads when the command records

    # Sends only with consent and never raises; a value outside `allowed` refuses the event.
    record_event(SPEC, "deployed", {"outcome": "ok", "dry_run": args.dry_run})


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="acme", description="Acme says hello and deploys things.")
    root.add_argument("--version", action="version", version=f"acme {__version__}")
    commands = root.add_subparsers(dest="command", metavar="COMMAND", required=True)
    greet = commands.add_parser("hello", help="Greet NAME.")
    greet.add_argument("name")
    greet.set_defaults(func=hello)
    ship = commands.add_parser("deploy", help="Deploy to TARGET.")
    ship.add_argument("target")
    ship.add_argument("--dry-run", action="store_true")
    ship.set_defaults(func=deploy)
    # After every subcommand: --disable-analytics on each, and `acme telemetry …`.
    return install(root, "acme_argparse.telemetry:SPEC", name="acme", env_prefix="ACME")


def main() -> None:
    cli = parser()
    args = cli.parse_args()
    run(cli, args)  # a telemetry command runs and exits here; else the screenview, with consent
    args.func(args)
