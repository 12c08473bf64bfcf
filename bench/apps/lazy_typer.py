"""The consent program (consent_typer.py) with the spec given as a lazy reference: the spec module
is imported only when a run may send, show or ask (consent/_start.py decides every off run)."""

import typer

from consent import install

app = typer.Typer(add_completion=False)


@app.command()
def version() -> None:
    """Print the version."""
    typer.echo("bare-typer 1.0.0")


@app.callback()
def main() -> None:
    """Keep ``version`` a sub-command, as in a real multi-command CLI."""


install(app, "lumogon.spec:SPEC", name="lumogon", env_prefix="LUMOGON")

if __name__ == "__main__":
    app()
