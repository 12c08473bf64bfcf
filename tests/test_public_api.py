"""consent's public API, held to a listing: docs/api.md is generated from the code by
scripts/render_api.py, and fails here while it differs, so a change to the API (a new name, a
changed signature or field) is a visible diff. Every error the toolkit can raise, and the parts
of the values an app reads (`Decision`, `AppSpec`), are importable from `consent`.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import subprocess
import sys
import typing
from pathlib import Path
from types import ModuleType

import pytest

import consent
from consent import AppSpec, ConsentError, Decision
from tests.helpers import PROCESS_TIMEOUT, ROOT

COMMITTED = ROOT / "docs" / "api.md"


def load_renderer() -> ModuleType:
    spec = importlib.util.spec_from_file_location("render_api", ROOT / "scripts" / "render_api.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


api = load_renderer()


def test_the_api_listing_is_fresh() -> None:
    assert COMMITTED.read_text("utf-8") == api.markdown(api.listing()), (
        "the public API differs from docs/api.md; if the change is meant, regenerate it with: "
        "python scripts/render_api.py"
    )


@pytest.mark.parametrize("name", consent.__all__)
def test_each_name_resolves_and_is_documented(name: str) -> None:
    value = getattr(consent, name)
    assert (value.__doc__ or "").strip(), f"{name} has no docstring"
    assert f"`{name}" in (consent.__doc__ or ""), f"the consent docstring does not name {name}"


def test_dir_is_the_public_names_and_an_unknown_name_is_an_attribute_error() -> None:
    assert dir(consent) == consent.__all__
    with pytest.raises(AttributeError, match="no attribute 'install_everything'"):
        _ = consent.install_everything  # type: ignore[attr-defined]


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


def shiny(spec: AppSpec, *, loud: bool = False) -> None:
    """A public name that is not in the listing."""


def test_a_new_public_name_changes_the_listing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The freshness test can fail: a name added to `consent.__all__` shows in the listing, and
    so does a name defined at the top of a public module without `__all__`."""
    monkeypatch.setattr(consent, "shiny", shiny, raising=False)
    monkeypatch.setattr(consent, "__all__", [*consent.__all__, "shiny"])
    page = api.markdown(api.listing())
    assert "def shiny(spec: AppSpec, *, loud: bool = False) -> None" in page
    assert page != COMMITTED.read_text("utf-8")

    source = tmp_path / "kit.py"
    source.write_text(
        "from os import path\nLIMIT = 3\n_hidden = 1\ndef helper(x: int) -> int: ...\n"
    )
    assert api.public_names(load(source)) == ["LIMIT", "helper"]
    source.write_text(source.read_text() + "class Fresh: ...\n")
    assert api.public_names(load(source)) == ["Fresh", "LIMIT", "helper"]


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"kit_{path.stat().st_mtime_ns}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_public_module_is_listed_and_nothing_private_is() -> None:
    listed = api.public_modules()
    assert listed[:4] == ["consent", "consent.click", "consent.argparse", "consent.testing"]
    assert not [m for m in listed if any(part.startswith("_") for part in m.split("."))]


# Exception classes the package defines that never reach an app: each is caught inside consent
# where it is raised, and the reason says where it ends.
INTERNAL_ERRORS = {
    "consent._store.safeopen.NotRegularFile": "a special file or link: read as the file's state",
    "consent._store.safeopen.UntrustedLink": "a policy's link not followed: the policy locks",
    "consent._store.tomlread.TomlError": "a file beyond the caps or not TOML: a TomlReading",
    "consent._store.identity.KeyringTimeout": "a keyring that does not answer: no keyring",
    "consent._wire.proxy.ProxyError": "a proxy that refused: the detached sender's outcome",
    "consent.testing.collector.http._BadRequest": "the collector answers HTTP 400",
    "consent.testing.collector.otlp._Duplicate": "a key given twice: the collector's verdict",
    # A warning, never raised: the pytest plugin's word that a spec picked the legacy protocol.
    "consent.testing.plugin.LegacyProtocolWarning": "a warning the suite filters or heeds",
}


def every_module() -> list[str]:
    names = []
    for path in sorted((ROOT / "consent").rglob("*.py")):
        parts = ["consent", *path.relative_to(ROOT / "consent").with_suffix("").parts]
        if parts[-1] == "__main__":  # running it is its only use
            continue
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return names


def test_every_error_the_toolkit_defines_is_importable_from_consent() -> None:
    public, internal = [], []
    for name in every_module():
        for _, cls in inspect.getmembers(importlib.import_module(name), inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == name:
                if issubclass(cls, ConsentError):
                    public.append(cls)
                else:
                    internal.append(f"{name}.{cls.__name__}")
    assert ConsentError in public and len(public) >= 8
    assert [c.__name__ for c in public if getattr(consent, c.__name__, None) is not c] == []
    assert sorted(internal) == sorted(INTERNAL_ERRORS)


def parts(cls: type, seen: set[type]) -> set[type]:
    """The value types (`Record`s) a value type's fields hold, however deeply nested."""
    if cls in seen:
        return seen
    seen.add(cls)
    pending = list(typing.get_type_hints(cls).values())
    while pending:
        hint = pending.pop()
        pending += typing.get_args(hint)
        if inspect.isclass(hint) and isinstance(getattr(hint, "_fields", None), tuple):
            parts(hint, seen)
    return seen


@pytest.mark.parametrize("root", [Decision, AppSpec])
def test_the_parts_of_what_an_app_reads_are_importable_from_consent(root: type) -> None:
    """An app can annotate with every type it meets in a Decision or an AppSpec."""
    found = parts(root, set())
    assert len(found) > 2, found
    assert sorted(c.__name__ for c in found if getattr(consent, c.__name__, None) is not c) == []
