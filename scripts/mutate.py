"""Mutation testing of the modules that decide, send and read: one command, no extra dependency.

    python scripts/mutate.py                           # every module below
    python scripts/mutate.py consent/_core/rules.py     # some modules (the rest keep their results)
    python scripts/mutate.py --list                    # show the mutants, run nothing
    nice -n 10 python scripts/mutate.py --jobs 1 consent/_wire/proxy.py   # on a shared machine

Each mutant changes one thing in one module:

- a comparison negated (`==`/`!=`, `<`/`>=`, `in`/`not in`, `is`/`is not`) or moved by its
  boundary (`<` -> `<=`, `<=` -> `<`, `>` -> `>=`, `>=` -> `>`);
- `and`/`or` swapped, or one operand of an `and`/`or` dropped;
- a `not` dropped; `True`/`False`; an integer (n -> n + 1: file modes and limits too); a float;
- a string constant, inside f-strings too (docstrings and annotations are left alone);
- `+`/`-`, `|`/`&`;
- a `return` value replaced by None;
- a statement deleted (replaced by `pass`);
- a branch forced: `if cond` -> `if True` and `if False` (conditional expressions alike), a
  `while` never entered;
- a keyword argument dropped (`start_new_session=True`, `timeout=…`, `follow=False`).

The module is rewritten in a scratch copy of the repository and the module's tests (MODULES:
fast, mostly in-process ones; the `slow`-marked ones left out) run there with `pytest -x`, in a
process forked from this one after it imported pytest and the test dependencies (never consent or
lumogon), so that a mutant costs its tests and little more; a mutant is killed when they fail, or
time out twice (the second time given three times as long: a loaded machine stalls runs too).
Which test runs which line is traced once per module: a mutant runs the tests that ran its lines
(all of them for a line run at import, or by no test in this process, as a subprocess may run
it). That can only miss a kill, never invent one; `--again --full` runs the survivors against
every test.

A survivor is one of three things, each reported apart:

- *not covered here*: code this platform cannot run (a branch for another OS, the default of
  `getattr(os, "O_BINARY", 0)` where os has the name, a platform name whose change leaves the
  test's answer the same here), found from the source, not listed by hand. It is left out of
  the score, and counted and listed beside it: the tests run on POSIX;
- *equivalent*: a change no caller can observe, listed with its reason in
  scripts/mutation_equivalents.json (keyed by module, function, mutation and the source line,
  and `nth` for alike mutants on one line in source order, so an entry lapses, and its mutant
  counts again, when that line changes). Left out of the score;
- a survivor: a test still to write. It counts against the score; when it is listed in the
  same file with `"kind": "survives"`, its reason (why no test kills it yet) is reported with it.

The score of a module is killed / (mutants - equivalent - not covered here); the command fails
when a module scores below 90 %. Results go to docs/mutation.json, which
scripts/reliability_report.py renders in docs/reliability.md (`--mutation-only`).
"""

from __future__ import annotations

import argparse
import ast
import contextlib
import copy
import json
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "mutation.json"
EQUIVALENTS = ROOT / "scripts" / "mutation_equivalents.json"
MIN_SCORE = 0.9
COPY = ("consent", "lumogon", "tests", "docs", "pyproject.toml")

# The modules that decide (the rules, the env grammar, the records, the sources), send (hits,
# the gate, the job, the sender, the proxy route) and read outside input (every reader of
# docs/security.md's inventory, and the files they rely on); each with the tests that should
# notice a change in it, fastest first (`pytest -x` stops at the first failure).
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
        "tests/store/test_packager_defaults.py",  # defaults_terms, exactly
        "tests/store/test_decide.py",
        "tests/store/test_sources.py",
        "tests/store/test_fleet_sources.py",
    ],
    "consent/_core/endpoint.py": [
        "tests/core/test_endpoint.py",
        "tests/wire/test_http.py",
        "tests/wire/test_proxy.py",
        "tests/wire/test_fuzz_wire.py",
        "tests/core/test_records.py",
    ],
    "consent/_core/jsonline.py": [
        "tests/core/test_jsonline.py",
        "tests/store/test_fuzz_files.py",
        "tests/wire/test_fuzz_wire.py",
        "tests/store/test_log.py",
    ],
    "consent/_store/sources.py": [
        "tests/store/test_sources.py",
        "tests/store/test_decide.py",
        "tests/store/test_fleet_sources.py",
        "tests/store/test_policy_table.py",  # plist and registry policies, one table
        "tests/store/test_policy_links.py",  # a policy through links
        "tests/store/test_packager_defaults.py",
    ],
    "consent/_core/words.py": [
        "tests/core/test_words.py",
        "tests/store/test_notice_version.py",
        "tests/store/test_purpose_choices.py",
        "tests/store/test_public_choices.py",
        "tests/cli/test_consent_state_machine.py",  # the stateful property, against its oracle
        "tests/cli/test_purpose_commands.py",
    ],
    "consent/_store/choices.py": [
        "tests/store/test_public_choices.py",
        "tests/store/test_purpose_choices.py",
        "tests/store/test_notice_version.py",
        "tests/store/test_receipts.py",
        "tests/cli/test_purpose_commands.py",
        "tests/cli/test_consent_state_machine.py",  # every way of speaking, against its oracle
    ],
    "consent/_store/paths.py": [
        "tests/store/test_paths.py",
        "tests/store/test_fleet_sources.py",
        "tests/store/test_policy_table.py",
        "tests/store/test_packager_defaults.py",
    ],
    "consent/_store/tomlread.py": [
        "tests/store/test_toml_caps.py",
        "tests/store/test_toml_reading.py",
        "tests/store/test_parse_bounds.py",
        "tests/store/test_special_files.py",
        "tests/store/test_tomlfast.py",
        "tests/store/test_sources.py",
        "tests/store/test_fleet_sources.py",
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
        "tests/store/test_policy_links.py",  # resolve_trusted
        "tests/store/test_special_files.py",
        "tests/store/test_fileio.py",
        "tests/store/test_toml_reading.py",
    ],
    "consent/_store/receipts.py": [
        "tests/store/test_receipts_record.py",
        "tests/store/test_receipts.py",
        "tests/store/test_fuzz_files.py",
    ],
    "consent/_store/log.py": [
        "tests/store/test_log.py",
        "tests/store/test_log_rotation.py",
        "tests/store/test_fuzz_files.py",
    ],
    "consent/_store/identity.py": [
        "tests/store/test_identity.py",
        "tests/store/test_fuzz_files.py",
        "tests/core/test_value.py",  # StoredId's annotations resolve (`Where`)
    ],
    # The start (issue 23): what a host command decides before the rest of consent loads.
    "consent/_glance.py": [
        "tests/store/test_glance.py",
        "tests/store/test_tomlfast.py",
        "tests/store/test_fuzz_files.py",
        "tests/e2e/test_start_differential.py",
    ],
    "consent/_start.py": [
        "tests/cli/test_start.py",  # the names, the modes, the terminal rule, the off runs' scopes
        "tests/cli/test_lazy_reference.py",
        "tests/core/test_env_grammar.py",  # the words and markers defined here, read there
        "tests/core/test_cheap_spec.py",
        "tests/cli/test_adapters.py",
        "tests/cli/test_one_decision.py",  # an off run through the typer adapter, and after it
        "tests/e2e/test_start_differential.py",
        "tests/e2e/test_lean_disabled_path.py",  # each off case imports nothing more
    ],
    "consent/_wire/hits.py": ["tests/wire/test_hits.py", "tests/wire/test_hit_limits.py"],
    "consent/_wire/gate.py": [
        "tests/wire/test_gate.py",
        "tests/wire/test_spawn.py",
        "tests/wire/test_http.py",
        "tests/wire/test_refusals_reported.py",
        "tests/e2e/test_other_users.py",
        "tests/cli/test_one_decision.py",  # run_decision: a run turned off is decided once, here
        "tests/cli/test_start.py",  # an off run decided where and as its command started
    ],
    "consent/_wire/job.py": [
        "tests/wire/test_job.py",
        "tests/wire/test_fuzz_wire.py",
        "tests/wire/test_sender.py",
        "tests/wire/test_gate.py",
    ],
    "consent/_wire/sender.py": [
        "tests/wire/test_sender.py",
        "tests/wire/test_sender_policy.py",
        "tests/wire/test_proxy.py",
        "tests/wire/test_fuzz_wire.py",
        "tests/wire/test_gate.py",
    ],
    # The request bytes (every protocol's), and the OpenTelemetry encoding and its rules.
    "consent/_wire/http.py": [
        "tests/wire/test_http.py",
        "tests/core/test_protocols.py",
        "tests/wire/test_otlp_wire.py",
        "tests/wire/test_hit_limits.py",
        "tests/wire/test_sender.py",
    ],
    "consent/_wire/otlp.py": [
        "tests/wire/test_otlp_wire.py",
        "tests/testing/test_collector_otlp.py",
    ],
    "consent/_core/otlp.py": [
        "tests/core/test_otlp_spec.py",
        "tests/wire/test_http.py",  # MAX_BODY, and what the notice says of the body (ENVELOPE)
        "tests/wire/test_otlp_wire.py",
        "tests/testing/test_collector_otlp.py",
    ],
    "consent/_wire/proxy.py": [
        "tests/wire/test_proxy.py",
        "tests/wire/test_fuzz_wire.py",
        "tests/e2e/test_proxy.py",
    ],
    "consent/_cli/console.py": [
        "tests/cli/test_console.py",
        "tests/cli/test_fuzz_terminal.py",
        "tests/e2e/test_terminal.py",
        "tests/cli/test_telemetry.py",
    ],
    "lumogon/src/lumogon/transport.py": [
        "tests/lumogon/test_transport.py",
        "tests/lumogon/test_docker.py",
        "tests/lumogon/test_report.py",
        "tests/lumogon/test_fuzz_answers.py",
    ],
    "lumogon/src/lumogon/docker.py": [
        "tests/lumogon/test_docker.py",
        "tests/lumogon/test_fuzz_answers.py",
    ],
    "lumogon/src/lumogon/report.py": [
        "tests/lumogon/test_report.py",
        "tests/lumogon/test_fuzz_answers.py",
    ],
}

SWAP_CMP = {
    ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Lt: ast.GtE, ast.GtE: ast.Lt, ast.Gt: ast.LtE,
    ast.LtE: ast.Gt, ast.In: ast.NotIn, ast.NotIn: ast.In, ast.Is: ast.IsNot, ast.IsNot: ast.Is,
}  # fmt: skip
BOUNDARY = {ast.Lt: ast.LtE, ast.LtE: ast.Lt, ast.Gt: ast.GtE, ast.GtE: ast.Gt}
SWAP_BIN = {ast.Add: ast.Sub, ast.Sub: ast.Add, ast.BitOr: ast.BitAnd, ast.BitAnd: ast.BitOr}
# Statements a deletion replaces by `pass` (a def, a class or an import deleted only breaks the
# module at once; a compound statement's own statements are deleted one by one instead).
DELETABLE = (
    ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Raise, ast.Assert,
    ast.Delete, ast.Break, ast.Continue,
)  # fmt: skip


@dataclass
class Point:
    """One mutation: set `node.<field>` to `value`; `at` locates it (line, function)."""

    node: ast.AST
    field: str
    value: object
    what: str
    at: ast.AST
    changed: ast.AST | None = None  # the part it removes, when not `node` itself


@dataclass
class Mutant:
    module: str
    index: int
    line: int
    what: str
    scope: str
    source: str
    nth: int = 0  # among mutants alike in scope, mutation and source line, in source order
    elsewhere: str = ""  # why this platform cannot run it ("" when it can)
    end: int = 0  # the last line of the code it changes

    def label(self) -> str:
        return f"{self.module}:{self.line} ({self.scope}): {self.what}"

    def key(self) -> Key:
        return (self.module, self.scope, self.what, self.source, self.nth)


Key = tuple[str, str, str, str, int]


@dataclass
class Listed:
    why: str
    kind: str = "equivalent"  # or "survives": not equivalent, the reason no test kills it yet
    used: bool = field(default=False)


def load_listed() -> dict[Key, Listed]:
    """(module, scope, mutation, source line, nth alike) -> why the mutant survives."""
    if not EQUIVALENTS.exists():
        return {}
    entries = json.loads(EQUIVALENTS.read_text("utf-8"))
    return {
        (e["module"], e["scope"], e["mutant"], e["line"], e.get("nth", 0)): Listed(
            e["why"], e.get("kind", "equivalent")
        )
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
    """Nodes never mutated: docstrings, annotations, `if TYPE_CHECKING:` blocks, `__all__`, and
    f-strings' format specifications (`{x:02x}`)."""
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
        if isinstance(node, ast.FormattedValue):
            all_in(node.format_spec)
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


# --- what this platform cannot run ---------------------------------------------------------


def _constants(tree: ast.Module) -> dict[str, object]:
    """Module-level names bound once to a constant or a tuple of constants (`_XDG_PLATFORMS`)."""
    found: dict[str, object] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
            if isinstance(target, ast.Name):
                with contextlib.suppress(ValueError):
                    found[target.id] = ast.literal_eval(node.value)
    return found


_PLATFORM = {("sys", "platform"): sys.platform, ("os", "name"): os.name}
_OWNERS = {"os": os, "sys": sys}


def here(test: ast.AST, names: dict[str, object]) -> bool | None:
    """The value of `test` on this platform when it asks only which platform this is
    (`sys.platform == "win32"`, `os.name != "posix"`, `sys.platform.startswith(...)`,
    `hasattr(os, "geteuid")`, and `not`/`and`/`or` of those); None for any other test."""

    def value(node: ast.AST) -> object:
        if isinstance(node, ast.Constant):
            return node.value
        if isinstance(node, ast.Name) and node.id in names:
            return names[node.id]
        if isinstance(node, ast.Tuple):
            return tuple(value(e) for e in node.elts)
        raise ValueError

    def platform(node: ast.AST) -> str:
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            found = _PLATFORM.get((node.value.id, node.attr))
            if found is not None:
                return found
        raise ValueError

    def ev(node: ast.AST) -> bool:
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not ev(node.operand)
        if isinstance(node, ast.BoolOp):
            results = [ev(v) for v in node.values]
            return all(results) if isinstance(node.op, ast.And) else any(results)
        if (
            isinstance(node, ast.Compare)
            and len(node.ops) == 1
            and ast.unparse(node.left) == "sys.version_info"
        ):
            version, op = value(node.comparators[0]), node.ops[0]
            if not isinstance(version, tuple):
                raise ValueError
            compare = {ast.GtE: "__ge__", ast.Gt: "__gt__", ast.Lt: "__lt__", ast.LtE: "__le__"}
            if type(op) not in compare:
                raise ValueError
            return bool(getattr(tuple(sys.version_info), compare[type(op)])(version))
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right, op = platform(node.left), value(node.comparators[0]), node.ops[0]
            if isinstance(op, (ast.Eq, ast.NotEq)):
                return (left == right) is isinstance(op, ast.Eq)
            if isinstance(op, (ast.In, ast.NotIn)) and isinstance(right, (tuple, str)):
                return (left in right) is isinstance(op, ast.In)
            raise ValueError
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "startswith"
            and len(node.args) == 1
        ):
            prefix = value(node.args[0])
            if isinstance(prefix, (str, tuple)):
                return platform(node.func.value).startswith(prefix)
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "hasattr"
            and len(node.args) == 2
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in _OWNERS
        ):
            name = value(node.args[1])
            if isinstance(name, str):
                return hasattr(_OWNERS[node.args[0].id], name)
        raise ValueError

    try:
        return ev(test)
    except ValueError:
        return None


_PYTHON = "with Python {}.{}".format(*sys.version_info[:2])


def _terminates(body: list[ast.stmt]) -> bool:
    """Does running `body` always end in a return or a raise?"""
    last = body[-1] if body else None
    if isinstance(last, (ast.Return, ast.Raise)):
        return True
    if isinstance(last, ast.Try):
        return _terminates(last.body) and all(_terminates(h.body) for h in last.handlers)
    if isinstance(last, ast.If):
        return _terminates(last.body) and _terminates(last.orelse)
    return False


def elsewhere(tree: ast.Module) -> dict[int, str]:
    """id(node) -> why this platform cannot run it: the branch a platform test does not take
    here; a platform name or attribute name in such a test whose change leaves its answer here
    the same; the default of `getattr(os, NAME, default)` where os has NAME (and NAME itself
    where it has not)."""
    names = _constants(tree)
    found: dict[int, str] = {}
    where = f"{sys.platform} ({os.name})"

    def mark(nodes: list[ast.AST] | ast.AST, why: str) -> None:
        for top in nodes if isinstance(nodes, list) else [nodes]:
            for n in ast.walk(top):
                found.setdefault(id(n), why)

    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            block = getattr(node, name, None)
            if not isinstance(block, list):
                continue
            for i, stmt in enumerate(block):
                # `if <true here>: …return`: what follows in the block runs only elsewhere.
                if (
                    isinstance(stmt, ast.If)
                    and not stmt.orelse
                    and here(stmt.test, names) is True
                    and _terminates(stmt.body)
                    and block[i + 1 :]
                ):
                    mark(block[i + 1 :], f"runs only where `{ast.unparse(stmt.test)}` is "
                                        f"False, never on {where} {_PYTHON}")  # fmt: skip
        if isinstance(node, (ast.If, ast.IfExp)):
            value = here(node.test, names)
            if value is None:
                continue
            untaken = node.orelse if value else node.body
            if untaken:
                mark(untaken, f"runs only where `{ast.unparse(node.test)}` is {not value}, "
                              f"never on {where}")  # fmt: skip
            for constant in ast.walk(node.test):
                if isinstance(constant, ast.Constant) and isinstance(constant.value, str):
                    original = constant.value
                    constant.value = "XX" + original
                    same = here(node.test, names) == value
                    constant.value = original
                    if same:
                        found.setdefault(
                            id(constant),
                            f"`{ast.unparse(node.test)}` is {value} on {where} with the name "
                            "changed too: only the platform named can tell",
                        )
        if isinstance(node, ast.BoolOp):
            neutral = isinstance(node.op, ast.And)  # `x and True` is x, `x or False` is x
            for operand in node.values:
                if here(operand, names) is neutral:
                    found.setdefault(
                        id(operand),
                        f"`{ast.unparse(operand)}` is {neutral} on {where}: dropping it from the "
                        f"`{type(node.op).__name__.lower()}` changes nothing here",
                    )
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "getattr"
            and len(node.args) == 3
            and isinstance(node.args[0], ast.Name)
            and node.args[0].id in _OWNERS
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
        ):
            owner, name = node.args[0].id, node.args[1].value
            if hasattr(_OWNERS[owner], name):
                mark(node.args[2], f"{owner}.{name} exists on {where}: the default is never used")
            else:
                mark(node.args[1], f"{owner} has no {name} on {where}: any other missing name "
                                   "gives the same default")  # fmt: skip
    return found


# --- the mutations -------------------------------------------------------------------------


def points(tree: ast.Module) -> Iterator[Point]:
    """Every mutation of `tree`, in a stable order."""
    skip = _skipped(tree)
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        yield from _statements(node, skip)
        if isinstance(node, ast.Compare):
            for i, op in enumerate(node.ops):
                if type(op) in SWAP_CMP:
                    ops = list(node.ops)
                    ops[i] = SWAP_CMP[type(op)]()
                    yield Point(
                        node, "ops", ops, f"{type(op).__name__} -> {type(ops[i]).__name__}", node
                    )
                if type(op) in BOUNDARY:
                    ops = list(node.ops)
                    ops[i] = BOUNDARY[type(op)]()
                    what = f"boundary {type(op).__name__} -> {type(ops[i]).__name__}"
                    yield Point(node, "ops", ops, what, node)
        elif isinstance(node, ast.BoolOp):
            new = ast.Or() if isinstance(node.op, ast.And) else ast.And()
            yield Point(node, "op", new, f"{type(node.op).__name__} -> {type(new).__name__}", node)
            for i in range(len(node.values)):
                rest = node.values[:i] + node.values[i + 1 :]
                what = f"{type(node.op).__name__} operand {i + 1} dropped"
                yield Point(node, "values", rest, what, node, node.values[i])
        elif isinstance(node, ast.BinOp) and type(node.op) in SWAP_BIN:
            new_op = SWAP_BIN[type(node.op)]()
            yield Point(
                node, "op", new_op, f"{type(node.op).__name__} -> {type(new_op).__name__}", node
            )
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            yield Point(node, "op", ast.UAdd(), "`not` dropped", node)
        elif isinstance(node, ast.Constant):
            value = node.value
            if isinstance(value, bool):
                yield Point(node, "value", not value, f"{value} -> {not value}", node)
            elif isinstance(value, int):
                yield Point(node, "value", value + 1, f"{value} -> {value + 1}", node)
            elif isinstance(value, float):
                yield Point(node, "value", value * 2 + 1, f"{value} -> {value * 2 + 1}", node)
            elif isinstance(value, str) and value:
                yield Point(node, "value", "XX" + value, f"string {value[:30]!r} changed", node)
        elif isinstance(node, ast.Return) and not _returns_none(node):
            yield Point(node, "value", ast.Constant(None), "return value -> None", node)
        if isinstance(node, (ast.If, ast.IfExp)):
            for forced in (True, False):
                yield Point(node, "test", ast.Constant(forced), f"branch forced: {forced}", node)
        elif isinstance(node, ast.While):
            yield Point(node, "test", ast.Constant(False), "loop never entered", node)
        if isinstance(node, ast.Call):
            for i, keyword in enumerate(node.keywords):
                if keyword.arg is not None:
                    rest = node.keywords[:i] + node.keywords[i + 1 :]
                    yield Point(node, "keywords", rest, f"keyword {keyword.arg}= dropped", node)


def _statements(node: ast.AST, skip: set[int]) -> Iterator[Point]:
    """Each statement of `node`'s bodies deleted (replaced by `pass`), one at a time."""
    for name in ("body", "orelse", "finalbody"):
        body = getattr(node, name, None)
        if not isinstance(body, list):
            continue
        for i, stmt in enumerate(body):
            if isinstance(stmt, DELETABLE) and id(stmt) not in skip:
                rest = [*body[:i], ast.Pass(), *body[i + 1 :]]
                yield Point(node, name, rest, "statement deleted", stmt)


def mutants(module: str) -> list[Mutant]:
    source = (ROOT / module).read_text("utf-8")
    lines = source.splitlines()
    tree = ast.parse(source)
    where = scopes(tree)
    away = elsewhere(tree)
    names = _constants(tree)
    # Each node inside a test that asks only which platform this is, with that test.
    inside: dict[int, ast.AST] = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.If, ast.IfExp)) and here(node.test, names) is not None:
            inside.update({id(n): node.test for n in ast.walk(node.test)})
    found = []
    position: dict[int, tuple[int, int]] = {}
    for i, point in enumerate(points(tree)):
        at = point.at
        line = getattr(at, "lineno", 0)
        text = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        scope = where.get(id(at), "<module>")
        why = away.get(id(at), "") or away.get(id(point.node), "")
        if point.changed is not None:
            why = why or away.get(id(point.changed), "")
        why = why or _same_here(point, inside, names)
        end = getattr(at, "end_lineno", None) or line
        found.append(Mutant(module, i, line, point.what, scope, text, elsewhere=why, end=end))
        position[i] = (line, getattr(at, "col_offset", 0))
    seen: dict[tuple[str, str, str], int] = {}
    for m in sorted(found, key=lambda m: (position[m.index], m.index)):
        alike = (m.scope, m.what, m.source)
        m.nth = seen.get(alike, 0)
        seen[alike] = m.nth + 1
    return found


def _same_here(point: Point, inside: dict[int, ast.AST], names: dict[str, object]) -> str:
    """Why `point` changes nothing on this platform, when it changes a test that asks only
    which platform this is and leaves that test's answer here as it was ("" otherwise)."""
    node = point.node
    if isinstance(node, (ast.If, ast.IfExp)) and point.field == "test" and id(node.test) in inside:
        value = here(node.test, names)
        forced = getattr(point.value, "value", None)
        if forced is value:
            return f"`{ast.unparse(node.test)}` is {value} on {_WHERE}: forcing it so changes nothing here"
        return ""
    test = inside.get(id(node))
    if test is None:
        return ""
    before = here(test, names)
    old = getattr(node, point.field)
    setattr(node, point.field, point.value)
    try:
        after = here(test, names)
    finally:
        setattr(node, point.field, old)
    if after is not before:
        return ""
    return f"`{ast.unparse(test)}` is {before} on {_WHERE} with or without the change"


_WHERE = f"{sys.platform} ({os.name}) with Python {sys.version_info[0]}.{sys.version_info[1]}"


def mutated_source(module: str, index: int) -> str:
    tree = ast.parse((ROOT / module).read_text("utf-8"))
    for i, point in enumerate(points(tree)):
        if i == index:
            node = point.node
            if isinstance(node, ast.UnaryOp) and point.field == "op":
                # `not x` -> `x`: replace the operator by a unary plus on a bool()
                node.op = ast.UAdd()
                node.operand = ast.Call(ast.Name("bool", ast.Load()), [node.operand], [])
            elif isinstance(node, ast.BoolOp) and point.field == "values":
                rest = list(point.value)  # type: ignore[call-overload]
                node.values = copy.deepcopy(rest)
                if len(rest) == 1:  # `a and b` with `a` dropped is `b`
                    return _replaced(tree, node, rest[0])
            else:
                setattr(node, point.field, copy.deepcopy(point.value))
            return ast.unparse(ast.fix_missing_locations(tree)) + "\n"
    raise IndexError(index)


def _replaced(tree: ast.Module, old: ast.AST, new: ast.AST) -> str:
    """`tree` with the expression `old` replaced by `new`, as source."""

    class Swap(ast.NodeTransformer):
        def visit(self, node: ast.AST) -> ast.AST:
            return copy.deepcopy(new) if node is old else super().visit(node)

    return ast.unparse(ast.fix_missing_locations(Swap().visit(tree))) + "\n"


# --- running the tests ---------------------------------------------------------------------


def scratch_copy() -> Path:
    where = Path(tempfile.mkdtemp(prefix=f"consent-mutate-{os.getpid()}-"))
    for name in COPY:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, where / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(src, where / name)
    return where


def _preload() -> None:
    """What every test run imports, imported once here, before any fork: never consent, lumogon
    or the tests, which each run must import from its own scratch copy."""
    for name in ("pytest", "_pytest.python", "_pytest.assertion.rewrite", "hypothesis", "typer",
                 "click", "tomlkit", "platformdirs", "rich"):  # fmt: skip
        with contextlib.suppress(ImportError):
            __import__(name)


def start_tests(where: Path, tests: list[str], trace: str = "") -> int:
    """Fork a child that runs `tests` with pytest in `where`, quietly; its pid. With `trace`
    (a module), the child also writes which test ran which of its lines (`LineMap`)."""
    pid = os.fork()
    if pid:
        return pid
    code = 3
    try:
        os.chdir(where)
        paths = [str(where), str(where / "lumogon" / "src")]
        sys.path[:0] = paths
        os.environ["PYTHONPATH"] = os.pathsep.join(paths)  # the subprocesses the tests start
        os.environ["PYTHONDONTWRITEBYTECODE"] = "1"
        os.environ.pop("CONSENT_RELIABILITY_OUT", None)
        sys.dont_write_bytecode = True
        os.setpgid(0, 0)  # its own group: a timeout ends whatever the tests started, too
        devnull = os.open(os.devnull, os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(devnull, fd)
        import pytest

        plugins = [line_map(str(where / trace), where / LINES)] if trace else []
        # Slow tests (a second or more) are left out: their fast variants run, and a mutant's
        # run must stay short for a module's hundreds of mutants to finish.
        code = int(
            pytest.main(
                ["-x", "-q", "-p", "no:cacheprovider", "-m", "not slow", *tests], plugins=plugins
            )
        )
    except BaseException:  # noqa: BLE001 - anything here is a failed run
        code = 3
    finally:
        os._exit(code)


LINES = ".mutate-lines.json"
IMPORT = "<import>"  # lines run while the modules were imported, before any test


def line_map(filename: str, out: Path) -> object:
    """A pytest plugin that records, for each line of one file, the tests that ran it in this
    process (lines run in a subprocess a test starts are not seen: see `tests_for`), and writes
    them to `out` as the session ends. Made in the child, where pytest is imported."""
    import threading

    import pytest

    lines: dict[int, set[str]] = {}
    current = [IMPORT]

    def tracer(frame: Any, event: str, arg: Any) -> Any:
        if frame.f_code.co_filename != filename:
            return None

        def local(frame: Any, event: str, arg: Any) -> Any:
            if event == "line":
                lines.setdefault(frame.f_lineno, set()).add(current[0])
            return local

        lines.setdefault(frame.f_lineno, set()).add(current[0])
        return local

    class LineMap:
        def pytest_configure(self) -> None:
            sys.settrace(tracer)
            threading.settrace(tracer)

        @pytest.hookimpl(hookwrapper=True)
        def pytest_runtest_protocol(self, item: Any) -> Iterator[None]:
            current[0] = item.nodeid
            # Again for each test: a test (or what it runs) may have set its own trace function.
            sys.settrace(tracer)
            threading.settrace(tracer)
            yield
            current[0] = IMPORT

        def pytest_sessionfinish(self) -> None:
            sys.settrace(None)
            data = {str(line): sorted(tests) for line, tests in lines.items()}
            out.write_text(json.dumps(data), "utf-8")

    return LineMap()


def tests_for(m: Mutant, lines: dict[str, list[str]], tests: list[str]) -> list[str]:
    """The test files (of the module's, in its order) with a test that ran the lines `m`
    changes, in this process; every file when a line ran at import (module-level code) or in
    no test seen here (a subprocess may run it). Files, not single tests: a test's id is not
    always one pytest can be given back."""
    covering: set[str] = set()
    for line in range(m.line, max(m.end, m.line) + 1):
        covering.update(lines.get(str(line), ()))
    if not covering or IMPORT in covering:
        return tests
    files = {test.split("::", 1)[0] for test in covering}
    return [t for t in tests if t in files]


def finish(pid: int, deadline: float) -> str | None:
    """ "killed", "survived" or "timeout" once the child is done; None while it runs."""
    done, status = os.waitpid(pid, os.WNOHANG)
    if done == 0:
        if time.monotonic() < deadline:
            return None
        with contextlib.suppress(OSError):
            os.killpg(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        return "timeout"
    code = os.waitstatus_to_exitcode(status)
    # pytest: 0 all passed, 1 a test failed, 2 interrupted (a collection error: the mutant
    # breaks an import), 3 internal error; 4 (bad arguments, or a conftest that cannot be
    # imported) and 5 (no tests) are decided by a run of the module's whole list.
    return "survived" if code == 0 else "error" if code in (4, 5) else "killed"


def run_once(where: Path, tests: list[str], timeout: float, trace: str = "") -> str:
    pid = start_tests(where, tests, trace)
    deadline = time.monotonic() + timeout
    while (result := finish(pid, deadline)) is None:
        time.sleep(0.02)
    return result


def run_module(
    module: str, jobs: int, only: set[int] | None = None, *, full: bool = False
) -> dict[str, object]:
    """Run the tests against each mutant of `module` (against those in `only`, when given: the
    rest count as killed, as a saved run found them): the tests that ran its lines in this
    process (`tests_for`), or with `full` every test of the module. Narrowing can only miss a
    kill (a test that would have failed in a subprocess it starts), never invent one: a survivor
    of a narrowed run is confirmed with `--again --full`."""
    tests = MODULES[module]
    found = mutants(module)
    copies = [scratch_copy() for _ in range(jobs)]
    results: dict[int, str] = {
        m.index: "killed" for m in found if only is not None and m.index not in only
    }
    running: dict[int, tuple[Mutant, list[str], Path, str, float]] = {}
    try:
        start = time.monotonic()
        # Twice before giving up, to tell a flaky run (a loaded machine) from a real failure.
        first = run_once(copies[0], tests, 1800, trace=module)
        if first != "survived" != run_once(copies[0], tests, 1800, trace=module):
            raise RuntimeError(f"{module}: its tests fail without any mutation")
        lines: dict[str, list[str]] = json.loads((copies[0] / LINES).read_text("utf-8"))
        # The traced run is slower than a plain one: this bound is generous.
        timeout = max(60.0, (time.monotonic() - start) * 3)
        pending = [
            (m, tests if full else tests_for(m, lines, tests))
            for m in found
            if m.index not in results
        ]
        free = list(copies)
        # A loaded machine can stall a run past its bound: a timeout is run once more, given
        # three times as long, and only a second one counts as a kill (a mutant that hangs).
        retried: set[int] = set()
        while pending or running:
            while pending and free:
                (m, chosen), where = pending.pop(0), free.pop()
                target = where / module
                original = target.read_text("utf-8")
                target.write_text(mutated_source(module, m.index), "utf-8")
                pid = start_tests(where, chosen)
                limit = timeout * (3 if m.index in retried else 1)
                running[pid] = (m, chosen, where, original, time.monotonic() + limit)
            for pid, (m, chosen, where, original, deadline) in list(running.items()):
                result = finish(pid, deadline)
                if result is None:
                    continue
                del running[pid]
                if result == "error" and chosen != tests:
                    pending.insert(0, (m, tests))  # the whole list decides
                elif result == "timeout" and m.index not in retried:
                    retried.add(m.index)
                    pending.append((m, chosen))
                else:
                    # With the whole list, a usage error is a conftest the mutant broke.
                    results[m.index] = "killed" if result == "error" else result
                (where / module).write_text(original, "utf-8")
                free.append(where)
                if len(results) % 50 == 0:
                    print(f"{module}: {len(results)} of {len(found)}", file=sys.stderr, flush=True)
            time.sleep(0.02)
    finally:
        for pid in running:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
        for where in copies:
            shutil.rmtree(where, ignore_errors=True)
    return judged(module, tests, found, results)


def judged(
    module: str, tests: list[str], found: list[Mutant], results: dict[int, str]
) -> dict[str, object]:
    listed = load_listed()
    survivors: list[dict[str, str]] = []
    equivalent: list[dict[str, str]] = []
    not_covered: list[dict[str, str]] = []
    for m in found:
        entry = listed.get(m.key())
        if entry is not None:
            entry.used = True
        if results[m.index] != "survived":
            if entry is not None and entry.kind == "equivalent":
                print(f"listed as equivalent, yet killed: {m.label()}", file=sys.stderr)
        elif m.elsewhere:
            not_covered.append({"mutant": m.label(), "why": m.elsewhere})
        elif entry is not None and entry.kind == "equivalent":
            equivalent.append({"mutant": m.label(), "why": entry.why})
        else:
            survivors.append({"mutant": m.label(), "why": entry.why if entry else ""})
    for key, entry in sorted(listed.items()):
        if key[0] == module and not entry.used:
            print(f"stale entry in {EQUIVALENTS.name} (no such mutant now): {key}", file=sys.stderr)
    killed = sum(1 for r in results.values() if r in ("killed", "timeout"))
    data: dict[str, object] = {
        "tests": tests,
        "mutants": len(found),
        "killed": killed,
        "equivalent": equivalent,
        "not_covered_here": not_covered,
        "survivors": survivors,
        # Which mutants survived, by index (the source's mutants in order): --again and
        # --rejudge start from these.
        "survived": sorted(i for i, r in results.items() if r == "survived"),
    }
    print(f"{module}: {killed}/{len(found)} killed, {len(equivalent)} equivalent, "
          f"{len(not_covered)} not covered here, score {score(data):.1%}", file=sys.stderr)  # fmt: skip
    return data


def rejudged(module: str, data: dict[str, Any]) -> dict[str, object]:
    """A module's saved results judged again against scripts/mutation_equivalents.json as it is
    now (the tests are not run again): its surviving mutants, found again in the source by their
    labels (alike ones in order), reclassified. The source must be the one that was run."""
    found = mutants(module)
    survived = survivors_of(module, data, found)
    results = {m.index: "survived" if m.index in survived else "killed" for m in found}
    return judged(module, list(data["tests"]), found, results)


def survivors_of(module: str, data: dict[str, Any], found: list[Mutant]) -> set[int]:
    """The indexes of the mutants a saved run found surviving (of any kind)."""
    if len(found) != int(data["mutants"]):
        raise RuntimeError(f"{module}: the source changed since it was run; run it again")
    if "survived" in data:
        return set(data["survived"])
    by_label: dict[str, list[Mutant]] = {}
    for m in sorted(found, key=lambda m: m.index):
        by_label.setdefault(m.label(), []).append(m)
    survived = [
        e["mutant"] if isinstance(e, dict) else e
        for part in ("survivors", "equivalent", "not_covered_here")
        for e in data.get(part, [])
    ]
    if len(found) != int(data["mutants"]):
        raise RuntimeError(f"{module}: the source changed since it was run; run it again")
    out: set[int] = set()
    taken: dict[str, int] = {}
    for label in survived:
        alike = by_label.get(label, [])
        n = taken.get(label, 0)
        if n >= len(alike):
            raise RuntimeError(f"{module}: no mutant {label} now; run it again")
        out.add(alike[n].index)
        taken[label] = n + 1
    return out


def score(data: dict[str, Any]) -> float:
    """Killed out of the mutants that are neither equivalent nor beyond this platform."""
    counted = (
        int(data["mutants"])
        - len(data.get("equivalent", []))
        - len(data.get("not_covered_here", []))
    )
    return int(data["killed"]) / max(counted, 1)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help="modules to run (default: all)")
    parser.add_argument("--jobs", type=int, default=1, help="mutants tested at once (default 1)")
    parser.add_argument("--list", action="store_true", help="list the mutants and stop")
    parser.add_argument(
        "--again",
        action="store_true",
        help="run the tests again against the saved survivors only (after adding tests)",
    )
    parser.add_argument(
        "--full",
        action="store_true",
        help="every mutant against every test of its module (no narrowing by the lines run)",
    )
    parser.add_argument(
        "--rejudge",
        action="store_true",
        help="classify the saved survivors again (after editing the equivalents), run nothing",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="the results file")
    args = parser.parse_args(argv)
    modules = args.modules or list(MODULES)
    unknown = [m for m in modules if m not in MODULES]
    if unknown:
        parser.error(f"not in MODULES: {', '.join(unknown)}")
    if args.list:
        for module in modules:
            for m in mutants(module):
                print(m.label() + (f"  [not covered here: {m.elsewhere}]" if m.elsewhere else ""))
        return 0
    out: Path = args.out
    # Stopped (SIGTERM), it still ends its tests' processes and removes its scratch copies.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    _preload()

    def saved() -> dict[str, Any]:
        data = json.loads(out.read_text("utf-8")) if out.exists() else {}
        return {m: d for m, d in data.items() if m in MODULES}  # a module taken off the list

    data = saved()
    failed = []
    for module in modules:
        if (args.rejudge or args.again) and module not in data:
            continue
        try:
            if args.rejudge:
                result = rejudged(module, data[module])
            elif args.again:
                found = mutants(module)
                only = survivors_of(module, data[module], found)
                result = run_module(module, max(args.jobs, 1), only, full=args.full)
            else:
                result = run_module(module, max(args.jobs, 1), full=args.full)
        except RuntimeError as exc:
            print(exc, file=sys.stderr)
            failed.append(module)
            continue
        # Saved after each module (read again first: another run may have saved meanwhile), so
        # that a long run stopped half-way keeps what it found.
        data = {**saved(), module: result}
        out.write_text(
            json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n", "utf-8"
        )
    counted = sum(
        int(d["mutants"]) - len(d.get("equivalent", [])) - len(d.get("not_covered_here", []))
        for d in data.values()
    )
    killed = sum(int(d["killed"]) for d in data.values())
    print(f"score: {killed}/{counted} = {killed / max(counted, 1):.1%}", file=sys.stderr)
    low = [m for m in MODULES if m in data and score(data[m]) < MIN_SCORE]
    for module in low:
        print(f"{module}: {score(data[module]):.1%} is below {MIN_SCORE:.0%}", file=sys.stderr)
    return 1 if failed or low else 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
