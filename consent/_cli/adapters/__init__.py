"""The framework adapters: each turns the framework-neutral consent layer (consent._cli) into
what its framework's programs expect, in one `install` call.

- `typerapp`: typer apps (`consent.install`).
- `clickgroup`: click groups (`consent.click`), with click an optional extra.
- `argparser`: argparse parsers (`consent.argparse`), standard library only.
- `clicktree`: what the typer and click adapters share (both run click-style command trees);
  `clickbuild`: what they build only when a run needs it (the `telemetry` group).
"""
