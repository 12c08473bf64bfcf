"""Timestamps as the toolkit writes them: UTC, to the second, ISO 8601 (and a compact form for
file names)."""

from __future__ import annotations

import time


def utc_stamp() -> str:
    """Now, as `2026-12-01T14:56:55Z`: config decisions, log lines."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def utc_compact() -> str:
    """Now, as `20261201T145655Z`: the suffix of a backup file's name."""
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
