"""Acme Draw: the example of the consent integration guide for a program without a command line."""

__version__ = "1.0.0"
