"""A bare click program with one ``version`` command and no telemetry: the click baseline."""

import click


@click.group()
def main() -> None:
    """Keep ``version`` a sub-command, as in a real multi-command CLI."""


@main.command()
def version() -> None:
    """Print the version."""
    click.echo("bare-click 1.0.0")


if __name__ == "__main__":
    main()
