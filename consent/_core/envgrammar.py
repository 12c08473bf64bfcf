"""The env value grammar, shared by `*_DISABLE_ANALYTICS`, `DO_NOT_TRACK` and CI markers.

Pure: a raw value in, a reading out. Unknown values fail closed (they disable)
and are reported as not understood, so a typo never turns telemetry on.
"""

from __future__ import annotations

from consent._core.value import Record

# The words, the cross-tool variable and the CI markers are defined in consent/_start.py, which
# reads them before anything else of consent loads.
from consent._start import CI_MARKERS, DO_NOT_TRACK, FALSE_WORDS, TRUE_WORDS, disables

__all__ = [
    "CI_MARKERS",
    "DISABLING",
    "DO_NOT_TRACK",
    "FALSE_WORDS",
    "TRUE_WORDS",
    "EnvReading",
    "ci_marker",
    "disables",
    "read_env",
    "read_value",
    "shown",
]

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    Reading = Literal["unset", "false", "true", "unknown"]
else:
    Reading = str  # typing is not imported at run time (see consent/_core/value.py)


class EnvReading(Record):
    name: str
    raw: str | None
    reading: Reading

    @property
    def disables(self) -> bool:
        return self.reading in DISABLING


# A set value the grammar does not understand disables too: fail closed.
DISABLING = ("true", "unknown")


def read_value(raw: str | None) -> Reading:
    if raw is None:
        return "unset"
    word = raw.strip().lower()
    if word == "":
        return "unset"
    if word in FALSE_WORDS:
        return "false"
    if word in TRUE_WORDS:
        return "true"
    return "unknown"


def read_env(name: str, environ: dict[str, str]) -> EnvReading:
    raw = environ.get(name)
    return EnvReading(name, raw, read_value(raw))


def ci_marker(environ: dict[str, str]) -> str | None:
    """The first CI marker that is set to anything the grammar does not read as false."""
    for name in CI_MARKERS:
        if disables(environ.get(name)):
            return name
    return None


def shown(raw: str | None, limit: int = 60) -> str:
    """A raw env value as it may be printed: quoted, escaped, and cut when very long."""
    if raw is None:
        return "(unset)"
    text = repr(raw)
    return text if len(text) <= limit else text[: limit - 5] + "…' (cut)"
