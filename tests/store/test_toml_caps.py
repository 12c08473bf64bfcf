"""The TOML reader's caps to the character and to the word (issue 24: what the stronger mutants
of scripts/mutate.py found untested in consent/_store/tomlread.py). The properties are
tests/store/test_parse_bounds.py's and tests/store/test_fuzz_files.py's."""

from __future__ import annotations

import pytest
import tomllib

from consent._store.tomlread import TomlError, parse_toml

TOO = "too complex to read safely"


@pytest.mark.parametrize(
    ("text", "reason", "message"),
    [
        ("# " + "x" * (1024 * 1024), "too_large", "larger than 1 MiB"),
        ("".join(f"k{i} = 1\n" for i in range(4097)), "too_complex", f"{TOO} (more than 4096 keys)"),
        ("x = [" + "1," * 16385 + "]\n", "too_complex", f"{TOO} (more than 16384 array or table items)"),
        ("".join(f"[t{i}]\n" for i in range(513)), "too_complex", f"{TOO} (more than 512 table headers)"),
        ("x = " + "[" * 17 + "]" * 17 + "\n", "too_complex", f"{TOO} (arrays or tables nested deeper than 16)"),
        ("a" + ".a" * 16 + " = 1\n", "too_complex", f"{TOO} (a key of more than 16 dotted parts)"),
        ("k" * 257 + "= 1\n", "too_complex", f"{TOO} (a key longer than 256 characters)"),
        ("n = " + "1" * 5000 + "\n", "too_complex", f"{TOO} (a number too long to convert)"),
        (b"\xff".decode("latin-1"), "not_utf8", "not UTF-8 text (byte 0)"),
    ],
)  # fmt: skip
def test_each_cap_in_words(text: str, reason: str, message: str) -> None:
    data = text.encode("latin-1") if reason == "not_utf8" else text.encode()
    with pytest.raises(TomlError) as caught:
        parse_toml(data)
    assert (caught.value.reason, str(caught.value)) == (reason, message)


def test_not_valid_toml_quotes_the_parser() -> None:
    with pytest.raises(TomlError) as caught:
        parse_toml(b"a = \n")
    assert caught.value.reason == "invalid"
    assert str(caught.value) == "not valid TOML (Invalid value (at line 1, column 5))"


@pytest.mark.parametrize(
    "text",
    [
        "# " + "x" * (1024 * 1024 - 3) + "\n",  # the whole cap, to the character
        "x = [" + "1," * 16384 + "]\n",  # as many items as the cap
        "a = 1\n\n  \n\t\nb = 2\n",  # blank lines
        'x = [\n"' + "a" * 300 + '",\n]\n',  # a long line that is no key
        "a" + ".a" * 15 + " = {x = 1}\n",  # the first key, at the cap, before an inline table
        "x = [{a = " + "1" * 260 + "},{b = 1}]\n",  # what ends a key: `},{` between two
        "t = {a = 1}\nc = '''\nx = 1, " + ".".join(["d"] * 20) + " = 2\n'''\n",  # in a string
        't = {a = 1}\nc = """\nx = 1, ' + ".".join(["d"] * 20) + ' = 2\n"""\n',
    ],
)
def test_at_the_caps_and_look_alikes_the_file_is_read(text: str) -> None:
    assert parse_toml(text.encode()) == tomllib.loads(text)


@pytest.mark.parametrize(
    "text",
    [
        "t = {a = 1, " + "X" * 256 + " = 1}\n",  # a key of capitals (the space counts)
        't = {"' + "a" * 150 + '"."' + "b" * 150 + '" = 1}\n',  # quoted parts, together
        't = {"' + "a" * 300 + '" = 1}\n',  # one quoted part
        "t = {" + "a" * 200 + '."".' + "b" * 100 + " = 1}\n",  # an empty quoted part between
    ],
)
def test_an_inline_key_too_long_whatever_it_is_made_of(text: str) -> None:
    with pytest.raises(TomlError) as caught:
        parse_toml(text.encode())
    assert str(caught.value) == f"{TOO} (a key longer than 256 characters)"


def test_what_is_no_key_is_left_to_the_parser() -> None:
    """Two keys in a row with an `=` between them are invalid TOML, not one key too long; a key
    after a header on its line too."""
    half = ".".join(["b"] * 10)
    full = ".".join(["c"] * 16)  # right after an `=`, a run of 16 parts: no more
    for text in (
        f"t = {{{half} = {half} = 1}}\n",
        f"t = {{a = {full} = 1}}\n",
        "[t] " + "a." * 20 + "a = 1\n",
    ):
        with pytest.raises(TomlError) as caught:
            parse_toml(text.encode())
        assert caught.value.reason == "invalid", text


def test_a_quote_that_opens_no_string_ends_a_key() -> None:
    """Unterminated: invalid TOML, not a key too long made of what stands around the quote."""
    text = "t = {a = 1}\nz = 1, " + "b" * 200 + ' "' + "c" * 100 + " = 1\n"
    with pytest.raises(TomlError) as caught:
        parse_toml(text.encode())
    assert caught.value.reason == "invalid"


def test_a_file_of_exactly_the_cap_is_read(tmp_path: object) -> None:
    from pathlib import Path

    from consent._store.tomlread import read_toml

    path = Path(str(tmp_path)) / "c.toml"
    path.write_bytes(b"# " + b"x" * (1024 * 1024 - 3) + b"\n")
    assert read_toml(path).state == "ok"
    path.write_bytes(b"# " + b"x" * (1024 * 1024 - 2) + b"\n")
    reading = read_toml(path)
    assert (reading.state, reading.problem) == ("error", "is larger than 1 MiB")
