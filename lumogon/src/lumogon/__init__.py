"""lumogon, the reference CLI built on consent: a container-inspection tool with honest telemetry.

`lumogon.spec` declares what it may send (`SPEC`), `lumogon.version` the version (`VERSION`);
`lumogon.cli` is its typer app (`app`, and `main`, the console script). The names are re-exported lazily, so that reading the
spec never builds the app.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from lumogon.cli import app, main
    from lumogon.spec import SPEC
    from lumogon.version import VERSION

_EXPORTS = {
    "SPEC": "lumogon.spec",
    "VERSION": "lumogon.version",
    "app": "lumogon.cli",
    "main": "lumogon.cli",
}

__all__ = ["SPEC", "VERSION", "app", "main"]


def __getattr__(name: str) -> Any:
    try:
        module = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'lumogon' has no attribute {name!r}") from None
    # __import__ rather than importlib: importing importlib costs every command ~0.1 ms.
    __import__(module)
    value = getattr(sys.modules[module], name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__
