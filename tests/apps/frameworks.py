"""The registry the three example apps share (docs/examples/acme_*/…/telemetry.py hold the same
one), loaded from the typer example for the tests that read its files."""

from __future__ import annotations

import importlib.util

from consent._core.spec import AppSpec
from tests.helpers import ROOT

_PATH = ROOT / "docs" / "examples" / "acme_cli" / "acme_cli" / "telemetry.py"


def _load() -> AppSpec:
    import sys
    import types

    # telemetry.py imports `from acme_cli import __version__`: give it that one name.
    package = types.ModuleType("acme_cli")
    package.__version__ = "1.0.0"  # type: ignore[attr-defined]
    saved = sys.modules.get("acme_cli")
    sys.modules["acme_cli"] = package
    try:
        spec = importlib.util.spec_from_file_location("_acme_example_telemetry", _PATH)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del sys.modules["acme_cli"]
        else:
            sys.modules["acme_cli"] = saved
    found: AppSpec = module.SPEC
    return found


SPEC = _load()
