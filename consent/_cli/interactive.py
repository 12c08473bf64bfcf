"""Is a person here? Only an interactive run may prompt or count as "notice shown".

Interactive means stdin and stderr are terminals and no CI marker is set (a
marker set to a false word, like CI=false, does not count).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from consent._core.envgrammar import ci_marker


def is_interactive(environ: Mapping[str, str] | None = None) -> bool:
    environ = os.environ if environ is None else environ
    try:
        ttys = sys.stdin is not None and sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError, OSError):
        return False
    return bool(ttys) and ci_marker(dict(environ)) is None
