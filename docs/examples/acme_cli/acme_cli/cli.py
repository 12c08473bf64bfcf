"""Acme's commands. The consent layer is one call: install(app, "acme_cli.telemetry:SPEC", …)."""

from typing import Annotated

import typer
from consent import install

from acme_cli import __version__

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
    from consent import record_event

    from acme_cli.telemetry import SPEC  # the spec loads when the command records

    # Sends only with consent and never raises; a value outside `allowed` refuses the event.
    record_event(SPEC, "deployed", {"outcome": "ok", "dry_run": dry_run})


# --disable-analytics, `acme telemetry …`, a screenview per command. The spec is named, not
# imported: a run that is off (flag, variables, a config that disables, …) never loads it.
install(app, "acme_cli.telemetry:SPEC", name="acme", env_prefix="ACME")


def main() -> None:
    app(prog_name="acme")
