"""The public API: a handful of names, documented, and `import consent` costs nothing."""

from __future__ import annotations

import inspect
import subprocess
import sys

import pytest

import consent
from tests.helpers import PROCESS_TIMEOUT

# Each name and where it lives; Decision's docstring comes from consent._core.rules (see below).
PUBLIC = {
    "AppSpec": "consent._core.spec",
    "Field": "consent._core.spec",
    "Event": "consent._core.spec",
    "Purpose": "consent._core.spec",
    "Destination": "consent._core.spec",
    "install": "consent._cli.adapters.typerapp",
    "record_event": "consent._wire.gate",
    "decide": "consent._store.sources",
    "Decision": "consent._core.rules",
    "Endpoint": "consent._core.endpoint",
    "parse_endpoint": "consent._core.endpoint",
    "ConsentError": "consent._errors",
    "EndpointError": "consent._errors",
    "LockTimeoutError": "consent._errors",
    "UsageError": "consent._errors",
    "ConfigError": "consent._errors",
    "HitError": "consent._errors",
    "PolicyLockedError": "consent._errors",
    "SpecError": "consent._errors",
}


def test_exactly_these_names() -> None:
    assert sorted(consent.__all__) == sorted(PUBLIC)
    assert dir(consent) == consent.__all__


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_each_name_resolves_and_is_documented(name: str) -> None:
    value = getattr(consent, name)
    assert value.__module__ == PUBLIC[name]
    if name != "Decision":  # a Record in consent._core.rules; described in the package docstring
        assert (value.__doc__ or "").strip(), f"{name} has no docstring"
    assert f"`{name}" in (consent.__doc__ or "") or name.endswith("Error")


def test_unknown_name_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'install_everything'"):
        _ = consent.install_everything  # type: ignore[attr-defined]


def test_install_and_decide_signatures() -> None:
    assert (
        str(inspect.signature(consent.install))
        == "(app: 'typer.Typer', spec: 'AppSpec', *, group: 'str | None' = None) -> 'typer.Typer'"
    )
    assert list(inspect.signature(consent.decide).parameters) == [
        "spec",
        "flag",
        "environ",
        "locs",
        "full",
        "cwd",  # where the per-project search starts (issue 16)
        "home",  # where it stops
    ]
    assert list(inspect.signature(consent.record_event).parameters) == ["spec", "event", "values"]


def test_importing_consent_loads_nothing_else() -> None:
    code = "import sys, consent; print(sorted(m for m in sys.modules if m.startswith(('consent', 'typer'))))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=PROCESS_TIMEOUT,
        check=True,
    )
    assert out.stdout.strip() == "['consent']"
