"""The package's shape: layers that import only downward, no import cycle, a pure core.

Every import counts, at module level or inside a function: a lazy import is still a
dependency. The layers, lowest first, are drawn in docs/architecture.md.
"""

from __future__ import annotations

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# Lowest first: a module may import its own layer and the ones before it, never a later one.
LAYERS = (
    "consent._errors",
    "consent._glance",  # the files a start reads (policy, project, config): os and sys only
    "consent._start",  # every off run decided before the rest loads: os and sys only
    "consent._core",
    "consent._store",
    "consent._wire",
    "consent._notice",
    "consent._cli",  # the framework-neutral command line
    "consent._cli.adapters",  # typer, click, argparse: each fits the neutral layer to its framework
    "consent.testing",
    "consent",  # the public API (lazy re-exports of every layer) and each adapter's start path
    "lumogon",
)
# core is pure: these, and nothing else, may be imported there.
CORE_ALLOWED = {
    "__future__",
    "typing",
    "typing_extensions",
    "collections.abc",
    "_collections_abc",  # what collections.abc re-exports, loaded by every interpreter at start
    "math",
    "json",
    "json.encoder",
    "_json",
    "hashlib",
    "_sha2",
    "_sha256",
    "ipaddress",  # consent/_core/endpoint.py: the rare loopback spellings; pure computation
    "contextvars",  # consent/_core/runs.py: the scope of a command's run; no I/O
    "_contextvars",
    "re",  # consent/_core/jsonline.py: dropping strings before the nesting is counted; pure
}


# Where each distribution's top-level package lives in the repository.
PACKAGES = {"consent": ROOT / "consent", "lumogon": ROOT / "lumogon" / "src" / "lumogon"}


def module_name(path: Path) -> str:
    for base in PACKAGES.values():
        if path.is_relative_to(base):
            parts = [base.name, *path.relative_to(base).with_suffix("").parts]
            break
    else:
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources() -> dict[str, Path]:
    found = {}
    for base in PACKAGES.values():
        for path in sorted(base.rglob("*.py")):
            if "_audit" not in path.parts:  # the audit hook runs before anything, stdlib only
                found[module_name(path)] = path
    return found


def imports(path: Path, name: str, known: set[str]) -> set[str]:
    """Every module (ours or not) that `path` imports, wherever the import statement is."""
    tree = ast.parse(path.read_text("utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1])
                base = f"{base}.{node.module}" if node.module else base
            for alias in node.names:
                child = f"{base}.{alias.name}"
                out.add(child if child in known else base)
    return out


def layer(module: str) -> int:
    best = -1
    for i, prefix in enumerate(LAYERS):
        if (module == prefix or module.startswith(prefix + ".")) and (
            best < 0 or len(prefix) > len(LAYERS[best])
        ):
            best = i
    return best


def graph() -> dict[str, set[str]]:
    mods = sources()
    known = set(mods)
    return {name: imports(path, name, known) for name, path in mods.items()}


def ours(module: str) -> bool:
    return layer(module) >= 0


def test_every_module_is_in_a_layer_and_imports_only_downward() -> None:
    upward = []
    for module, deps in graph().items():
        assert layer(module) >= 0, module
        for dep in filter(ours, deps):
            if layer(dep) > layer(module):
                upward.append(f"{module} -> {dep}")
    assert upward == []


def test_no_import_cycle() -> None:
    full = graph()
    g = {m: {d for d in deps if d in full} for m, deps in full.items()}
    cycles = []
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for dep in sorted(g[node]):
            # A package's __init__ importing its own sub-module is how a package re-exports.
            if dep.startswith(node + "."):
                continue
            if state.get(dep) == 1:
                cycles.append(" -> ".join([*stack[stack.index(dep) :], dep]))
            elif dep not in state:
                visit(dep)
        stack.pop()
        state[node] = 2

    for node in sorted(g):
        if node not in state:
            visit(node)
    assert cycles == []


def test_the_checker_sees_an_upward_import_and_a_cycle(tmp_path: Path) -> None:
    """The two checks above can fail: the same functions on a small made-up package."""
    pkg = tmp_path / "consent"
    (pkg / "core").mkdir(parents=True)
    (pkg / "store").mkdir()
    (pkg / "core" / "a.py").write_text("def f():\n    from consent._store import b\n")
    (pkg / "store" / "b.py").write_text("from consent._core import a\n")
    known = {"consent._core.a", "consent._store.b"}
    seen_a = imports(pkg / "core" / "a.py", "consent._core.a", known)
    seen_b = imports(pkg / "store" / "b.py", "consent._store.b", known)
    assert seen_a == {"consent._store.b"} and layer("consent._store.b") > layer("consent._core.a")
    assert "consent._core.a" in seen_b  # so a -> b -> a is a cycle


# The public face, listed in docs/api.md (tests/test_public_api.py): what lumogon, the example
# apps and the benchmarks' apps may import, as any app would. Every other module of consent is
# private, whatever its name (consent._core, an old name like consent.core, consent.testing._audit).
PUBLIC = ("consent", "consent.click", "consent.argparse")
# Code written as an adopter writes it, so held to the public face. bench/*.py beside bench/apps/
# are measuring tools, not apps: bench/growth.py times the decision in process, so they reach the
# internals on purpose.
ADOPTERS = {
    "lumogon": ROOT / "lumogon" / "src" / "lumogon",
    "example": ROOT / "docs" / "examples",
    "bench app": ROOT / "bench" / "apps",
}


def is_public(module: str) -> bool:
    parts = module.split(".")
    if module in PUBLIC:
        return True
    return parts[:2] == ["consent", "testing"] and not any(p.startswith("_") for p in parts)


def _consent(module: str) -> bool:
    return module == "consent" or module.startswith("consent.")


def private_imports(path: Path) -> list[str]:
    """Each import of a private part of consent in `path`, wherever the statement is: a private
    module, a private name of a public one, or a private module named to importlib."""
    bad = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            bad += [a.name for a in node.names if _consent(a.name) and not is_public(a.name)]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and _consent(node.module or ""):
            module = node.module or ""
            if not is_public(module):
                bad.append(module)
            else:
                bad += [f"{module}.{a.name}" for a in node.names if a.name.startswith("_")]
        elif isinstance(node, ast.Call) and node.args:
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            first = node.args[0]
            if (
                name in ("import_module", "__import__")
                and isinstance(first, ast.Constant)
                and isinstance(first.value, str)
                and _consent(first.value)
                and not is_public(first.value)
            ):
                bad.append(first.value)
    return bad


def adopter_sources() -> list[Path]:
    found = []
    for base in ADOPTERS.values():
        for path in sorted(base.rglob("*.py")):
            parts = path.relative_to(base).parts
            if not any(p.startswith(".") or p in ("build", "dist") for p in parts):
                found.append(path)
    return found


def test_lumogon_the_examples_and_the_bench_apps_import_only_the_public_face() -> None:
    sources = adopter_sources()
    # Each kind of adopter is there to be checked (a moved folder would check nothing).
    for base in ADOPTERS.values():
        assert any(path.is_relative_to(base) for path in sources), base
    bad = [f"{p.relative_to(ROOT)}: {m}" for p in sources for m in private_imports(p)]
    assert bad == []


def test_the_checker_sees_every_way_to_reach_the_internals(tmp_path: Path) -> None:
    """The check above can fail: each spelling of a private import is caught, and the public
    face passes."""
    app = tmp_path / "app.py"
    app.write_text(
        "import importlib\n"
        "import consent._store.choices\n"
        "from consent._core.value import Record\n"
        "from consent import AppSpec, _EXPORTS\n"
        "from consent.core import spec\n"
        "from consent.testing._audit import sitecustomize\n"
        "def later():\n"
        "    from consent._cli.adapters.typerapp import install\n"
        "    return importlib.import_module('consent._wire.gate')\n"
    )
    assert private_imports(app) == [
        "consent._store.choices",
        "consent._core.value",
        "consent._EXPORTS",
        "consent.core",
        "consent.testing._audit",
        "consent._cli.adapters.typerapp",
        "consent._wire.gate",
    ]
    app.write_text(
        "import consent, consent.click\n"
        "from consent import AppSpec, Decision, decide\n"
        "from consent.argparse import install, run\n"
        "from consent.testing.collector import Collector\n"
        "from consent.testing.home import Home\n"
        "from . import telemetry\n"
    )
    assert private_imports(app) == []


def test_core_is_pure() -> None:
    bad = []
    for module, deps in graph().items():
        if layer(module) == LAYERS.index("consent._core"):
            bad += [f"{module} -> {d}" for d in deps if not ours(d) and d not in CORE_ALLOWED]
            bad += [f"{module} -> {d}" for d in deps if ours(d) and layer(d) > layer(module)]
    assert bad == []


@pytest.mark.parametrize("package", ["consent._core", "consent._store", "consent._wire",
                                     "consent._notice", "consent._cli", "consent._cli.adapters",
                                     "consent.testing"])  # fmt: skip
def test_each_sub_package_stays_small(package: str) -> None:
    path = ROOT / package.replace(".", "/")
    modules = [p for p in path.glob("*.py") if p.name != "__init__.py"]
    assert 0 < len(modules) <= 12, sorted(p.name for p in modules)


def test_only_the_facade_the_errors_and_the_start_paths_live_at_the_top() -> None:
    top = sorted(p.name for p in (ROOT / "consent").glob("*.py"))
    # _start.py and _glance.py: the start (design §8), which a host command's first import
    # reaches; argparse.py, click.py, _typer.py (`consent.install`) and _tree.py (what the click
    # and typer ones share): each adapter's start path (docs/architecture.md says why).
    assert top == [
        "__init__.py",
        "_errors.py",
        "_glance.py",
        "_start.py",
        "_tree.py",
        "_typer.py",
        "argparse.py",
        "click.py",
    ]


# The start path: what a run that is off imports, module by module. Each module at the top
# imports, outside its functions, only the standard library modules its framework has already
# loaded (argparse programs do not load typing or __future__; typer does not load __future__)
# and the start path below it; everything else of consent (the telemetry commands, a run that
# may send, show or ask, under consent/_cli/adapters/) it imports inside the function that needs
# it. tests/e2e/test_lean_disabled_path.py holds the same by the modules a run loads.
START_PATH = {
    "consent": {"sys"},
    "consent._glance": {"os", "sys"},
    "consent._start": {"os", "sys"},
    "consent.argparse": {"argparse", "sys", "consent._start"},
    "consent._tree": {"sys", "collections.abc", "typing", "consent._start"},
    "consent.click": {"typing", "click", "consent._start", "consent._tree"},
    "consent._typer": {
        "inspect",
        "sys",
        "collections.abc",
        "typing",
        "typer",
        "typer.main",
        "typer.core",
        "consent._start",
        "consent._tree",
    },
}


def top_level_imports(path: Path) -> set[str]:
    """The modules `path` imports as it is imported: outside functions and outside
    `if TYPE_CHECKING:` blocks."""
    found: set[str] = set()

    def visit(body: list[ast.stmt]) -> None:
        for node in body:
            if isinstance(node, ast.Import):
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom):
                found.add(node.module or "")
            elif isinstance(node, ast.If):
                if not (isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"):
                    visit(node.body)
                visit(node.orelse)
            elif isinstance(node, (ast.Try, ast.With)):
                visit(node.body)

    visit(ast.parse(path.read_text("utf-8")).body)
    return found


@pytest.mark.parametrize("module", sorted(START_PATH))
def test_the_start_path_imports_only_what_its_framework_has_loaded(module: str) -> None:
    path = sources()[module]
    assert top_level_imports(path) <= START_PATH[module], sorted(
        top_level_imports(path) - START_PATH[module]
    )


def test_the_checker_sees_an_import_on_the_start_path(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "import os\nTYPE_CHECKING = False\nif TYPE_CHECKING:\n    import typing\n"
        "try:\n    from consent._core import spec\nexcept ImportError:\n    pass\n"
        "def f():\n    import json\n"
    )
    assert top_level_imports(module) == {"os", "consent._core"}


def test_importing_consent_loads_neither_lumogon_nor_the_testing_kit() -> None:
    code = (
        "import sys, consent; from consent import AppSpec, decide, install, record_event; "
        "bad = sorted(m for m in sys.modules if m == 'lumogon' or m.startswith('lumogon.') "
        "or m.startswith('consent.testing')); print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_one_function_reasons_send_keep_or_drop() -> None:
    """The verdict (issue 21): only `_purpose` in consent/_core/rules.py builds a purpose's
    decision, every path that decides a hit asks `Decision.verdict`, and no module outside the
    rules reads a purpose's `enabled` or `local` to decide for itself."""
    builders = []
    for path in sorted((ROOT / "consent").rglob("*.py")):
        tree = ast.parse(path.read_text("utf-8"))
        for func in ast.walk(tree):
            if not isinstance(func, ast.FunctionDef):
                continue
            for node in ast.walk(func):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Name)
                    and node.func.id == "PurposeDecision"
                ):
                    builders.append(f"{path.relative_to(ROOT)}:{func.name}")
        if path.name != "rules.py":
            text = path.read_text("utf-8")
            assert not re.search(r"\b(chosen|pd|p)\.(enabled|local)\b", text), path
    assert set(builders) == {"consent/_core/rules.py:_purpose"}
    for user in ("_wire/gate.py", "_wire/sender.py", "_notice/status.py", "_cli/hostrun.py"):
        assert ".verdict(" in (ROOT / "consent" / user).read_text("utf-8"), user
