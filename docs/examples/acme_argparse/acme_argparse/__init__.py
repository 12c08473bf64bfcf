"""Acme on argparse: the same CLI as acme_cli, with telemetry consent from consent.argparse."""

__version__ = "1.0.0"
