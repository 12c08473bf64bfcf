"""Acme's commands on argparse. The consent layer: install(parser, "…:SPEC", …), then run(…)."""

import argparse

from consent.argparse import install, run

from acme_otlp import __version__


def hello(args: argparse.Namespace) -> None:
    print(f"Hello, {args.name}!")


def deploy(args: argparse.Namespace) -> None:
    print(f"{'Would deploy' if args.dry_run else 'Deployed'} to {args.target}.")
    from consent import record_event

    from acme_otlp.telemetry import SPEC  # the spec loads when the command records

    # Sends only with consent for the "deploys" purpose, and never raises. The values are typed
    # on the wire: acme.dry_run as a boolValue, acme.retries as an intValue.
    record_event(
        SPEC,
        "deployed",
        {"acme.outcome": "ok", "acme.dry_run": args.dry_run, "acme.retries": args.retries},
    )


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="acme-otlp", description="Acme says hello and deploys.")
    root.add_argument("--version", action="version", version=f"acme-otlp {__version__}")
    commands = root.add_subparsers(dest="command", metavar="COMMAND", required=True)
    greet = commands.add_parser("hello", help="Greet NAME.")
    greet.add_argument("name")
    greet.set_defaults(func=hello)
    ship = commands.add_parser("deploy", help="Deploy to TARGET.")
    ship.add_argument("target")
    ship.add_argument("--dry-run", action="store_true")
    ship.add_argument("--retries", type=int, choices=range(0, 11), default=0)
    ship.set_defaults(func=deploy)
    # After every subcommand: --disable-analytics on each, and `acme-otlp telemetry …`.
    return install(root, "acme_otlp.telemetry:SPEC", name="acme-otlp", env_prefix="ACME_OTLP")


def main() -> None:
    cli = parser()
    args = cli.parse_args()
    run(cli, args)  # a telemetry command runs and exits here; else the screenview, with consent
    args.func(args)
