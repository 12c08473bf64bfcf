"""Acme's commands. The consent layer is one call: install(app, SPEC)."""

from typing import Annotated

import typer
from consent import install, record_event

from acme_cli import __version__
from acme_cli.telemetry import SPEC

app = typer.Typer(help="Acme says hello and deploys things.", no_args_is_help=True)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"acme {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Acme says hello and deploys things."""


@app.command()
def hello(name: str) -> None:
    """Greet NAME."""
    typer.echo(f"Hello, {name}!")


@app.command()
def deploy(target: str, dry_run: Annotated[bool, typer.Option("--dry-run")] = False) -> None:
    """Deploy to TARGET."""
    typer.echo(f"{'Would deploy' if dry_run else 'Deployed'} to {target}.")
    # Sends only with consent and never raises; a value outside `allowed` refuses the event.
    record_event(SPEC, "deployed", {"outcome": "ok", "dry_run": dry_run})


install(app, SPEC)  # --disable-analytics, `acme telemetry …`, a screenview per command


def main() -> None:
    app(prog_name="acme")
