"""Property: the decision is design §3's, for real files, whatever they hold.

The oracle is written here, from the design alone: its own env-value grammar, its own order of
sources, and files that the test writes itself from a model of what they say (TOML in many
spellings, broken TOML, random bytes, a directory), so it never parses TOML and uses none of
consent's readers (`consent._core.envgrammar`, `consent._store.tomlread`/`tomlfast`,
`consent._core.records`). Only `resolve`, the thing under test, reads the files.

Design §3: sources strongest first: admin policy, the flag, env (`<APP>_DISABLE_ANALYTICS`, then
`DO_NOT_TRACK`), the user config, the app's default. Any disable vote wins and the strongest
disabling source decides. Otherwise telemetry is enabled only if the config says `enabled =
true` for the current notice version, or the app is opt-out and the current notice was shown.
Unknown env values disable; an unreadable config is no consent; an unreadable policy is a lock;
both warn. Reading never writes.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from consent._core.spec import AppSpec
from consent._store.paths import Locations
from consent._store.sources import resolve
from lumogon import SPEC
from tests.helpers import opt_in_spec

pytestmark = pytest.mark.slow

OPT_IN = opt_in_spec()
DNT = "DO_NOT_TRACK"

# --- the env-value grammar (design §3), written out ---------------------------------------------
# Trimmed (whitespace at either end, as str.strip() knows it) and case-insensitive.
NO_VOTE_WORDS = ("0", "false", "no", "off")
DISABLE_WORDS = ("1", "true", "yes", "on")


def env_disables(raw: str | None) -> bool:
    """unset or empty: no vote; a false word: no vote; a true word: disable; else: disable."""
    if raw is None:
        return False
    word = raw.strip().lower()
    return word != "" and word not in NO_VOTE_WORDS


def env_understood(raw: str | None) -> bool:
    return raw is None or raw.strip().lower() in ("", *NO_VOTE_WORDS, *DISABLE_WORDS)


# --- files the test writes, and what they say -------------------------------------------------------
# What a file's `telemetry` entry is, when the file is TOML at all:
ABSENT = "no telemetry table"
NOT_A_TABLE = "telemetry is not a table"
BROKEN = "not TOML"  # also: random bytes, a directory in the file's place (it cannot be read)


@dataclass(frozen=True)
class Value:
    """A TOML value the test writes: its kind (bool, str, int, datetime, array) and content."""

    kind: str
    content: Any


@dataclass(frozen=True)
class File:
    data: bytes | None  # None: a directory stands where the file should be
    says: str | dict[str, Value]  # ABSENT, NOT_A_TABLE, BROKEN, or the telemetry table
    others: bool = False  # keys or tables besides the telemetry table


ENDINGS = st.sampled_from(["\n", "\r\n"])
FILLER = st.sampled_from(["", "# a comment", "   ", "\t# indented comment", "#"])
EQUALS = st.sampled_from([" = ", "=", "  =\t"])
TRAILING = st.sampled_from(["", "  # note", "\t#"])
OTHER_TABLES = st.lists(
    st.sampled_from(
        [
            '[scan]\ndepth = 3  # how deep\nexclude = ["node_modules", ".git"]',
            '[report.upload]\nurl = "https://reports.example"',
            "[other]\nk = 1",
            '[telemetry_other]\nenabled = true\nnotice_version = "x"',
        ]
    ),
    max_size=2,
    unique=True,
)
ROOT_KEYS = st.lists(st.sampled_from(['name = "mine"', "level = 2", "flag = false"]), unique=True)


def versions(current: str) -> st.SearchStrategy[str]:
    """The current notice version half of the time, else one that only looks like it."""
    near = ["0000000000", "", current.upper(), current + " ", " " + current, current[:-1]]
    return st.one_of(st.just(current), st.sampled_from(near))


def strings(current: str) -> st.SearchStrategy[str]:
    return st.sampled_from(
        [
            current,
            "0000000000",
            "",
            "by hand",
            "2026-11-22T19:00:00Z",
            "caf\u00e9 \u2014 ok",
            "\x1b]0;x\x07",
            'say "hi"',
            "back\\slash",
            "it's",
            "tab\there",
        ]
    )


def values(current: str) -> st.SearchStrategy[Value]:
    return st.one_of(
        st.builds(Value, st.just("bool"), st.booleans()),
        st.builds(Value, st.just("str"), strings(current)),
        st.builds(Value, st.just("int"), st.sampled_from([0, 1])),
        st.builds(Value, st.just("datetime"), st.just("2026-11-22T19:00:00Z")),
        st.builds(Value, st.just("array"), st.just(["x"])),
    )


def often(weight: int) -> st.SearchStrategy[bool]:
    """True `weight` times in `weight + 1`, whatever hypothesis prefers to draw first."""
    return st.sampled_from([True] * weight + [False])


@st.composite
def tables(draw: st.DrawFn, current: str) -> dict[str, Value]:
    """A [telemetry] table: the keys that decide most of the time, well typed most of the time."""
    typed = {
        "enabled": st.builds(Value, st.just("bool"), st.booleans()),
        "notice_version": st.builds(Value, st.just("str"), versions(current)),
        "notice_shown_version": st.builds(Value, st.just("str"), versions(current)),
        **{
            k: st.builds(Value, st.just("str"), strings(current))
            for k in ("decided_at", "decided_via", "notice_shown_at")
        },
    }
    table = {}
    for key, value in typed.items():
        if draw(often(2 if key in ("enabled", "notice_version", "notice_shown_version") else 1)):
            table[key] = draw(value if draw(often(9)) else values(current))
    return dict(draw(st.permutations(list(table.items()))))


@st.composite
def policy_tables(draw: st.DrawFn, current: str) -> dict[str, Value]:
    if not draw(often(2)):
        return {}
    typed = st.builds(Value, st.just("bool"), st.sampled_from([True, False]))
    return {"enabled": draw(typed if draw(often(3)) else values(current))}


@st.composite
def toml_string(draw: st.DrawFn, s: str) -> str:
    """`s` as a TOML string in one of its spellings."""
    control = any((ord(c) < 0x20 and c != "\t") or c == "\x7f" for c in s)
    styles = ["basic", "escaped", "multiline-basic"]
    if not control and "'" not in s:
        styles += ["literal", "multiline-literal"]
    style = draw(st.sampled_from(styles))
    if style == "literal":
        return f"'{s}'"
    if style == "multiline-literal":
        return "'''" + draw(st.sampled_from(["", "\n"])) + s + "'''"  # a first newline is dropped
    escape_all = style == "escaped"
    out = []
    for c in s:
        if c in '"\\' or ord(c) < 0x20 or c == "\x7f" or (escape_all and draw(st.booleans())):
            short = {'"': '\\"', "\\": "\\\\", "\t": "\\t", "\n": "\\n"}.get(c)
            if short is not None and not draw(st.booleans()):
                out.append(short)
            elif draw(st.booleans()):
                out.append(f"\\u{ord(c):04x}")
            else:
                out.append(f"\\U{ord(c):08X}")
        else:
            out.append(c)
    body = "".join(out)
    if style == "multiline-basic":
        return '"""' + draw(st.sampled_from(["", "\n"])) + body + '"""'
    return f'"{body}"'


@st.composite
def toml_value(draw: st.DrawFn, value: Value) -> str:
    if value.kind == "bool":
        return "true" if value.content else "false"
    if value.kind == "str":
        return draw(toml_string(value.content))
    if value.kind == "int":
        spellings = {0: ["0", "+0", "-0", "0x0"], 1: ["1", "+1", "0x1", "0o1", "0b1"]}
        return draw(st.sampled_from(spellings[value.content]))
    if value.kind == "datetime":
        return draw(st.sampled_from(["2026-11-22T19:00:00Z", "2026-11-22 19:00:00+01:00"]))
    return draw(st.sampled_from(['["x"]', "[ 1, 2 ]", "[]"]))


@st.composite
def toml_key(draw: st.DrawFn, key: str) -> str:
    style = draw(st.sampled_from(["bare", "bare", "basic", "literal", "escaped"]))
    if style == "bare":
        return key
    if style == "literal":
        return f"'{key}'"
    if style == "escaped":
        return '"' + "".join(f"\\u{ord(c):04x}" if c in "aeiou" else c for c in key) + '"'
    return f'"{key}"'


@st.composite
def toml_file(draw: st.DrawFn, table: st.SearchStrategy[dict[str, Value]]) -> File:
    """A TOML document (valid, or broken on purpose) and what its telemetry entry says."""
    shape = draw(st.sampled_from(["header", "header", "dotted", "inline", "absent", "not-a-table"]))
    says: str | dict[str, Value] = ABSENT
    root: list[str] = list(draw(ROOT_KEYS))
    tables_before: list[str] = []
    telemetry: list[str] = []
    tables_after: list[str] = list(draw(OTHER_TABLES))
    others = bool(root or tables_after)
    eq = draw(EQUALS)
    keys: list[str] = []  # the key lines of the telemetry table, for a duplicate key
    if shape in ("header", "dotted", "inline"):
        says = draw(table)
        items = list(says.items())
        if shape == "header":
            head = draw(
                st.sampled_from(["[telemetry]", "[ telemetry ]", '["telemetry"]', "['telemetry']"])
            )
            telemetry.append(head + draw(TRAILING))
            for key, value in items:
                if draw(st.booleans()):
                    telemetry.append(draw(FILLER))
                line = draw(toml_key(key)) + eq + draw(toml_value(value)) + draw(TRAILING)
                keys.append(line)
                telemetry.append(line)
            if draw(st.booleans()):  # the table first, or after other tables
                tables_before, tables_after = tables_after, []
        elif shape == "dotted":
            if not items:
                says = ABSENT  # no dotted key: no table either
            prefix = draw(st.sampled_from(["telemetry.", "telemetry . ", '"telemetry".']))
            for key, value in items:
                line = prefix + draw(toml_key(key)) + eq + draw(toml_value(value))
                keys.append(line)
                root.append(line)
        else:
            inner = ", ".join(
                draw(toml_key(key)) + " = " + draw(toml_value(value)) for key, value in items
            )
            root.append("telemetry = {" + (f" {inner} " if inner else "") + "}")
    elif shape == "not-a-table":
        says = NOT_A_TABLE
        root.append(
            draw(
                st.sampled_from(
                    [
                        "telemetry = 1",
                        'telemetry = "on"',
                        "telemetry = true",
                        "telemetry = [1, 2]",
                    ]
                )
            )
        )
        if draw(st.booleans()):
            root.pop()
            tables_after.append("[[telemetry]]\nenabled = true")
    entries = root + tables_before + telemetry + tables_after
    # Broken on purpose: each of these makes any document invalid TOML, wherever it goes.
    breaks = [
        'note = "unterminated',
        "this is [[ not toml",
        "switch = True",
        "empty =",
        "# a NUL \x00 in a comment",
        "= 1",
    ]
    if keys:
        breaks.append(keys[0])  # a key defined twice
    if shape == "header":
        breaks.append("[telemetry]")  # a table defined twice
    broken = not draw(often(5))  # one file in six
    if broken:
        bad = draw(st.sampled_from(breaks))
        if keys and bad == keys[0]:  # the same key again, in the same table
            where = entries.index(keys[0]) + 1
        else:
            where = draw(st.integers(0, len(entries)))
        entries.insert(where, bad)
        says = BROKEN
    ending = draw(ENDINGS)
    text = ending.join(e.replace("\n", ending) for e in entries)
    if entries and draw(st.booleans()):
        text += ending
    data = text.encode("utf-8")
    if broken and draw(st.booleans()):
        data += b"\n# not UTF-8: \xff\xfe\n"
    return File(data, says, others)


# Random bytes that are never TOML: each starts with something no TOML document may start with.
GARBAGE = st.builds(
    lambda head, tail: File(head + tail, BROKEN),
    st.sampled_from([b"\x00", b"\xff", b"[[[\n", b"= 1\n", b'a = "open\n']),
    st.binary(max_size=120),
)
DIRECTORY = st.just(File(None, BROKEN))


def weighted(*choices: tuple[int, st.SearchStrategy[Any]]) -> st.SearchStrategy[Any]:
    """One of the strategies, each `weight` times as likely (so that disabling sources do not
    drown the cases where the config alone decides)."""
    return st.sampled_from([s for weight, s in choices for _ in range(weight)]).flatmap(lambda s: s)


def config_files(spec: AppSpec) -> st.SearchStrategy[File | None]:
    files = toml_file(tables(spec.notice_version))
    return weighted((6, files), (1, st.none()), (1, GARBAGE), (1, DIRECTORY))


def policy_files(spec: AppSpec) -> st.SearchStrategy[File | None]:
    files = toml_file(policy_tables(spec.notice_version))
    return weighted((4, st.none()), (3, files), (1, GARBAGE), (1, DIRECTORY))


FLAG = weighted((3, st.just(False)), (1, st.just(True)))
ENV = weighted(
    (4, st.none()),
    (2, st.sampled_from(["", " ", "0", "no", " off ", "OFF", "False", "\u3000"])),  # no vote
    (1, st.sampled_from(["1", "True", "yes\n", "\ton", "x", "2", "nein", "\uff4f\uff46\uff46"])),
    (1, st.text(max_size=8)),
)


# --- the oracle ------------------------------------------------------------------------------------


def config_state(f: File | None) -> tuple[str, dict[str, Any]]:
    """("missing" | "error" | "ok", the table's values when ok): wrong types are errors."""
    if f is None:
        return "missing", {}
    if f.says in (BROKEN, NOT_A_TABLE):
        return "error", {}
    if f.says == ABSENT:
        return "ok", {}
    assert isinstance(f.says, dict)
    for key, value in f.says.items():
        if value.kind != ("bool" if key == "enabled" else "str"):
            return "error", {}
    return "ok", {key: value.content for key, value in f.says.items()}


def policy_locks(f: File | None) -> tuple[bool, bool]:
    """(locks, unreadable: warns). A policy locks unless it clearly allows."""
    if f is None:
        return False, False
    if f.says in (BROKEN, NOT_A_TABLE):
        return True, True
    if f.others:  # a key outside the telemetry table: an ambiguous policy locks, and warns
        return True, True
    if f.says == ABSENT:
        return False, False
    assert isinstance(f.says, dict)
    enabled = f.says.get("enabled")
    if enabled is None or (enabled.kind, enabled.content) == ("bool", True):
        return False, False
    return True, enabled.kind != "bool"


@dataclass(frozen=True)
class Expected:
    enabled: bool
    source: str  # decided by
    env_name: str | None = None  # the variable, when env decides
    pending: str | None = None


def oracle(
    spec: AppSpec,
    config: File | None,
    policy: File | None,
    flag: bool,
    app_env: str | None,
    dnt: str | None,
) -> Expected:
    if policy_locks(policy)[0]:
        return Expected(False, "policy")
    if flag:
        return Expected(False, "flag")
    if env_disables(app_env):
        return Expected(False, "env", spec.disable_env)
    if env_disables(dnt):
        return Expected(False, "env", DNT)
    state, table = config_state(config)
    if state == "error":
        return Expected(False, "error")
    if table.get("enabled") is False:
        return Expected(False, "config")
    current = spec.notice_version
    if table.get("enabled") is True and table.get("notice_version") == current:
        return Expected(True, "config")
    if spec.mode == "opt-out" and table.get("notice_shown_version") == current:
        return Expected(True, "default")
    # Nothing disables and nothing enables: waiting for a person (opt-out: to see the notice;
    # opt-in: to answer the question).
    pending = "notice" if spec.mode == "opt-out" else "question"
    return Expected(False, "notice" if spec.mode == "opt-out" else "awaiting", None, pending)


# --- the property ------------------------------------------------------------------------------------


def place(path: Path, f: File | None) -> None:
    if f is None:
        return
    if f.data is None:
        path.mkdir()
    else:
        path.write_bytes(f.data)


def check(
    spec: AppSpec,
    config: File | None,
    policy: File | None,
    flag: bool,
    app_env: str | None,
    dnt: str | None,
) -> None:
    root = Path(tempfile.mkdtemp(prefix="consent-prop-"))
    try:
        locs = Locations(
            str(root / "config.toml"),
            (str(root / "policy.toml"),),
            str(root / "id"),
            str(root / "log"),
        )
        place(locs.config_file, config)
        place(locs.policy_files[0], policy)
        environ = {k: v for k, v in ((DNT, dnt), (spec.disable_env, app_env)) if v is not None}
        before = sorted(os.listdir(root))
        decision = resolve(spec, flag=flag, environ=environ, locs=locs)
        fast = resolve(spec, flag=flag, environ=environ, locs=locs, full=False)
        assert sorted(os.listdir(root)) == before  # reading never writes

        want = oracle(spec, config, policy, flag, app_env, dnt)
        got = decision.decided_by
        why = (config, policy, flag, environ, decision.decided_by)
        assert decision.enabled is want.enabled, why
        assert fast.enabled is want.enabled, why  # a host command's run decides the same
        if want.source == "awaiting":  # opt-in, no answer yet: the default decides
            assert got.source in ("default", "notice"), why
        else:
            assert got.source == want.source, why
        if want.env_name is not None:
            assert got.origin["name"] == want.env_name, why
        if want.source in ("config", "error"):
            assert got.origin["path"] == locs.config_path, why
        if want.source == "policy":
            assert got.origin["path"] == locs.policy_paths[0], why
        assert decision.pending == want.pending, why

        # Unknown env values, an unreadable config and an unreadable policy are named.
        warnings = " ".join(decision.warnings)
        for name, raw in ((spec.disable_env, app_env), (DNT, dnt)):
            if not env_understood(raw):
                assert name in warnings, why
        if config_state(config)[0] == "error":
            assert locs.config_path in warnings, why
        if policy_locks(policy)[1]:
            assert locs.policy_paths[0] in warnings, why
    finally:
        shutil.rmtree(root)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config_files(SPEC), policy_files(SPEC), FLAG, ENV, ENV)
def test_opt_out_decision_is_the_designs(
    config: File | None, policy: File | None, flag: bool, app_env: str | None, dnt: str | None
) -> None:
    check(SPEC, config, policy, flag, app_env, dnt)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(config_files(OPT_IN), policy_files(OPT_IN), FLAG, ENV, ENV)
def test_opt_in_decision_is_the_designs(
    config: File | None, policy: File | None, flag: bool, app_env: str | None, dnt: str | None
) -> None:
    check(OPT_IN, config, policy, flag, app_env, dnt)
