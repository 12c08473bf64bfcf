"""Acme's commands on click. The consent layer is one call: install(cli, SPEC)."""

import click
from consent import record_event
from consent.click import install

from acme_click import __version__
from acme_click.telemetry import SPEC


@click.group(help="Acme says hello and deploys things.")
@click.version_option(__version__, message="acme %(version)s", help="Print the version.")
def cli() -> None:
    """Acme says hello and deploys things."""


@cli.command()
@click.argument("name")
def hello(name: str) -> None:
    """Greet NAME."""
    click.echo(f"Hello, {name}!")


@cli.command()
@click.argument("target")
@click.option("--dry-run", is_flag=True)
def deploy(target: str, dry_run: bool) -> None:
    """Deploy to TARGET."""
    click.echo(f"{'Would deploy' if dry_run else 'Deployed'} to {target}.")
    # Sends only with consent and never raises; a value outside `allowed` refuses the event.
    record_event(SPEC, "deployed", {"outcome": "ok", "dry_run": dry_run})


install(cli, SPEC)  # --disable-analytics, `acme telemetry …`, a screenview per command


def main() -> None:
    cli(prog_name="acme")
