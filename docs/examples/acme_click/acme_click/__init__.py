"""Acme on click: the same CLI as acme_cli, with telemetry consent from consent.click."""

__version__ = "1.0.0"
