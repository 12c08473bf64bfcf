"""read_toml's every answer: state, reason and the words a person reads (issue 12, class 11)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from consent._store.tomlread import MAX_BYTES, MAX_DEPTH, MAX_KEY_LENGTH, parse_toml, read_toml


def test_missing(tmp_path: Path) -> None:
    reading = read_toml(tmp_path / "none.toml")
    assert (reading.state, reading.reason, reading.problem, reading.doc) == ("missing", "", "", {})
    assert reading.path == str(tmp_path / "none.toml")


def test_ok(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_bytes(b"[telemetry]\nenabled = true\n")
    reading = read_toml(path)
    assert (reading.state, reading.reason, reading.problem) == ("ok", "", "")
    assert reading.doc == {"telemetry": {"enabled": True}}


def link_to_a_file(path: Path) -> None:
    (path.parent / "real").write_text("a = 1\n")
    path.symlink_to(path.parent / "real")


@pytest.mark.parametrize(
    ("make", "follow", "reason", "problem"),
    [
        (lambda p: p.mkdir(), True, "directory", "is a directory, not a file"),
        (os.mkfifo, True, "special", "is not a regular file"),
        (lambda p: p.symlink_to(p.parent / "nowhere"), False, "special",
         "is a dangling symbolic link, not a regular file"),
        (lambda p: p.symlink_to(p.parent / "nowhere"), True, "missing", ""),
        (link_to_a_file, False, "special", "is a symbolic link, not a regular file"),
        (lambda p: p.write_bytes(b"\xff\xfe"), True, "not_utf8", "is not UTF-8 text (byte 0)"),
        (lambda p: p.write_bytes(b"a = \n"), True, "invalid", "is not valid TOML"),
        (lambda p: p.write_bytes(b"# " + b"x" * MAX_BYTES), True, "too_large",
         "is larger than 1 MiB"),
        (lambda p: p.write_bytes(b"k" * (MAX_KEY_LENGTH + 1) + b" = 1\n"), True, "too_complex",
         "is too complex to read safely (a key longer than 256 characters)"),
    ],
)  # fmt: skip
def test_each_way_a_file_cannot_be_read(
    tmp_path: Path, make: object, follow: bool, reason: str, problem: str
) -> None:
    path = tmp_path / "c.toml"
    make(path)  # type: ignore[operator]
    reading = read_toml(path, follow=follow)
    if reason == "missing":
        assert reading.state == "missing"
        return
    assert (reading.state, reading.reason, reading.doc) == ("error", reason, {})
    assert reading.problem.startswith(problem), reading.problem


def test_a_path_through_a_file_is_unreadable(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("x")
    reading = read_toml(tmp_path / "a-file" / "c.toml")
    assert (reading.state, reading.reason) == ("error", "unreadable")
    assert reading.problem == "cannot be read (Not a directory)"


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        ("# " + "k" * 300 + " = 1\n", True),  # a comment is not a key
        ("  \t# " + "a." * 40 + "b = 1\n", True),
        ("\t " + "k" * 300 + " = 1\n", False),  # indented keys count
        ("[a] # " + "x" * 300 + "\n", True),  # a header ends at its `]`
        ("[[a]] # " + ".x" * 40 + "\n", True),
        ("[" + "k" * 300 + "]\n", False),
        ("word without equals " + "." * 40 + "\n", False),  # invalid, but not a key
        ("x = ']]]]]]]]'\ny = " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\nz = [1]\n", True),
        ("y = " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\nz = [[1]]\n", True),  # scanned, at the cap
        ("y = " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n", False),
        ("x = '" + "[" * (MAX_DEPTH + 1) + "'\n", False),  # brackets in strings count too
    ],
)
def test_the_line_scan(text: str, ok: bool) -> None:
    import tomllib

    try:
        expected = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        expected = None
    try:
        got = parse_toml(text.encode())
    except ValueError as exc:
        assert not ok or expected is None, exc
        if expected is not None:
            assert "too complex" in str(exc)
        return
    assert ok and got == expected


def test_a_config_symlink_is_followed_by_default(tmp_path: Path) -> None:
    link_to_a_file(tmp_path / "c.toml")
    reading = read_toml(tmp_path / "c.toml")
    assert (reading.state, reading.doc) == ("ok", {"a": 1})


def test_a_policy_link_says_which_file_was_read_or_why_it_was_not(tmp_path: Path) -> None:
    # A system root (its owner counts as root, consent/_store/safeopen.py): a policy linked
    # into a store, as NixOS makes it, is read and names the file read; a link that anyone
    # could redirect is never followed, and is "special" like any other form but a file.
    root = tmp_path / "root"
    store = root / "store"
    store.mkdir(parents=True)
    (store / "policy.toml").write_text("[telemetry]\nenabled = false\n")
    (root / "etc").mkdir()
    (root / "etc" / "policy.toml").symlink_to("../store/policy.toml")
    for d in (root, store, root / "etc"):
        d.chmod(0o755)
    reading = read_toml(root / "etc" / "policy.toml", policy_root=str(root))
    assert (reading.state, reading.target) == ("ok", str(store / "policy.toml"))
    assert reading.doc == {"telemetry": {"enabled": False}}
    store.chmod(0o777)
    reading = read_toml(root / "etc" / "policy.toml", policy_root=str(root))
    assert (reading.state, reading.reason, reading.target) == ("error", "special", "")
    assert (
        reading.problem
        == f"is a symbolic link that is not followed: {store} is writable by every user"
    )


@pytest.mark.parametrize(
    ("text", "doc"),
    [
        ('[a]\nb = [1, {c = "d"}]\n', {"a": {"b": [1, {"c": "d"}]}}),
        ("x = 1.5\n", {"x": 1.5}),  # beyond the plain subset: the full parser answers
        ("x = [\n", None),
        ("a = 1\na = 2\n", None),
    ],
)
def test_without_tomllib_tomlkit_reads_the_same(
    monkeypatch: pytest.MonkeyPatch, text: str, doc: dict[str, object] | None
) -> None:
    """Python 3.10 has no tomllib: tomlkit reads, with the same answers and the same refusals."""
    import sys

    from consent._store.tomlread import TomlError

    monkeypatch.setattr(sys, "version_info", (3, 10, 0))
    if doc is None:
        with pytest.raises(TomlError) as caught:
            parse_toml(text.encode())
        assert caught.value.reason == "invalid" and str(caught.value).startswith("not valid TOML")
    else:
        assert parse_toml(text.encode()) == doc


@pytest.mark.parametrize(
    ("text", "ok"),
    [
        # Closed arrays before a nesting at the cap: the depth goes back to 0, never below.
        ("a = [1]\nb = [[2]]\nx = " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n", True),
        ("x = " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\ny = " + "[" * 2 + "]" * 2 + "\n", True),
        ("x = ]]]]\ny = " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n", False),
        # Each `[]` inside climbs one and comes back one: 17 open at the innermost.
        ("x = " + "[[], " * MAX_DEPTH + "[]" + "]" * MAX_DEPTH + "\n", False),
        ("x = " + "[[], " * (MAX_DEPTH - 2) + "[]" + "]" * (MAX_DEPTH - 2) + "\n", True),
        ("X" * (MAX_KEY_LENGTH + 1) + " = 1\n", False),  # every key counts, whatever its letters
        ("[" + "X" * (MAX_KEY_LENGTH + 1) + "]\n", False),
    ],
)
def test_nesting_and_key_caps_are_counted_exactly(text: str, ok: bool) -> None:
    import tomllib

    from consent._store.tomlread import TomlError

    if ok:
        assert parse_toml(text.encode()) == tomllib.loads(text)
    else:
        with pytest.raises(TomlError) as caught:
            parse_toml(text.encode())
        assert caught.value.reason == "too_complex"


def test_a_file_that_exhausts_the_stack_is_an_error_never_ok(tmp_path: Path) -> None:
    """Under the caps no parser comes near Python's recursion limit, unless the host itself is
    already deep in its own recursion: then a nested file is refused ("too_deep": a policy
    locks), never read as empty and never an exception."""
    import inspect
    import sys

    path = tmp_path / "policy.toml"
    path.write_text("x = " + "[" * MAX_DEPTH + "]" * MAX_DEPTH + "\n")
    whole = read_toml(path).doc
    assert whole and whole == parse_toml(path.read_bytes())

    def depth() -> int:
        return len(inspect.stack(0))

    seen = set()
    old = sys.getrecursionlimit()
    for margin in range(25, 90, 2):
        sys.setrecursionlimit(depth() + margin)
        try:
            reading = read_toml(path)
        finally:
            sys.setrecursionlimit(old)
        answer = (reading.state, reading.reason, reading.problem)
        assert answer in (("ok", "", ""), ("error", "too_deep", "is nested too deeply to read"))
        assert reading.state == "error" or reading.doc == whole
        seen.add(reading.state)
    assert seen == {"ok", "error"}
