"""lumogon's typer app: the commands of the reference CLI, with the consent layer installed."""

from __future__ import annotations

from typing import Annotated

import typer

from consent.cli.adapters.typerapp import install
from lumogon.spec import SPEC, VERSION

app = typer.Typer(
    name="lumogon",
    help="Lumogon inspects containers and reports what is inside them.",
    no_args_is_help=True,
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"lumogon {VERSION}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version."
        ),
    ] = False,
) -> None:
    """Lumogon inspects containers and reports what is inside them."""


@app.command("version")
def version_command() -> None:
    """Print the version of lumogon."""
    typer.echo(f"lumogon {VERSION}")


install(app, SPEC)


def main() -> None:
    app(prog_name="lumogon")
