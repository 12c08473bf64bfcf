"""The command line: the framework-neutral consent layer, and the adapters that fit it to typer,
click and argparse programs.

- `hostrun`: what every adapter does as a host command starts (decide once, report the
  command, the first run).
- `commands`: the `telemetry` commands as a table (name, help, parameters, a plain function)
  that every adapter renders; `telemetry`, `audit`, `receipts` hold the functions (status,
  enable, disable, local, reset, id; show-payload, notice, log; receipts).
- `firstrun`, `interactive`: the first-run notice or question, only for a person at a terminal.
- `console`: output on stdout and stderr, the same bytes in every framework.
- `adapters/`: what the adapters (typer `consent.install`, click `consent.click`, argparse
  `consent.argparse`, whose start paths live at the top of the package) load only when used.
"""
