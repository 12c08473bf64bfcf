"""The consent layer for click programs (`pip install 'consent[click]'`).

`install(group, SPEC)` gives a click group what `consent.install` gives a typer app:
`--disable-analytics` before or after any command, the `telemetry` group and a screenview per
command. The adapter lives in consent/_cli/adapters/clickgroup.py.
"""

from __future__ import annotations

from consent._cli.adapters.clickgroup import install

__all__ = ["install"]
