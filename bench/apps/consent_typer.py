"""The bare typer app (bare_typer.py) with the consent layer: one ``install`` call."""

import typer
from lumogon.spec import SPEC

from consent import install

app = typer.Typer(add_completion=False)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo("bare-typer 1.0.0")


@app.callback()
def main() -> None:
    """Keep ``version`` a sub-command, as in a real multi-command CLI."""


install(app, SPEC)

if __name__ == "__main__":
    app()
