"""Acme's commands on click. The consent layer is one call: install(cli, "….telemetry:SPEC", …)."""

import click
from consent.click import install

from acme_click import __version__


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
    from consent import record_event

    from acme_click.telemetry import SPEC  # the spec loads when the command records

    # Sends only with consent and never raises; a value outside `allowed` refuses the event.
    record_event(SPEC, "deployed", {"outcome": "ok", "dry_run": dry_run})


# --disable-analytics, `acme telemetry …`, a screenview per command. The spec is named, not
# imported: a run that is off (flag, variables, a config that disables, …) never loads it.
install(cli, "acme_click.telemetry:SPEC", name="acme", env_prefix="ACME")


def main() -> None:
    cli(prog_name="acme")
