"""Acme: a tiny typer CLI with telemetry consent from the consent toolkit."""

__version__ = "1.0.0"
