"""Mutation testing of the modules that decide and send: one command, no extra dependency.

    python scripts/mutate.py                          # every module below, 2 jobs
    python scripts/mutate.py consent/_core/rules.py    # some modules (the rest keep their results)
    python scripts/mutate.py --jobs 1 --list          # show the mutants, run nothing

Each mutant changes one thing in one module: a comparison (`==`/`!=`, `<`/`>=`, `in`/`not in`,
`is`/`is not`), `and`/`or`, a `not` dropped, `True`/`False`, an integer (n -> n + 1, so file modes
and limits too), a string constant (docstrings and annotations are left alone), `+`/`-`, `|`/`&`,
a `return` value replaced by None. The module is rewritten in a scratch copy of the repository and
the module's tests (MODULES below: fast, in-process ones) run there with `pytest -x`; a mutant is
killed when they fail (or time out).

A survivor is either a test still to write or an equivalent mutant: a change no caller can
observe (a message's wording the tests do not pin is not one). Equivalents are listed, each with
its reason, in scripts/mutation_equivalents.json, keyed by module, function, mutation and the
source line (and `nth`, for alike mutants on one line, counted in source order), so an entry goes
stale, and its mutant counts again, when that line changes. The
score of a module is killed / (mutants - equivalents); the command fails when a module scores
below 90 %. Results go to docs/mutation.json, which scripts/reliability_report.py renders in
docs/reliability.md (`--mutation-only` rewrites just that section).
"""

from __future__ import annotations

import argparse
import ast
import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "mutation.json"
EQUIVALENTS = ROOT / "scripts" / "mutation_equivalents.json"
MIN_SCORE = 0.9
COPY = ("consent", "lumogon", "tests", "docs", "pyproject.toml")

# The modules that decide and send (issue 12: the rules, the env grammar, the records, the
# sources, TOML reading, config writing, hits, the gate), and the file opening and writing and
# the sender they rely on; each with the tests that should notice a change in it.
MODULES: dict[str, list[str]] = {
    "consent/_core/rules.py": [
        "tests/core/test_rules.py",
        "tests/core/test_decision_golden.py",
        "tests/store/test_decide.py",
        "tests/store/test_sources.py",
        "tests/store/test_fleet_sources.py",
    ],
    "consent/_core/envgrammar.py": [
        "tests/core/test_env_grammar.py",
        "tests/core/test_decision_golden.py",
        "tests/store/test_decide.py",
        "tests/store/test_sources.py",
    ],
    "consent/_core/records.py": [
        "tests/core/test_records.py",
        "tests/store/test_decide.py",
        "tests/store/test_sources.py",
        "tests/store/test_fleet_sources.py",
    ],
    "consent/_store/sources.py": [
        "tests/store/test_sources.py",
        "tests/store/test_decide.py",
        "tests/store/test_fleet_sources.py",
    ],
    "consent/_store/tomlread.py": [
        "tests/store/test_toml_reading.py",
        "tests/store/test_parse_bounds.py",
        "tests/store/test_special_files.py",
        "tests/store/test_tomlfast.py",
        "tests/store/test_sources.py",
        "tests/store/test_fleet_sources.py",
    ],
    "consent/_store/tomlfast.py": [
        "tests/store/test_tomlfast.py",
        "tests/store/test_toml_reading.py",
        "tests/store/test_parse_bounds.py",
    ],
    "consent/_store/configwrite.py": [
        "tests/store/test_config_write.py",
        "tests/store/test_config_style.py",
        "tests/store/test_special_files.py",
    ],
    "consent/_store/fileio.py": [
        "tests/store/test_fileio.py",
        "tests/store/test_special_files.py",
        "tests/store/test_config_write.py",
    ],
    "consent/_store/safeopen.py": [
        "tests/store/test_safeopen.py",
        "tests/store/test_special_files.py",
        "tests/store/test_fileio.py",
        "tests/store/test_toml_reading.py",
    ],
    "consent/_wire/hits.py": ["tests/wire/test_hits.py", "tests/wire/test_hit_limits.py"],
    "consent/_wire/gate.py": [
        "tests/wire/test_gate.py",
        "tests/wire/test_http.py",
        "tests/wire/test_refusals_reported.py",
        "tests/e2e/test_other_users.py",
        "tests/cli/test_one_decision.py",  # run_decision: a run turned off is decided once, here
    ],
    "consent/_wire/sender.py": [
        "tests/wire/test_sender.py",
        "tests/wire/test_sender_policy.py",
        "tests/wire/test_proxy.py",
        "tests/wire/test_gate.py",
    ],
}

SWAP_CMP = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE,
    ast.LtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
SWAP_BIN = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr}


class Mutant:
    def __init__(
        self, module: str, index: int, line: int, what: str, *, scope: str, source: str
    ) -> None:
        self.module, self.index, self.line, self.what = module, index, line, what
        self.scope, self.source = scope, source
        self.nth = 0  # among mutants alike in scope, mutation and source line, in source order

    def label(self) -> str:
        return f"{self.module}:{self.line} ({self.scope}): {self.what}"

    def key(self) -> Key:
        return (self.module, self.scope, self.what, self.source, self.nth)


Key = tuple[str, str, str, str, int]


def load_equivalents() -> dict[Key, str]:
    """(module, scope, mutation, source line, nth alike) -> why the mutant is equivalent."""
    if not EQUIVALENTS.exists():
        return {}
    entries = json.loads(EQUIVALENTS.read_text("utf-8"))
    return {
        (e["module"], e["scope"], e["mutant"], e["line"], e.get("nth", 0)): e["why"]
        for e in entries
    }


def scopes(tree: ast.Module) -> dict[int, str]:
    """id(node) -> the qualified name of the function or class holding it ("<module>")."""
    found: dict[int, str] = {}

    def visit(node: ast.AST, scope: str) -> None:
        found[id(node)] = scope
        inner = scope
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            inner = node.name if scope == "<module>" else f"{scope}.{node.name}"
        for child in ast.iter_child_nodes(node):
            visit(child, inner)

    visit(tree, "<module>")
    return found


def _skipped(tree: ast.Module) -> set[int]:
    """Nodes never mutated: docstrings, annotations, `if TYPE_CHECKING:` blocks."""
    skip: set[int] = set()

    def all_in(node: ast.AST | None) -> None:
        if node is not None:
            skip.update(id(n) for n in ast.walk(node))

    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        first = body[0] if isinstance(body, list) and body else None
        if _is_docstring(first):
            all_in(first)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            all_in(node.returns)
            for arg in [*node.args.args, *node.args.kwonlyargs, *node.args.posonlyargs]:
                all_in(arg.annotation)
        if isinstance(node, ast.AnnAssign):
            all_in(node.annotation)
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING":
            all_in(node)
        if isinstance(node, ast.JoinedStr):
            all_in(node)  # f-string pieces: messages, mutated through their parts' logic
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id in ("TYPE_CHECKING", "__all__") for t in node.targets
        ):
            all_in(node)
    return skip


def _is_docstring(node: object) -> bool:
    value = node.value if isinstance(node, ast.Expr) else None
    return isinstance(value, ast.Constant) and isinstance(value.value, str)


def _returns_none(node: ast.Return) -> bool:
    return node.value is None or (isinstance(node.value, ast.Constant) and node.value.value is None)


def points(tree: ast.Module) -> Iterator[tuple[ast.AST, str, object, str]]:
    """(node, field, new value, description) for every mutation of `tree`, in a stable order."""
    skip = _skipped(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in SWAP_CMP:
                    ops = list(node.ops)
                    ops[i] = SWAP_CMP[type(op)]()
                    yield node, "ops", ops, f"{type(op).__name__} -> {type(ops[i]).__name__}"
        elif isinstance(node, ast.BoolOp):
            new = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            yield node, "op", new, f"{type(node.op).__name__} -> {type(new).__name__}"
        elif isinstance(node, ast.BinOp) and type(node.op) in SWAP_BIN:
            new_op = SWAP_BIN[type(node.op)]()
            yield node, "op", new_op, f"{type(node.op).__name__} -> {type(new_op).__name__}"
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield node, "op", ast.UAdd(), "`not` dropped"
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                yield node, "value", not value, f"{value} -> {not value}"
            elif isinstance(value, int):
                yield node, "value", value + 1, f"{value} -> {value + 1}"
            elif isinstance(value, float):
                yield node, "value", value * 2 + 1, f"{value} -> {value * 2 + 1}"
            elif isinstance(value, str) and value:
                yield node, "value", "XX" + value, f"string {value[:30]!r} changed"
        elif isinstance(node, ast.Return) and not _returns_none(node):
            yield node, "value", ast.Constant(None), "return value -> None"


def mutants(module: str) -> list[Mutant]:
    source = (ROOT / module).read_text("utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    where = scopes(tree)
    found = []
    position: dict[int, tuple[int, int]] = {}
    for i, (node, _, _, what) in enumerate(points(tree)):
        line = getattr(node, "lineno", 0)
        text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        scope = where.get(id(node), "<module>")
        found.append(Mutant(module, i, line, what, scope=scope, source=text))
        position[i] = (line, getattr(node, "col_offset", 0))
    seen: dict[tuple[str, str, str], int] = {}
    for m in sorted(found, key=lambda m: (position[m.index], m.index)):
        alike = (m.scope, m.what, m.source)
        m.nth = seen.get(alike, 0)
        seen[alike] = m.nth + 1
    return found


def mutated_source(module: str, index: int) -> str:
    tree = ast.parse((ROOT / module).read_text("utf-8"))
    for i, (node, field, value, _) in enumerate(points(tree)):
        if i == index:
            if isinstance(node, ast.UnaryOp) and field == "op":
                # `not x` -> `x`: replace the operator by a unary plus on a bool()
                node.op = ast.UAdd()
                node.operand = ast.Call(ast.Name("bool", ast.Load()), [node.operand], [])
            else:
                setattr(node, field, copy.deepcopy(value))
            return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    raise IndexError(index)


def scratch_copy() -> Path:
    where = Path(tempfile.mkdtemp(prefix="consent-mutate-"))
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, where / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, where / name)
    return where


def run_tests(where: Path, tests: list[str], timeout: float) -> str:
    env = {**os.environ, "PYTHONPATH": str(where), "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("CONSENT_RELIABILITY_OUT", None)
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests]
    try:
        proc = subprocess.run(
            cmd, cwd=where, env=env, capture_output=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        return "timeout"
    return "survived" if proc.returncode == 0 else "killed"


def run_module(module: str, jobs: int) -> dict[str, object]:
    tests = MODULES[module]
    found = mutants(module)
    copies = [scratch_copy() for _ in range(jobs)]
    try:
        start = time.monotonic()
        # Twice before giving up, to tell a flaky run (a loaded machine) from a real failure.
        if run_tests(copies[0], tests, 600) != "survived" != run_tests(copies[0], tests, 600):
            raise RuntimeError(f"{module}: its tests fail without any mutation")
        baseline = time.monotonic() - start
        timeout = max(30.0, baseline * 5)
        free = list(copies)
        results: dict[int, str] = {}

        def one(m: Mutant) -> None:
            where = free.pop()
            target = where / module
            original = target.read_text("utf-8")
            try:
                target.write_text(mutated_source(module, m.index), "utf-8")
                results[m.index] = run_tests(where, tests, timeout)
            finally:
                target.write_text(original, "utf-8")
                free.append(where)

        with ThreadPoolExecutor(max_workers=jobs) as pool:
            list(pool.map(one, found))
    finally:
        for where in copies:
            shutil.rmtree(where, ignore_errors=True)
    listed = load_equivalents()
    survivors, equivalent = [], []
    for m in found:
        if results[m.index] != "survived":
            if m.key() in listed:
                print(f"listed as equivalent, yet killed: {m.label()}", file=sys.stderr)
        elif m.key() in listed:
            equivalent.append({"mutant": m.label(), "why": listed[m.key()]})
        else:
            survivors.append(m.label())
    stale = set(k for k in listed if k[0] == module) - {m.key() for m in found}
    for key in sorted(stale):
        print(f"stale entry in {EQUIVALENTS.name} (no such mutant now): {key}", file=sys.stderr)
    killed = sum(1 for r in results.values() if r in ("killed", "timeout"))
    data = {
        "tests": tests,
        "mutants": len(found),
        "killed": killed,
        "equivalent": equivalent,
        "survivors": survivors,
    }
    print(f"{module}: {killed}/{len(found)} killed, {len(equivalent)} equivalent, "
          f"score {score(data):.1%}", file=sys.stderr)  # fmt: skip
    return data


def score(data: dict[str, Any]) -> float:
    """Killed out of the mutants that are not equivalent."""
    counted = int(data["mutants"]) - len(data.get("equivalent", []))
    return int(data["killed"]) / max(counted, 1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="modules to run (default: all)")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument("--out", type=Path, default=RESULTS, help="the results file")
    args = parser.parse_args(argv)
    modules = args.modules or list(MODULES)
    if args.list:
        for module in modules:
            for m in mutants(module):
                print(m.label())
        return 0
    out: Path = args.out

    def saved() -> dict[str, Any]:
        data = json.loads(out.read_text("utf-8")) if out.exists() else {}
        return {m: d for m, d in data.items() if m in MODULES}  # a module taken off the list

    data = saved()
    failed = []
    for module in modules:
        try:
            result = run_module(module, args.jobs)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            failed.append(module)
            continue
        # Saved after each module (read again first: another run may have saved meanwhile), so
        # that a long run stopped half-way keeps what it found.
        data = {**saved(), module: result}
        out.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", "utf-8")
    total = sum(int(d["mutants"]) - len(d.get("equivalent", [])) for d in data.values())
    killed = sum(int(d["killed"]) for d in data.values())
    print(f"score: {killed}/{total} = {killed / max(total, 1):.1%}", file=sys.stderr)
    low = [m for m in MODULES if m in data and score(data[m]) < MIN_SCORE]
    for module in low:
        print(f"{module}: {score(data[module]):.1%} is below {MIN_SCORE:.0%}", file=sys.stderr)
    return 1 if failed or low else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
