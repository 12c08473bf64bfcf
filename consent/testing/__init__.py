"""The testing kit for apps built on consent, and the pytest plugin's entry point.

pytest loads this package on its own (entry point `consent`, group `pytest11`); it registers
the fixtures of `consent.testing.plugin` (`consent_home`, `consent_collector`,
`consent_sockets`, `consent_strict`). The rest of the kit, usable without pytest:

- `home`: an isolated home: every XDG directory in one temporary root, a test keyring, and
  none of the machine's telemetry, CI or colour variables.
- `keyring`: real keyring backends for tests, selected through keyring's own API.
- `sockets`: proof that no socket was opened and no process started, here and in children.
- `collector/`: a local collector that validates hits like Google's servers and an
  OpenTelemetry collector (OTLP/HTTP logs).
- `expect_refusal` (consent/testing/refusals.py): `with expect_refusal(event=…, field=…):`
  fails the test unless the registry refuses that event inside the block.
- `LegacyProtocolWarning`: what the plugin warns when a spec picks the legacy protocol.

Nothing in consent's runtime imports this package. Importing it imports nothing else: the
plugin module is named here for pytest, and pytest imports it; the two names above are loaded
when first used.
"""

from __future__ import annotations

from importlib import import_module

TYPE_CHECKING = False
if TYPE_CHECKING:
    from consent.testing.plugin import LegacyProtocolWarning
    from consent.testing.refusals import Refused, expect_refusal

pytest_plugins = ["consent.testing.plugin"]

_LAZY = {
    "expect_refusal": "consent.testing.refusals",
    "Refused": "consent.testing.refusals",
    "LegacyProtocolWarning": "consent.testing.plugin",
}
__all__ = ["LegacyProtocolWarning", "Refused", "expect_refusal"]


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name]), name)
    globals()[name] = value
    return value
