"""lumogon's commands on a machine whose system root the test chooses.

The OS's fixed policy location is moved by no variable, so a test that gives the app a system
policy builds the app in code: `AppSpec(system_root=...)`. Run it as
`python tests/apps/fleet.py SYSTEM_ROOT ARGS...`; every other file is the isolated home's.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __package__ in (None, ""):  # run as a script: the repository is the import root
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import typer
from lumogon.spec import SPEC, VERSION

from consent import install


def build(system_root: str) -> typer.Typer:
    app = typer.Typer(name="lumogon", no_args_is_help=True)

    @app.callback()
    def root() -> None:
        """Lumogon, on a machine with the test's system root."""

    @app.command("version")
    def version() -> None:
        """Print the version of lumogon."""
        typer.echo(f"lumogon {VERSION}")

    return install(app, SPEC.replace(system_root=system_root))


if __name__ == "__main__":
    build(sys.argv[1])(sys.argv[2:], prog_name="lumogon")
