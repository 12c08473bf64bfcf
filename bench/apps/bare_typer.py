"""A bare typer app with one ``version`` command and no telemetry: the CLI baseline."""

import typer

app = typer.Typer(add_completion=False)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo("bare-typer 1.0.0")


@app.callback()
def main() -> None:
    """Keep ``version`` a sub-command, as in a real multi-command CLI."""


if __name__ == "__main__":
    app()
