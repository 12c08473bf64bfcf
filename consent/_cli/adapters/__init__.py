"""What the framework adapters load beyond their start path, only when a run needs it.

Each adapter's start path lives at the top of the package, so that a run that is off imports
almost nothing (docs/architecture.md): `consent/argparse.py`, `consent/click.py`,
`consent/_typer.py` (`consent.install`) and `consent/_tree.py` (what the click and typer ones
share). Here:

- `argparser`: the argparse `telemetry` commands, and a run the start did not turn off.
- `clickbuild`: the `telemetry` group of a click or typer program, rendered from the table.
"""
