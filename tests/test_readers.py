"""The inventory of readers of outside input (docs/security.md, "Readers of outside input") and
the fuzz harness hold each other (issue 24): every reader listed names an entry point that exists
and a fuzz property that exists, and every fuzz property in the suite is some reader's."""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FUZZ_MODULES = (
    "tests/store/test_fuzz_files.py",
    "tests/wire/test_fuzz_wire.py",
    "tests/cli/test_fuzz_terminal.py",
    "tests/lumogon/test_fuzz_answers.py",
)
# Fuzz properties that check a rule several readers share rather than a reader of their own.
SHARED = {"test_fuzz_loopback"}  # the endpoint's and the proxy variables' loopback rule


def inventory() -> dict[str, tuple[list[str], str]]:
    """reader -> (its entry points, its fuzz property `file::test`), from the page's table."""
    page = (ROOT / "docs" / "security.md").read_text("utf-8")
    section = page.split("## Readers of outside input", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    out = {}
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        name, entry, fuzz = cells[0].strip("`"), cells[2], cells[-1].strip("`")
        out[name] = ([e.strip("`") for e in entry.split("`") if "." in e and " " not in e], fuzz)
    return out


def test_every_reader_names_an_entry_point_that_exists() -> None:
    readers = inventory()
    assert len(readers) >= 19
    for name, (entries, _) in readers.items():
        assert entries, f"{name}: no entry point"
        for dotted in entries:
            assert resolved(dotted) is not None, f"{name}: {dotted} does not exist"


def resolved(dotted: str) -> object:
    """The object a dotted name names: the longest importable module, then its attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attr in parts[cut:]:
            found = getattr(found, attr, None)
        return found
    return None


def test_every_reader_has_its_fuzz_property_and_every_property_a_reader() -> None:
    listed = {fuzz for _, fuzz in inventory().values()}
    found = set()
    for path in FUZZ_MODULES:
        module = importlib.import_module(path.removesuffix(".py").replace("/", "."))
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("test_fuzz_") and fn.__module__ == module.__name__:
                found.add(f"{path}::{name}")
    shared = {f for f in found if f.split("::")[1] in SHARED}
    assert listed == found - shared
    for name, (_, fuzz) in inventory().items():
        assert fuzz.endswith(f"::test_fuzz_{name}"), f"{name}: its property is {fuzz}"
