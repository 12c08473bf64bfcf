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

Nothing in consent's runtime imports this package. Importing it imports nothing else: the
plugin module is named here for pytest, and pytest imports it.
"""

pytest_plugins = ["consent.testing.plugin"]
