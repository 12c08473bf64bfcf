"""Issue 27, point 3: one policy table, three readers. Each row is a policy as an admin states
it; it is written as `telemetry.toml`, as macOS managed preferences and as Group Policy's
registry values (on the fake `winreg`, tests/store/fakewinreg.py), and every reader must come to
the same reading: what locks, what is local, which purposes are locked, which endpoint, and
which key a problem names.

Then the registry's own ways to fail, each of which locks (fail closed).
"""

from __future__ import annotations

import plistlib
import sys
from pathlib import Path

import pytest

from consent._core.rules import PolicyReading
from consent._store.paths import Locations, system_policy_paths
from consent._store.sources import read_policies, read_registry, resolve
from lumogon import SPEC
from tests.store import fakewinreg as wr
from tests.store.fakewinreg import FakeRegistry

PURPOSES = SPEC.purpose_names
KEY = SPEC.policy_key
LOCATION = "HKLM\\" + KEY

# (id, the policy as an admin states it, what the reading must say). `problem`: a word the
# problem must contain (a problem locks everything); absent: no problem.
TABLE: list[tuple[str, dict[str, object], dict[str, object]]] = [
    ("empty", {}, {"locks": False}),
    ("enabled-false", {"enabled": False}, {"locks": True, "lock_key": "telemetry.enabled"}),
    ("enabled-true", {"enabled": True}, {"locks": False}),
    ("mode-off", {"mode": "off"}, {"locks": True, "lock_key": "telemetry.mode"}),
    ("mode-local", {"mode": "local"}, {"locks": False, "local": True}),
    ("mode-send", {"mode": "send"}, {"locks": False}),
    ("purposes", {"disabled_purposes": ["service-health"]},
     {"locks": False, "locked_purposes": ("service-health",)}),
    ("purposes-in-one-string", {"disabled_purposes": "service-health usage"},
     {"locks": False, "locked_purposes": ("usage", "service-health")}),
    ("purposes-none", {"disabled_purposes": []}, {"locks": False}),
    ("endpoint", {"endpoint": "https://telemetry.example.org/ga"},
     {"locks": False, "endpoint": "https://telemetry.example.org/ga"}),
    ("endpoint-loopback", {"endpoint": "http://127.0.0.1:8080"},
     {"locks": False, "endpoint": "http://127.0.0.1:8080"}),
    ("everything", {"mode": "local", "disabled_purposes": ["usage"],
                    "endpoint": "https://t.example.org"},
     {"locks": False, "local": True, "locked_purposes": ("usage",),
      "endpoint": "https://t.example.org"}),
    ("lock-and-more", {"enabled": False, "mode": "local"},
     {"locks": True, "lock_key": "telemetry.enabled", "local": True}),
    ("mode-unknown", {"mode": "quiet"}, {"locks": True, "problem": "'quiet'"}),
    ("mode-number", {"mode": 1}, {"locks": True, "problem": "telemetry.mode"}),
    ("enabled-number", {"enabled": 2}, {"locks": True, "problem": "must be true or false"}),
    ("enabled-word", {"enabled": "no"}, {"locks": True, "problem": "must be true or false"}),
    ("purposes-unknown", {"disabled_purposes": ["ads"]}, {"locks": True, "problem": "'ads'"}),
    ("purposes-number", {"disabled_purposes": 3}, {"locks": True, "problem": "disabled_purposes"}),
    ("endpoint-http", {"endpoint": "http://t.example.org"}, {"locks": True, "problem": "https"}),
    ("endpoint-user", {"endpoint": "https://ada@t.example.org"},
     {"locks": True, "problem": "endpoint"}),
    ("endpoint-number", {"endpoint": 3}, {"locks": True, "problem": "URL string"}),
    ("unknown-key", {"colour": "blue"}, {"locks": True, "problem": "colour"}),
    ("other-case", {"Enabled": False}, {"locks": True, "problem": "Enabled"}),
]  # fmt: skip


def as_toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value + '"'
    if isinstance(value, list):
        return "[" + ", ".join(as_toml(v) for v in value) + "]"
    return str(value)


def write_toml(tmp_path: Path, policy: dict[str, object]) -> str:
    path = tmp_path / "telemetry.toml"
    body = "".join(f"{k} = {as_toml(v)}\n" for k, v in policy.items())
    path.write_text(f"[telemetry]\n{body}")
    return str(path)


def write_plist(tmp_path: Path, policy: dict[str, object]) -> str:
    path = tmp_path / "lumogon.plist"
    # In the order written, as a profile lists them (plistlib sorts keys unless told not to).
    path.write_bytes(plistlib.dumps({"PayloadUUID": "6A1F3C52", **policy}, sort_keys=False))
    return str(path)


def registry_for(policy: dict[str, object]) -> FakeRegistry:
    """The policy as Group Policy writes it: DWORD for a flag or number, SZ for a string,
    MULTI_SZ for a list."""
    reg = FakeRegistry()
    reg.create_key(KEY)
    for name, value in policy.items():
        if isinstance(value, bool):
            reg.set_value(KEY, name, int(value), wr.REG_DWORD)
        elif isinstance(value, int):
            reg.set_value(KEY, name, value, wr.REG_DWORD)
        elif isinstance(value, list):
            reg.set_value(KEY, name, value, wr.REG_MULTI_SZ)
        else:
            reg.set_value(KEY, name, value, wr.REG_SZ)
    return reg


def reading_of(
    reader: str, tmp_path: Path, policy: dict[str, object], monkeypatch: pytest.MonkeyPatch
) -> PolicyReading:
    if reader == "registry":
        monkeypatch.setitem(sys.modules, "winreg", registry_for(policy).module())
        path = LOCATION
    else:
        path = (write_toml if reader == "toml" else write_plist)(tmp_path, policy)
    locs = Locations(str(tmp_path / "c.toml"), (path,), "i", "l")
    (reading,) = read_policies(locs, PURPOSES)
    return reading


@pytest.mark.parametrize("reader", ["toml", "plist", "registry"])
@pytest.mark.parametrize(("policy", "want"), [row[1:] for row in TABLE], ids=[r[0] for r in TABLE])
def test_every_reader_reads_the_table_alike(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    reader: str,
    policy: dict[str, object],
    want: dict[str, object],
) -> None:
    got = reading_of(reader, tmp_path, policy, monkeypatch)
    assert got.state in ("ok", "error")
    assert got.locks is want["locks"]
    word = want.get("problem")
    if word:
        assert str(word) in got.problem, got.problem
        return
    assert (got.state, got.problem) == ("ok", "")
    assert got.lock_key == want.get("lock_key", "")
    assert got.local is want.get("local", False)
    assert got.locked_purposes == want.get("locked_purposes", ())
    assert got.endpoint == want.get("endpoint", "")


def test_the_three_readers_name_the_same_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`status` shows each managed key as the policy's key, whichever reader found it."""
    policy = {"mode": "local", "disabled_purposes": ["usage"], "endpoint": "https://t.example"}
    found = {r: reading_of(r, tmp_path, policy, monkeypatch).settings for r in
             ("toml", "plist", "registry")}  # fmt: skip
    assert (
        found["toml"]
        == found["plist"]
        == found["registry"]
        == (
            ("telemetry.mode", '"local"'),
            ("telemetry.disabled_purposes", '["usage"]'),
            ("telemetry.endpoint", '"https://t.example"'),
        )
    )


# --- the registry's own ways to fail --------------------------------------------------------


def test_no_key_is_no_policy_and_the_64_bit_view_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    reg = FakeRegistry(bits=32)  # a 32-bit Python on 64-bit Windows
    assert read_registry(LOCATION, reg.module()).state == "missing"
    reg.set_value(KEY, "enabled", 0, wr.REG_DWORD)  # where Group Policy writes: the 64-bit view
    got = read_registry(LOCATION, reg.module())
    assert (got.state, got.doc) == ("ok", {"telemetry": {"enabled": False}})
    ((opened, access),) = reg.opened[-1:]
    assert opened == KEY and access & wr.KEY_WOW64_64KEY and access & wr.KEY_QUERY_VALUE
    # Control: without the flag, a 32-bit process would have read the other view.
    assert reg.module().OpenKeyEx(wr.HKEY_LOCAL_MACHINE, KEY.replace("SOFTWARE", "software"),
                                  0, wr.KEY_READ | wr.KEY_WOW64_64KEY)  # fmt: skip
    with pytest.raises(FileNotFoundError):
        reg.module().OpenKeyEx(wr.HKEY_LOCAL_MACHINE, KEY, 0, wr.KEY_READ)


@pytest.mark.parametrize(
    ("kind", "data", "named"),
    [
        (wr.REG_EXPAND_SZ, "%ProgramData%\\x", "REG_EXPAND_SZ"),
        (wr.REG_BINARY, b"\x00", "REG_BINARY"),
        (wr.REG_QWORD, 0, "REG_QWORD"),
        (wr.REG_NONE, None, "REG_NONE"),
    ],
)
def test_a_value_of_another_type_locks_naming_it(kind: int, data: object, named: str) -> None:
    reg = FakeRegistry()
    reg.set_value(KEY, "mode", data, kind)
    got = read_registry(LOCATION, reg.module())
    assert got.state == "error" and f"'mode' of type {named}" in got.problem


def test_a_subkey_too_many_values_or_a_denied_key_locks(monkeypatch: pytest.MonkeyPatch) -> None:
    reg = FakeRegistry()
    reg.create_key(KEY + "\\Recommended")
    got = read_registry(LOCATION, reg.module())
    assert (
        got.state == "error"
        and got.problem == "has the subkey 'Recommended' (only values are read)"
    )
    reg = FakeRegistry()
    for i in range(65):
        reg.set_value(KEY, f"v{i}", "x", wr.REG_SZ)
    assert "more than 64 values" in read_registry(LOCATION, reg.module()).problem
    reg = FakeRegistry()
    reg.deny(KEY)
    got = read_registry(LOCATION, reg.module())
    assert got.state == "error"
    assert got.problem == "cannot be read (Access is denied, Windows error 5)"
    monkeypatch.delitem(sys.modules, "winreg", raising=False)
    if sys.platform != "win32":
        got = read_registry(LOCATION)
        assert got.problem == "cannot be read (no Windows registry on this system)"


def test_a_group_policy_lock_decides_and_names_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The registry location is the first of Windows' fixed ones; `status` names it."""
    reg = FakeRegistry()
    reg.set_value(KEY, "mode", "off", wr.REG_SZ)
    monkeypatch.setitem(sys.modules, "winreg", reg.module())
    paths = system_policy_paths("lumogon", platform="win32", root=str(tmp_path), key=KEY)
    assert paths[0] == LOCATION
    locs = Locations(str(tmp_path / "c.toml"), paths, "i", "l")
    decision = resolve(SPEC, environ={}, locs=locs, cwd=str(tmp_path))
    assert not decision.enabled and decision.decided_by.source == "policy"
    assert decision.decided_by.origin == {"path": LOCATION, "key": "telemetry.mode"}
    assert [(m.key, m.value, m.path) for m in decision.managed] == [
        ("telemetry.mode", '"off"', LOCATION)
    ]


def test_the_fake_behaves_as_winreg_documents() -> None:
    """The fake itself: the behaviours the reader relies on, as winreg documents them."""
    reg = FakeRegistry()
    reg.set_value("SOFTWARE\\Policies\\V\\a", "Mode", "local", wr.REG_SZ)
    mod = reg.module()
    with mod.OpenKeyEx(mod.HKEY_LOCAL_MACHINE, "software\\POLICIES\\v\\A") as key:
        assert mod.QueryValueEx(key, "mode") == ("local", wr.REG_SZ)  # any case finds it
        assert mod.EnumValue(key, 0) == ("Mode", "local", wr.REG_SZ)  # listed as written
        with pytest.raises(OSError) as caught:
            mod.EnumValue(key, 1)
        assert caught.value.winerror == 259  # type: ignore[attr-defined]
        with pytest.raises(FileNotFoundError):
            mod.QueryValueEx(key, "endpoint")
        assert mod.QueryInfoKey(key)[:2] == (0, 1)
    with pytest.raises(OSError) as caught:
        mod.QueryInfoKey(key)  # closed by the with block
    assert caught.value.winerror == 6  # type: ignore[attr-defined]
    with pytest.raises(FileNotFoundError) as missing:
        mod.OpenKeyEx(mod.HKEY_LOCAL_MACHINE, "SOFTWARE\\Policies\\nobody")
    assert missing.value.winerror == 2  # type: ignore[attr-defined]
    key = mod.OpenKeyEx(
        mod.HKEY_LOCAL_MACHINE, "SOFTWARE\\Policies\\V\\a", 0, wr.KEY_ENUMERATE_SUB_KEYS
    )
    with pytest.raises(PermissionError):
        mod.EnumValue(key, 0)  # opened without KEY_QUERY_VALUE
    for kind, bad in ((wr.REG_DWORD, -1), (wr.REG_DWORD, 2**32), (wr.REG_DWORD, True),
                      (wr.REG_SZ, 1), (wr.REG_MULTI_SZ, "a")):  # fmt: skip
        with pytest.raises(ValueError):
            reg.set_value("SOFTWARE\\x", "v", bad, kind)


def test_every_refusal_of_the_registry_reader_is_exact() -> None:
    """Each way a key cannot be read as a policy: its reason and its problem, word for word,
    and the bounds (values, bytes) at the limit and one past it."""
    from consent._store.tomlread import MAX_BYTES, TomlReading

    def read(reg: FakeRegistry) -> TomlReading:
        return read_registry(LOCATION, reg.module())

    def error(reason: str, problem: str) -> TomlReading:
        return TomlReading(LOCATION, "error", {}, reason, problem)

    reg = FakeRegistry()
    reg.create_key(KEY + "\\Recommended")
    assert read(reg) == error("invalid", "has the subkey 'Recommended' (only values are read)")
    reg = FakeRegistry()
    reg.create_key(KEY)  # the key, without a value: no policy, as an empty file
    assert read(reg) == TomlReading(LOCATION, "ok", {})
    for count in (64, 65):
        reg = FakeRegistry()
        for i in range(count):
            reg.set_value(KEY, f"v{i}", "x", wr.REG_SZ)
        names = "'enabled', 'disabled_purposes', 'mode', 'endpoint'"
        assert read(reg) == (
            error("invalid", f"has the value 'v0' (only {names} are read)")
            if count == 64
            else error("too_complex", "is too complex to read safely (more than 64 values)")
        )
    reg = FakeRegistry()
    reg.set_value(KEY, "", "off", wr.REG_SZ)  # the key's default value has no name
    assert read(reg).problem.startswith("has the value '(Default)' (only ")
    for extra in (0, 1):  # the size bound: the names and values' text, at most MAX_BYTES
        reg = FakeRegistry()
        data = "x" * (MAX_BYTES - len("endpoint") - 2 + extra)  # repr adds the two quotes
        reg.set_value(KEY, "endpoint", data, wr.REG_SZ)
        got = read(reg)
        assert got == (
            error("too_large", "is larger than 1 MiB")
            if extra
            else TomlReading(LOCATION, "ok", {"telemetry": {"endpoint": data}})
        )
    reg = FakeRegistry()
    reg.set_value(KEY, "mode", b"\x00", wr.REG_LINK)
    assert read(reg) == error(
        "invalid",
        "has the value 'mode' of type REG_LINK; a policy value is REG_DWORD (enabled), "
        "REG_SZ (mode, endpoint) or REG_MULTI_SZ (disabled_purposes)",
    )
    reg = FakeRegistry()
    reg.set_value(KEY, "enabled", b"\x00\x00\x00\x01", wr.REG_DWORD_BIG_ENDIAN)
    assert read(reg).problem.startswith("has the value 'enabled' of type type 5; ")
    reg = FakeRegistry()
    reg.deny(KEY)
    assert read(reg) == error("unreadable", "cannot be read (Access is denied, Windows error 5)")


def test_a_value_deleted_while_the_key_is_read_or_a_failing_read(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Between QueryInfoKey and EnumValue a value may go (ERROR_NO_MORE_ITEMS): what is left is
    the policy. Any other failure to read a value, or to open the key, is no policy: it locks,
    naming the error (its Windows code when it has one)."""
    reg = FakeRegistry()
    reg.set_value(KEY, "mode", "off", wr.REG_SZ)
    reg.set_value(KEY, "enabled", 1, wr.REG_DWORD)
    module = reg.module()
    listed = module.EnumValue

    def gone_after_the_first(key: object, index: int) -> object:
        if index > 0:
            raise wr.win_error(wr.ERROR_NO_MORE_ITEMS)
        return listed(key, index)

    monkeypatch.setattr(module, "EnumValue", gone_after_the_first)
    got = read_registry(LOCATION, module)
    assert (got.state, got.doc) == ("ok", {"telemetry": {"mode": "off"}})

    def denied(key: object, index: int) -> object:
        raise wr.win_error(wr.ERROR_ACCESS_DENIED)

    monkeypatch.setattr(module, "EnumValue", denied)
    got = read_registry(LOCATION, module)
    assert (got.state, got.reason, got.problem) == (
        "error",
        "unreadable",
        "cannot be read (Access is denied, Windows error 5)",
    )

    def plain(*args: object) -> object:
        raise OSError("the key could not be opened")

    monkeypatch.setattr(module, "OpenKeyEx", plain)
    got = read_registry(LOCATION, module)
    assert (got.state, got.reason, got.problem) == (
        "error",
        "unreadable",
        "cannot be read (the key could not be opened)",
    )
    monkeypatch.delitem(sys.modules, "winreg", raising=False)
    if sys.platform != "win32":
        got = read_registry(LOCATION)
        assert (got.state, got.reason) == ("error", "unreadable")
