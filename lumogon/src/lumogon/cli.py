"""lumogon's typer app: the commands of the reference CLI, with the consent layer installed."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

import typer

from consent import install
from lumogon.version import VERSION

if TYPE_CHECKING:
    from lumogon.errors import LumogonError

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


# scan and report import what they use when they run, so that `lumogon version` (and the disabled
# path, tests/e2e/test_lean_disabled_path.py) loads no HTTP or JSON code.
@app.command("scan")
def scan_command() -> None:
    """Inspect the running containers through the Docker Engine and print a JSON report."""
    from lumogon.docker import scan
    from lumogon.errors import LumogonError
    from lumogon.report import render

    try:
        found = scan(os.environ)
    except LumogonError as exc:
        raise _fail(exc) from None
    typer.echo(render(found))


@app.command("report")
def report_command(
    endpoint: Annotated[
        str | None,
        typer.Option(
            "--endpoint",
            help="The report service's URL (https://, or http:// on a loopback address); "
            "default: $LUMOGON_ENDPOINT.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Inspect the running containers, upload the report to a report service, print its URL."""
    from consent import record_event
    from lumogon.docker import scan
    from lumogon.errors import LumogonError, UploadError
    from lumogon.report import render, report_endpoint, upload
    from lumogon.spec import SPEC

    try:
        target = report_endpoint(endpoint, os.environ)
        found = scan(os.environ)
    except LumogonError as exc:
        raise _fail(exc) from None
    # The upload event carries the outcome and the number of containers, nothing else about them.
    count = len(found.containers)
    try:
        where = upload(render(found).encode("utf-8"), target)
    except UploadError as exc:
        record_event(SPEC, "upload", {"el": "failed", "ev": count})
        raise _fail(exc) from None
    record_event(SPEC, "upload", {"el": "ok", "ev": count})
    typer.echo(where)


def _fail(exc: LumogonError) -> typer.Exit:
    typer.echo(error_text(exc), err=True)
    return typer.Exit(1)


def error_text(exc: LumogonError) -> str:
    """`error: …`, escaped: a message may quote a variable (the socket path) or a peer."""
    from lumogon.docker import shown

    text = str(exc)
    return f"error: {shown(text, len(text))}"


# The spec named lazily: it is imported only when a run may send, shows the notice or runs a
# `telemetry` command, so that a run that is off does not build it (docs/integrate.md).
install(app, "lumogon.spec:SPEC", name="lumogon", env_prefix="LUMOGON")


def main() -> None:
    app(prog_name="lumogon")
