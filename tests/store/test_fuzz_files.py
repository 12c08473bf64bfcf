"""Every reader of a file, fuzzed (issue 24): config, policy, managed preferences (plist),
project file, consent receipts, local log, id file, and what the keyring hands back.

Each `test_fuzz_<reader>` holds its reader to the bound docs/security.md states for it
("Readers of outside input"), counting the work: the bytes read, the key parts and the nesting
tomllib saw, the nesting of every text the json parser saw. The harness is tests/fuzz.py.
"""

from __future__ import annotations

import os
import plistlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import tomllib
import tomllib._parser as toml_parser
from hypothesis import strategies as st

from consent._core.jsonline import MAX_DEPTH as JSON_DEPTH
from consent._core.names import LOG_MAX_BYTES
from consent._core.rules import decide
from consent._store import identity, log, receipts, safeopen
from consent._store.paths import Locations
from consent._store.sources import _read_plist, gather, read_policies, read_project
from consent._store.tomlread import (
    MAX_BYTES,
    MAX_DEPTH,
    MAX_KEY_LENGTH,
    MAX_KEY_PARTS,
    read_toml,
)
from consent.testing.home import Home
from lumogon import SPEC
from tests.fuzz import (
    ESCAPES,
    EXAMPLES,
    command,
    hostile_json,
    json_parser_calls,
    run,
    terminal_safe,
)

REASONS = {"too_large", "too_complex", "invalid", "not_utf8", "too_deep"}


# --- counting a reader's work ---------------------------------------------------------------


class Work:
    """What the readers did meanwhile: bytes read per open, and tomllib's keys and nesting."""

    def __init__(self) -> None:
        self.reads: list[int] = []
        self.key_parts: list[int] = []
        self.key_lengths: list[int] = []
        self.depth = 0
        self.deepest = 0


@contextmanager
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Work]:
    work = Work()
    read_regular, parse_key, parse_value = (
        safeopen.read_regular,
        toml_parser.parse_key,
        toml_parser.parse_value,
    )

    def reading(path: Any, limit: int, *, follow: bool) -> bytes:
        data = read_regular(path, limit, follow=follow)
        work.reads.append(len(data) - limit)  # how far past its limit it read (at most 1)
        return data

    def key(src: str, pos: int) -> tuple[int, tuple[str, ...]]:
        end, parts = parse_key(src, pos)
        work.key_parts.append(len(parts))
        work.key_lengths.append(end - pos)
        return end, parts

    def value(src: str, pos: int, parse_float: Any) -> tuple[int, Any]:
        work.depth += 1
        work.deepest = max(work.deepest, work.depth)
        try:
            return parse_value(src, pos, parse_float)
        finally:
            work.depth -= 1

    with monkeypatch.context() as patch:
        patch.setattr(safeopen, "read_regular", reading)
        patch.setattr(identity, "read_regular", reading)  # imported by name there
        patch.setattr(toml_parser, "parse_key", key)
        patch.setattr(toml_parser, "parse_value", value)
        yield work


def within_toml_bounds(work: Work) -> None:
    """The bound of docs/configuration.md's Limits, as tomllib saw it: no read past the cap, no
    key of more parts or characters than the caps (so its cost per key, which grows with the
    square of the parts, stays a constant), no value nested deeper than the cap."""
    assert all(over <= 1 for over in work.reads)
    assert max(work.key_parts, default=0) <= MAX_KEY_PARTS
    assert max(work.key_lengths, default=0) <= MAX_KEY_LENGTH + 2  # `= ` after it
    assert work.deepest <= MAX_DEPTH + 1  # the value itself, and what it nests


# --- TOML: config, policy, project file ------------------------------------------------------


def _piece(kind: str, n: int) -> str:
    dotted = ".".join(["a"] * n)
    return {
        "inline-dotted": f"x{n} = {{{dotted} = 1}}\n",
        "inline-in-array": f"y{n} = [{{{dotted} = 1}}]\n",
        "inline-quoted": "z = {" + ".".join(['"q"'] * n) + " = 1}\n",
        "inline-nested": "w = " + "{a = " * n + "1" + "}" * n + "\n",
        "line-dotted": f"{dotted}.k{n} = 1\n",
        "header": "[" + dotted + f".h{n}]\n",
        "long-key": "k" * n + " = 1\n",
        "inline-long-key": "v = {" + "k" * n + " = 1}\n",
        "array": "a = " + "[" * n + "]" * n + "\n",
        "number": "n = " + "1" * (n * 40) + "\n",
        "string-with-keys": f's = "{dotted} = {{"\n',
        "multiline-keys": f'm = """\n{dotted} = {{{dotted} = 1}}\n"""\n',
        "comment": f"# {dotted} = {{ [[[[ \n",
        "unclosed": f'u = "{dotted}\n',
        "telemetry": '[telemetry]\nenabled = true\nnotice_version = "x"\n',
        "escape": 'e = "\\u001b[31m"\n',
    }[kind]


TOML_KINDS = [
    "inline-dotted", "inline-in-array", "inline-quoted", "inline-nested", "line-dotted", "header",
    "long-key", "inline-long-key", "array", "number", "string-with-keys", "multiline-keys",
    "comment", "unclosed", "telemetry", "escape",
]  # fmt: skip


def toml_texts() -> st.SearchStrategy[bytes]:
    """Random bytes; hostile TOML (the shapes that made tomllib slow or crash, repeated up to
    hundreds of KB); and printable random text."""
    piece = st.tuples(st.sampled_from(TOML_KINDS), st.integers(1, 300), st.integers(1, 2000)).map(
        lambda t: _piece(t[0], t[1]) * (t[2] if t[0] != "telemetry" else 1)
    )
    hostile = st.lists(piece, min_size=1, max_size=4).map(lambda ps: "".join(ps).encode())
    return st.one_of(
        hostile,
        hostile,
        st.binary(max_size=400),
        st.text(alphabet=st.characters(codec="utf-8"), max_size=200).map(str.encode),
        st.sampled_from([b"", b"\xef\xbb\xbf", b"# " + b"x" * MAX_BYTES]),  # empty, BOM, 1 MiB+
    )


# The shapes a TOML reader once failed on (issue 24), tried by every run: a 200 KB key of many
# parts in an inline table (12.6 s, now refused at once), one in an array, a number too long.
TOML_ALWAYS = (
    (("x = {" + "a." * 100_000 + "a = 1}\n").encode(),),
    (("y = [{" + "a." * 20 + "a = 1}]\n").encode(),),
    (("n = " + "1" * 5000 + "\n").encode(),),
)


def judged(reading: Any, data: bytes) -> None:
    """A file is read exactly as tomllib reads it, or refused with a reason and its words."""
    if reading.state == "ok":
        assert len(data) <= MAX_BYTES
        assert reading.doc == tomllib.loads(data.decode("utf-8").removeprefix("\ufeff"))
    else:
        assert reading.state == "error" and reading.reason in REASONS and reading.problem


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_config(examples: int, consent_home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    """A config of any shape is read within the caps or refused; refused means disabled by
    `error`, with the reason (docs/configuration.md, "Limits")."""
    locs = consent_home.locations(SPEC)

    def prop(data: bytes) -> None:
        locs.config_file.parent.mkdir(parents=True, exist_ok=True)
        locs.config_file.write_bytes(data)
        with counted(monkeypatch) as work:
            reading = read_toml(locs.config_file)
            decision = decide(gather(SPEC, environ={}, locs=locs, cwd="/", home="/"))
        within_toml_bounds(work)
        judged(reading, data)
        if reading.state == "error":
            assert not decision.enabled and decision.decided_by.source == "error"
            assert any(reading.problem in w for w in decision.warnings)

    run(prop, toml_texts(), examples=examples, always=TOML_ALWAYS)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_policy(examples: int, consent_home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    """A policy of any shape is read within the caps or refused; refused means a lock."""
    locs = consent_home.locations(SPEC)
    path = locs.policy_files[-1]

    def prop(data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        with counted(monkeypatch) as work:
            reading = read_toml(path, follow=False)
            (policy,) = [p for p in read_policies(locs, SPEC.purpose_names) if p.path == str(path)]
        within_toml_bounds(work)
        judged(reading, data)
        if reading.state == "error":
            assert policy.locks and policy.state == "error"

    run(prop, toml_texts(), examples=examples, always=TOML_ALWAYS)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_project(examples: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A project file of any shape (any cloned repository may ship one) is read within the caps
    or refused; refused disables, as anything unclear in it does."""
    folder = tmp_path / "repo" / f".{SPEC.name}"
    folder.mkdir(parents=True)
    path = folder / "telemetry.toml"

    def prop(data: bytes) -> None:
        path.write_bytes(data)
        with counted(monkeypatch) as work:
            reading = read_toml(path)
            project = read_project(SPEC.name, str(folder.parent), str(tmp_path))
        within_toml_bounds(work)
        judged(reading, data)
        if reading.state == "error":
            assert project.disables and project.state == "error"

    run(prop, toml_texts(), examples=examples, always=TOML_ALWAYS)


# --- macOS managed preferences ---------------------------------------------------------------


def plists() -> st.SearchStrategy[bytes]:
    text = st.text(st.characters(exclude_categories=("Cc", "Cs")), max_size=8)  # plist strings
    settings_ = st.dictionaries(
        st.sampled_from(["enabled", "mode", "disabled_purposes", "endpoint", "Payload", "x"]),
        st.one_of(st.booleans(), text, st.lists(text, max_size=2)),
        max_size=4,
    )
    profile = settings_.map(
        lambda s: {"PayloadContent": [{"PayloadType": SPEC.name, **s}], "PayloadType": "Config"}
    )
    deep = st.integers(1, 3000).map(lambda d: b"<plist>" + b"<array>" * d + b"</array>" * d)
    return st.one_of(
        settings_.map(plistlib.dumps),
        settings_.map(lambda s: plistlib.dumps(s, fmt=plistlib.FMT_BINARY)),
        profile.map(plistlib.dumps),
        profile.map(lambda s: plistlib.dumps(s, fmt=plistlib.FMT_BINARY)),
        deep,
        st.binary(max_size=300),
        st.binary(max_size=300).map(lambda b: b"bplist00" + b),
        st.just(b'<!DOCTYPE plist [<!ENTITY a "aaaa">]><plist><string>&a;</string></plist>'),
    )


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_plist(examples: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Managed preferences of any shape: read exactly (the settings at the top level) or an
    error, and an error locks; a whole configuration profile (PayloadContent) always locks."""
    path = tmp_path / "com.example.lumogon.plist"
    locs = Locations(str(tmp_path / "config.toml"), (str(path),), "", "")

    def prop(data: bytes) -> None:
        path.write_bytes(data)
        with counted(monkeypatch) as work:
            reading = _read_plist(str(path))
            (policy,) = read_policies(locs, SPEC.purpose_names)
        assert all(over <= 1 for over in work.reads)
        assert reading.state in ("ok", "error")
        if reading.state == "error":
            assert policy.locks and reading.problem
        try:
            doc = plistlib.loads(data)
        except Exception:
            assert reading.state == "error"
            return
        if isinstance(doc, dict) and "PayloadContent" in doc:
            assert reading.state == "error" and policy.locks
            assert "configuration profile" in reading.problem

    profile = {"PayloadContent": [{"PayloadType": SPEC.name, "enabled": False}]}
    run(prop, plists(), examples=examples, always=((plistlib.dumps(profile),),))


def test_a_whole_configuration_profile_as_managed_preferences_locks(tmp_path: Path) -> None:
    """Regression (issue 24): a .mobileconfig copied to Managed Preferences read as no policy
    at all; its settings sit under PayloadContent, which cannot be read exactly: a lock."""
    path = tmp_path / "com.example.lumogon.plist"
    payload = {"PayloadType": "com.example.lumogon", "enabled": False, "PayloadVersion": 1}
    path.write_bytes(plistlib.dumps({"PayloadContent": [payload], "PayloadType": "Configuration"}))
    (policy,) = read_policies(Locations("", (str(path),), "", ""), SPEC.purpose_names)
    assert policy.state == "error" and policy.locks
    assert "PayloadContent" in policy.problem


# --- consent receipts -------------------------------------------------------------------------


def receipt_files() -> st.SearchStrategy[bytes]:
    line = st.one_of(hostile_json(), st.sampled_from([b"", b"{}", b'{"receipt_id": 1}']))
    return st.lists(line, max_size=5).map(b"\n".join)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_receipts(examples: int, consent_home: Home) -> None:
    """Any bytes in the receipts file: `status` shows the decision, `receipts` lists what
    parses, `--verify` names the first bad record; no text deeper than 16 levels reaches the
    json parser, nothing read past 16 MiB, and every line printed is escaped."""
    path = Path(consent_home.locations(SPEC).receipts_path)
    path.parent.mkdir(parents=True, exist_ok=True)

    def prop(data: bytes) -> None:
        path.write_bytes(data)
        with json_parser_calls() as parsed:
            status = command("status")
            listed = command("receipts")
            verified = command("receipts", verify=True)
            as_json = command("status", as_json=True)
        assert max(parsed, default=0) <= JSON_DEPTH
        assert status[0] == 0 and status[1].startswith("Telemetry for lumogon is ")
        assert as_json[0] == 0 and listed[0] == 0 and verified[0] in (0, 1)
        if verified[0]:
            assert verified[1].startswith("receipt ") and "does not match" in verified[1]
        for _, out, err in (status, listed, verified, as_json):
            assert terminal_safe(out) and terminal_safe(err)

    deep = b"[" * 100_000 + b"]" * 100_000
    run(prop, receipt_files(), examples=examples, always=((deep,), (b"{}\n" + deep,)))


def special_receipts(kind: str, path: Path) -> None:
    if kind == "fifo":
        os.mkfifo(path)
    elif kind == "directory":
        path.mkdir()
    elif kind == "dangling link":
        path.symlink_to(path.parent / "nowhere")
    elif kind == "link":
        (path.parent / "elsewhere").write_bytes(b"")
        path.symlink_to(path.parent / "elsewhere")
    else:  # too large: one byte past the cap, as a sparse file
        with open(path, "wb") as fh:
            fh.truncate(receipts.MAX_BYTES + 1)


@pytest.mark.parametrize("kind", ["fifo", "directory", "dangling link", "link", "too large"])
def test_status_survives_anything_at_the_receipts_path(kind: str, consent_home: Home) -> None:
    """Regression (issue 24): a FIFO, a directory or a dangling link at the receipts path made
    `status` print only `error: is not a regular file (no file)`, exit 1. Now it shows the
    decision, and says what is wrong there, naming the path; `receipts` refuses naming it."""
    path = Path(consent_home.locations(SPEC).receipts_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    special_receipts(kind, path)
    code, out, err = command("status")
    assert code == 0 and err == ""
    assert out.startswith("Telemetry for lumogon is disabled.\ndecided by: ")
    assert "latest receipt:  unknown: the file cannot be read" in out
    assert f"! the consent receipts cannot be read: {path} " in out
    code, out, err = command("status", as_json=True)
    assert code == 0 and f"the consent receipts cannot be read: {path} " in out
    for verify in (False, True):
        code, out, err = command("receipts", verify=verify)
        assert code == 1 and out == ""
        assert err.startswith(f"error: the consent receipts cannot be read: {path} ")


def test_a_receipt_nested_deeply_is_a_bad_record_not_a_traceback(consent_home: Home) -> None:
    """Regression (issue 24): one deeply nested line crashed `status`, `status --json`,
    `receipts` and `receipts --verify` with a RecursionError."""
    path = Path(consent_home.locations(SPEC).receipts_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"[" * 100_000 + b"]" * 100_000 + b"\n")
    assert command("status")[0] == command("status", as_json=True)[0] == 0
    assert command("receipts") == (0, f"No consent receipts yet (file: {path}).\n", "")
    code, out, _ = command("receipts", verify=True)
    assert (code, out) == (
        1,
        "receipt 1 of 1 does not match: it is not a JSON record (edited or cut).\n",
    )


# --- the local log ----------------------------------------------------------------------------


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_log(examples: int, consent_home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    """Any bytes in either generation of the log: `telemetry log` (and `--json`) lists what it
    can read, escaped; it reads at most the cap of each generation; no text deeper than 16
    levels reaches the json parser."""
    path = consent_home.locations(SPEC).log_file
    path.parent.mkdir(parents=True, exist_ok=True)
    line = st.one_of(
        hostile_json(),
        st.builds(
            lambda e, o: f'{{"id": "1", "event": "{e}", "outcome": {o}}}'.encode(
                "utf-8", "surrogatepass"
            ),
            st.sampled_from([*ESCAPES, "screenview"]),
            st.sampled_from(['"sent"', "1", "[]", '"\\u001b[2J"']),
        ),
    )
    lines = st.lists(line, max_size=5).map(b"\n".join)
    big = st.integers(1, 2).map(
        lambda n: b'{"id": "x", "event": "e"}\n' * (n * LOG_MAX_BYTES // 20)
    )

    def prop(current: bytes, older: bytes) -> None:
        path.write_bytes(current)
        Path(log.older(path)).write_bytes(older)
        sizes: list[int] = []
        pread = os.pread

        def counting(fd: int, n: int, offset: int) -> bytes:
            data = pread(fd, n, offset)
            sizes.append(len(data))
            return data

        with monkeypatch.context() as patch, json_parser_calls() as parsed:
            patch.setattr(os, "pread", counting)
            shown = command("log")
            as_json = command("log", as_json=True)
        assert sum(sizes) <= 2 * 2 * LOG_MAX_BYTES  # two generations, two commands
        assert max(parsed, default=0) <= JSON_DEPTH
        assert shown[0] == as_json[0] == 0
        assert terminal_safe(shown[1]) and terminal_safe(shown[2]) and terminal_safe(as_json[1])

    deep = b"[" * 100_000 + b"]" * 100_000
    run(prop, st.one_of(lines, big), lines, examples=examples, always=((deep, deep),))


# --- the id file and the keyring --------------------------------------------------------------


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_id_file(examples: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Any bytes in the id file: a UUID4 is read from its first 4 KiB, anything else is no id."""
    path = tmp_path / "client-id"
    uuids = st.uuids(version=4).map(lambda u: f"{u}\n".encode())
    ids = st.one_of(
        uuids,
        st.uuids().map(lambda u: str(u).encode()),
        st.binary(max_size=100),
        st.integers(1, 3).map(
            lambda n: b" " * (4096 * n) + b"6f1c0e8e-6d5f-4d6c-9a5e-1c2b3a4d5e6f"
        ),
    )

    def prop(data: bytes) -> None:
        path.write_bytes(data)
        with counted(monkeypatch) as work:
            value = identity._read_file(path)
        assert work.reads and all(over <= 1 for over in work.reads)
        import uuid

        try:
            expected = uuid.UUID(data[:4096].decode("utf-8").strip())
        except (ValueError, UnicodeDecodeError):
            expected = None
        if expected is None or expected.version != 4:
            assert value is None
        else:
            assert value == str(expected)

    run(prop, ids, examples=examples)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_keyring(examples: int, consent_home: Home) -> None:
    """Whatever the keyring holds under the id's entry, only a UUID4 is taken as the id."""
    import keyring

    from consent._core.names import KEYRING_USER

    locs = consent_home.locations(SPEC)

    def prop(value: str) -> None:
        keyring.set_password(SPEC.keyring_service, KEYRING_USER, value)
        stored = identity.load(SPEC, locs)
        assert stored.value is None or stored.value == value.strip().lower()
        assert stored.where in ("keyring", "none", "file")

    values = st.one_of(st.uuids(version=4).map(str), st.text(max_size=50), st.sampled_from(ESCAPES))
    run(prop, values, examples=examples)


# --- a packager's defaults --------------------------------------------------------------------


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_packager(examples: int, consent_home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    """A packager's defaults of any shape are read within the caps or refused; a file that
    cannot be read exactly sends nothing (fail closed), decided by `packager`, with a warning
    naming the file; one that is read can only make the app stricter, never enable it."""
    folder = consent_home.root / "prefix" / "share" / SPEC.name
    folder.mkdir(parents=True)
    path = folder / "telemetry-defaults.toml"
    locs = consent_home.locations(SPEC).replace(defaults_path=str(path))

    def prop(data: bytes) -> None:
        path.write_bytes(data)
        with counted(monkeypatch) as work:
            reading = read_toml(path)
            decision = decide(gather(SPEC, environ={}, locs=locs, cwd="/", home="/"))
        within_toml_bounds(work)
        judged(reading, data)
        assert not decision.enabled  # nothing recorded: an opt-out app awaits its notice at most
        vote = next(v for v in decision.trace if v.source == "packager")
        if reading.state == "error":
            assert decision.decided_by.source == "packager" and vote.vote == "disable"
            assert any(str(path) in w and reading.problem in w for w in decision.warnings)
        assert all(decision.verdict(p.purpose) == "drop" for p in decision.purposes)

    run(prop, toml_texts(), examples=examples, always=TOML_ALWAYS)


# --- the start module's glance at the config, policy and project files ------------------------


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_start(examples: int, consent_home: Home, monkeypatch: pytest.MonkeyPatch) -> None:
    """Before anything else loads, consent/_start.py glances at the same files: whatever they
    hold, the glance never raises, reads at most its 64 KiB (one byte more to know), and says
    "off" only where the full decision sends, keeps and shows nothing."""
    import consent._start as start_module
    from tests.e2e.test_start_differential import both

    project = consent_home.root / "work" / f".{SPEC.name}" / "telemetry.toml"
    project.parent.mkdir(parents=True)
    cwd = str(project.parent.parent)
    env = dict(consent_home.env, HOME=str(consent_home.root))
    files = {
        "config": consent_home.locations(SPEC).config_file,
        "policy": consent_home.policy_file(SPEC),
        "project": project,
    }
    reads: list[int] = []
    real_read = os.read

    def read(fd: int, n: int) -> bytes:
        data = real_read(fd, n)
        reads.append(len(data))
        return data

    import consent._glance as glance_module  # what the start reads files with

    limit = glance_module._GLANCE_BYTES + 1

    def prop(where: str, data: bytes, interactive: bool) -> None:
        for path in files.values():
            path.unlink(missing_ok=True)
        files[where].parent.mkdir(parents=True, exist_ok=True)
        files[where].write_bytes(data)
        reads.clear()
        with monkeypatch.context() as patch:
            patch.setattr(os, "read", read)  # the start's reads only: the full reader's are its own
            glance = start_module.run_is_off(SPEC, flag=False, environ=env, cwd=cwd,
                                             interactive=interactive)  # fmt: skip
        assert reads and all(n <= limit for n in reads)
        off, acts, source = both(SPEC, env, cwd, interactive=interactive)
        assert off == glance
        if off:
            assert acts == [], f"the start said off; the full decision ({source}) {acts}"

    where = st.sampled_from(sorted(files))
    always = tuple((w, d[0], False) for w in sorted(files) for d in TOML_ALWAYS)
    run(prop, where, toml_texts(), st.booleans(), examples=examples, always=always)


# --- Windows Group Policy (the registry, through a faithful fake of winreg) -------------------


def registry_values() -> st.SearchStrategy[list[tuple[str, int, object]]]:
    from tests.store import fakewinreg as wr

    text = st.one_of(st.text(max_size=40), st.sampled_from([*ESCAPES, "off", "https://x.example"]))
    typed = st.one_of(
        st.tuples(st.just(wr.REG_DWORD), st.one_of(st.integers(0, 2), st.integers(0, 2**32 - 1))),
        st.tuples(st.just(wr.REG_SZ), text),
        st.tuples(st.just(wr.REG_MULTI_SZ), st.lists(text, max_size=3)),
        st.tuples(st.just(wr.REG_EXPAND_SZ), text),
        st.tuples(st.just(wr.REG_QWORD), st.integers(0, 2**64 - 1)),
        st.tuples(st.sampled_from([wr.REG_BINARY, wr.REG_NONE]), st.one_of(st.none(), st.binary())),
    )
    name = st.one_of(
        st.sampled_from(["enabled", "mode", "disabled_purposes", "endpoint", "ENABLED", ""]),
        st.text(max_size=10),
    )
    entry = st.tuples(name, typed).map(lambda t: (t[0], t[1][0], t[1][1]))
    many = st.integers(60, 70).map(lambda n: [(f"v{i}", wr.REG_SZ, "x") for i in range(n)])
    return st.one_of(st.lists(entry, max_size=6), many)


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_registry(examples: int, monkeypatch: pytest.MonkeyPatch) -> None:
    """Group Policy values of any name, type and number, a subkey, a key that may not be
    opened: read exactly (each value as the TOML value it stands for) or refused, never more
    than the 64 values a policy may hold enumerated, and a refusal locks (fail closed)."""
    import sys

    from consent._core.names import REGISTRY_PREFIX
    from consent._store.sources import MAX_VALUES, read_registry
    from tests.store import fakewinreg as wr

    location = REGISTRY_PREFIX + SPEC.policy_key

    def expected(kind: int, data: object) -> object:
        if kind == wr.REG_DWORD:
            return {0: False, 1: True}.get(data, data)  # type: ignore[call-overload]
        return data if kind in (wr.REG_SZ, wr.REG_MULTI_SZ) else None

    def prop(values: list[tuple[str, int, object]], subkey: bool, denied: bool) -> None:
        reg = wr.FakeRegistry()
        for name, kind, data in values:
            reg.set_value(SPEC.policy_key, name, data, kind)
        reg.create_key(SPEC.policy_key)
        if subkey:
            reg.create_key(SPEC.policy_key + "\\sub")
        if denied:
            reg.deny(SPEC.policy_key)
        module = reg.module()
        listed: list[int] = []
        enum_value = module.EnumValue

        def counted_enum(key: object, index: int) -> object:
            listed.append(index)
            return enum_value(key, index)

        module.EnumValue = counted_enum  # type: ignore[attr-defined]
        reading = read_registry(location, module)
        assert len(listed) <= MAX_VALUES
        stored = {n.lower(): (n, k, d) for n, k, d in values}  # as the registry keeps them
        if reading.state == "ok":
            assert not (subkey or denied) and len(stored) <= MAX_VALUES
            table = reading.doc.get("telemetry", {})
            assert table == {n or "(Default)": expected(k, d) for n, k, d in stored.values()}
            assert None not in table.values()
        else:
            assert reading.state == "error" and reading.problem
            with monkeypatch.context() as patch:
                patch.setitem(sys.modules, "winreg", module)
                (policy,) = read_policies(Locations("", (location,), "", ""), SPEC.purpose_names)
            assert policy.locks

    run(prop, registry_values(), st.booleans(), st.booleans(), examples=examples)
