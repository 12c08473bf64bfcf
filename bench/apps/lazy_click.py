"""The consent program (consent_click.py) with the spec given as a lazy reference: the spec module
is imported only when a run may send, show or ask (consent/_start.py decides every off run)."""

import click

from consent.click import install


@click.group()
def main() -> None:
    """Keep ``version`` a sub-command, as in a real multi-command CLI."""


@main.command()
def version() -> None:
    """Print the version."""
    click.echo("bare-click 1.0.0")


install(main, "lumogon.spec:SPEC", name="lumogon", env_prefix="LUMOGON")

if __name__ == "__main__":
    main()
