"""Regenerate docs/api.md, the listing of consent's public API: python scripts/render_api.py

The public modules are `consent`, `consent.click`, `consent.argparse`, `consent.testing` and
every module below `consent.testing` whose dotted name has no part starting with an underscore;
everything else in the package is private (docs/architecture.md). A module's public names are
its `__all__`, or else every name it defines at its top level without a leading underscore.
Each is listed with its kind and signature: a class with its fields (a value type's, in their
positional order), its constructor and its public methods; a function with its parameters; a
constant with its type. tests/test_public_api.py fails when docs/api.md differs from this listing
of the code, so a change to the public API is a visible diff in a review.
"""

from __future__ import annotations

import ast
import enum
import importlib
import inspect
import re
import sys
import typing
from pathlib import Path, PurePath
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
TARGET = ROOT / "docs" / "api.md"
PACKAGE = ROOT / "consent"
TOP = ("consent", "consent.click", "consent.argparse")
# Special methods a caller uses by name or by syntax (`with`, calling, iterating).
DUNDERS = ("__init__", "__enter__", "__exit__", "__call__", "__iter__", "__len__")
ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")
SCALARS = (bool, int, float, str, type(None))


def public_modules() -> list[str]:
    """The public modules, in the order the page lists them."""
    testing = []
    for path in sorted((PACKAGE / "testing").rglob("*.py")):
        parts = ["consent", *path.relative_to(PACKAGE).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        if not any(part.startswith("_") for part in parts):
            testing.append(".".join(parts))
    return [*TOP, *sorted(testing)]


def public_names(module: ModuleType) -> list[str]:
    """`__all__`, or the names the module's source defines at its top level (not imports)."""
    declared = getattr(module, "__all__", None)
    if declared is not None:
        return sorted(declared)
    tree = ast.parse(inspect.getsource(module))
    names: list[str] = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.append(node.target.id)
    return sorted({n for n in names if not n.startswith("_") and n != "TYPE_CHECKING"})


class _Text:
    """An annotation as written: `from __future__ import annotations` keeps them as strings,
    which inspect would quote."""

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text


def _annotation(value: Any) -> Any:
    if value is inspect.Parameter.empty:
        return value
    if isinstance(value, str):
        return _Text(value)
    return _Text(inspect.formatannotation(value))


def _default(value: Any) -> Any:
    if value is inspect.Parameter.empty:
        return value
    return _Text(ADDRESS.sub("", repr(value)))


def signature(func: Any) -> str:
    """`(spec: AppSpec, *, flag: bool = False) -> Decision`, annotations as written."""
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return "(...)"
    params = [
        p.replace(annotation=_annotation(p.annotation), default=_default(p.default))
        for p in sig.parameters.values()
    ]
    return str(sig.replace(parameters=params, return_annotation=_annotation(sig.return_annotation)))


def _constant(name: str, value: Any) -> str:
    kind = "Path" if isinstance(value, PurePath) else type(value).__name__  # not PosixPath
    if isinstance(value, enum.Enum):
        return f"{name}: {kind} = {kind}.{value.name}"
    if isinstance(value, SCALARS) and len(repr(value)) <= 60:
        return f"{name}: {kind} = {value!r}"
    return f"{name}: {kind}"


def _field_annotation(cls: type, field: str) -> str:
    for klass in cls.__mro__:
        annotation = inspect.get_annotations(klass).get(field)
        if annotation is not None:
            return str(_annotation(annotation))
    return "Any"


def _mixins(cls: type) -> list[type]:
    """The private bases that only lend members (consent/_start.py `AppNames`): listed as the
    class's own, not as bases, so the listing shows what an app can use."""
    return [
        b
        for b in cls.__bases__
        if b is not object and b.__module__ == "consent._start" and b.__name__[:1] != "_"
    ]


def _class(name: str, cls: type) -> list[str]:
    mixins = _mixins(cls)
    bases = ", ".join(b.__name__ for b in cls.__bases__ if b is not object and b not in mixins)
    lines = [f"class {name}({bases}):" if bases else f"class {name}:"]
    body: list[str] = []
    if issubclass(cls, enum.Enum):
        body += [f"{member.name} = {member.value!r}" for member in cls]
    fields = getattr(cls, "_fields", None)
    if isinstance(fields, tuple):  # a value type (consent's Record): its fields, in order
        defaults: dict[str, Any] = getattr(cls, "_defaults", {})
        for field in fields:
            text = f"{field}: {_field_annotation(cls, field)}"
            if field in defaults:
                text += f" = {_default(defaults[field])!r}"
            body.append(text)
    members = [item for klass in (cls, *mixins) for item in klass.__dict__.items()]
    for attr, value in members:
        if attr.startswith("_") and attr not in DUNDERS:
            continue
        if isinstance(value, property):
            body.append(f"@property {attr}{signature(value.fget)}")
        elif isinstance(value, classmethod):
            body.append(f"@classmethod {attr}{signature(value.__func__)}")
        elif isinstance(value, staticmethod):
            body.append(f"@staticmethod {attr}{signature(value.__func__)}")
        elif inspect.isfunction(value):
            body.append(f"def {attr}{signature(value)}")
        elif not issubclass(cls, enum.Enum) and not callable(value) and fields is None:
            body.append(_constant(attr, value))
    return lines + [f"    {line}" for line in body or ["..."]]


def describe(module: ModuleType, name: str, owners: dict[int, str]) -> list[str]:
    """The lines that list `module.name`: its kind and signature, or where it is listed."""
    value = getattr(module, name)
    home = owners.get(id(value))
    if home is not None and home != module.__name__:
        return [f"{name} = {home}.{name}"]  # listed once, where it is defined
    if inspect.ismodule(value):
        return [f"import {value.__name__} as {name}"]
    if typing.get_origin(value) is not None:  # a type alias: Literal[...], dict[str, object]
        return [f"{name} = {inspect.formatannotation(value).replace('typing.', '')}"]
    if inspect.isclass(value):
        return _class(name, value)
    if callable(value):
        return [f"def {name}{signature(value)}"]
    return [_constant(name, value)]


def listing() -> dict[str, list[str]]:
    """Each public module with the lines that list its public names."""
    modules = [importlib.import_module(m) for m in public_modules()]
    # Where each class and function is listed in full: the public module that defines it, or the
    # first public module that names it when it is defined in a private one.
    owners: dict[int, str] = {}
    for module in modules:
        for name in public_names(module):
            value = getattr(module, name)
            if (inspect.isclass(value) or inspect.isfunction(value)) and getattr(
                value, "__module__", ""
            ) == module.__name__:
                owners[id(value)] = module.__name__
    for module in modules:
        for name in public_names(module):
            value = getattr(module, name)
            if inspect.isclass(value) or inspect.isfunction(value):
                owners.setdefault(id(value), module.__name__)
    out = {}
    for module in modules:
        lines: list[str] = []
        for name in public_names(module):
            lines += describe(module, name, owners)
        out[module.__name__] = lines
    return out


HEAD = """\
# API reference

<!-- Generated by scripts/render_api.py from the code; tests/test_public_api.py keeps it fresh. -->

The whole public API of consent: every name an app, a test or a tool may import, with its kind
and signature. Annotations are shown as written in the source. A *value type* (a class whose
body lists fields) is immutable: construct it with its fields in this order, by position or by
name; it compares by value, and `.replace(**changes)`, `.asdict()` and `.astuple()` copy it.
Everything else in the package (`consent._core`, `consent._store`, `consent._wire`,
`consent._notice`, `consent._cli`, `consent._errors`, `consent.testing._audit`) is private and may
change in any release; [Architecture](architecture.md) says why it is split that way.

A change to this page is a change to the API: it is regenerated with
`python scripts/render_api.py`, and the test suite fails while it differs from the code.
"""


def markdown(entries: dict[str, list[str]]) -> str:
    parts = [HEAD]
    for module, lines in entries.items():
        doc = inspect.getdoc(sys.modules[module]) or ""
        summary = doc.split("\n\n")[0].replace("\n", " ")
        parts.append(f"## `{module}`\n")
        if summary:
            parts.append(f"{summary}\n")
        parts.append("```python\n" + "\n".join(lines or ["# (no public names)"]) + "\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    TARGET.write_text(markdown(listing()), encoding="utf-8")
    print(f"wrote {TARGET}")
