"""The bare click program (bare_click.py) with the consent layer: one ``install`` call."""

import click
from lumogon.spec import SPEC

from consent.click import install


@click.group()
def main() -> None:
    """Keep ``version`` a sub-command, as in a real multi-command CLI."""


@main.command()
def version() -> None:
    """Print the version."""
    click.echo("bare-click 1.0.0")


install(main, SPEC)

if __name__ == "__main__":
    main()
