"""Acme on argparse, sending its telemetry to its own OpenTelemetry endpoint (OTLP/HTTP logs)."""

__version__ = "1.0.0"
