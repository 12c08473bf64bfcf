"""The command line: the typer adapter and the `telemetry` commands.

- `install`: `install(app, spec)`, the one call that gives a typer app the consent layer.
- `instrument`: a screenview for each command that runs, from the CLI's own command tree.
- `lazygroup`: the `telemetry` group, built only when it is used.
- `telemetry`, `audit`: the `telemetry` commands (status, enable, disable, reset; show-payload,
  notice, log).
- `firstrun`, `interactive`: the first-run notice or question, only for a person at a terminal.
- `console`: output on stdout and stderr, and errors turned into messages.
"""
