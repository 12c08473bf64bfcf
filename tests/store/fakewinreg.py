"""A faithful fake of the `winreg` module, for testing the Group Policy reader on any OS.

It models what the reader relies on, as the Python documentation of `winreg` and the Win32
registry functions behind it describe it:

- handles: `HKEY_LOCAL_MACHINE` is an integer constant; `OpenKeyEx` returns a handle object
  that is a context manager and can be closed (`Close`, `CloseKey`); a closed handle raises
  OSError (winerror 6, ERROR_INVALID_HANDLE);
- `OpenKeyEx(key, sub_key, reserved=0, access=KEY_READ)`, reserved zero as documented: key
  paths are separated by backslashes and compared without regard to case; a key that does not
  exist raises FileNotFoundError (winerror 2), one the caller may not open PermissionError
  (winerror 5);
- the access mask: a handle opened without KEY_QUERY_VALUE cannot read values, one without
  KEY_ENUMERATE_SUB_KEYS cannot list subkeys (PermissionError, winerror 5);
- registry views: a 32-bit process reads `HKLM\\SOFTWARE\\…` from the 32-bit view
  (`SOFTWARE\\WOW6432Node\\…`) unless it asks for KEY_WOW64_64KEY; a 64-bit process reads the
  64-bit view unless it asks for KEY_WOW64_32KEY. (Whether Windows shares a given subkey of
  SOFTWARE between the views is not modelled: every one is redirected here, the case in which
  the reader's flag matters.)
- `QueryInfoKey` → (subkeys, values, last write time in 100 ns units); `EnumValue(key, i)` →
  (name, data, type) in the order values were written, OSError (winerror 259,
  ERROR_NO_MORE_ITEMS) past the last; `EnumKey(key, i)` likewise; `QueryValueEx(key, name)` →
  (data, type), FileNotFoundError (winerror 2) for a value that is not there; value names, like
  key names, are found without regard to case and listed as they were written;
- data as `winreg` returns it: REG_DWORD an int in [0, 2**32), REG_QWORD an int, REG_SZ and
  REG_EXPAND_SZ a str (never expanded), REG_MULTI_SZ a list of str, REG_BINARY bytes, REG_NONE
  bytes or None.

Tests write keys and values with `FakeRegistry.set_value` (typed as `SetValueEx` checks them),
`create_key` and `deny`, and install the module with `monkeypatch.setitem(sys.modules,
"winreg", registry.module())`.
"""

from __future__ import annotations

import errno
import types
from dataclasses import dataclass, field

HKEY_CLASSES_ROOT = 0x80000000
HKEY_CURRENT_USER = 0x80000001
HKEY_LOCAL_MACHINE = 0x80000002
HKEY_USERS = 0x80000003

KEY_QUERY_VALUE = 0x0001
KEY_SET_VALUE = 0x0002
KEY_CREATE_SUB_KEY = 0x0004
KEY_ENUMERATE_SUB_KEYS = 0x0008
KEY_NOTIFY = 0x0010
KEY_WOW64_64KEY = 0x0100
KEY_WOW64_32KEY = 0x0200
READ_CONTROL = 0x00020000
KEY_READ = READ_CONTROL | KEY_QUERY_VALUE | KEY_ENUMERATE_SUB_KEYS | KEY_NOTIFY

REG_NONE = 0
REG_SZ = 1
REG_EXPAND_SZ = 2
REG_BINARY = 3
REG_DWORD = 4
REG_DWORD_LITTLE_ENDIAN = 4
REG_DWORD_BIG_ENDIAN = 5
REG_LINK = 6
REG_MULTI_SZ = 7
REG_QWORD = 11
REG_QWORD_LITTLE_ENDIAN = 11

ERROR_FILE_NOT_FOUND = 2
ERROR_ACCESS_DENIED = 5
ERROR_INVALID_HANDLE = 6
ERROR_NO_MORE_ITEMS = 259

_MESSAGES = {
    ERROR_FILE_NOT_FOUND: "The system cannot find the file specified",
    ERROR_ACCESS_DENIED: "Access is denied",
    ERROR_INVALID_HANDLE: "The handle is invalid",
    ERROR_NO_MORE_ITEMS: "No more data is available",
}
# How Python maps these Windows errors to errno, and so to an OSError subclass.
_ERRNO = {
    ERROR_FILE_NOT_FOUND: errno.ENOENT,
    ERROR_ACCESS_DENIED: errno.EACCES,
    ERROR_INVALID_HANDLE: errno.EBADF,
    ERROR_NO_MORE_ITEMS: errno.EINVAL,
}


def win_error(code: int) -> OSError:
    """The exception `winreg` raises for a Windows error: an OSError subclass by its errno,
    with `winerror` set (as on Windows, where OSError takes a fourth, winerror argument)."""
    exc = OSError(_ERRNO[code], _MESSAGES[code])
    exc.winerror = code  # type: ignore[attr-defined]
    return exc


@dataclass
class _Key:
    name: str
    values: dict[str, tuple[str, object, int]] = field(default_factory=dict)  # lower -> value
    subkeys: dict[str, _Key] = field(default_factory=dict)  # lower -> key
    denied: bool = False
    written: int = 133_000_000_000_000_000  # a FILETIME: 100 ns units since 1601


class PyHKEY:
    """An open key, as `winreg` returns it."""

    def __init__(self, key: _Key, access: int) -> None:
        self._key: _Key | None = key
        self.access = access

    def key(self) -> _Key:
        if self._key is None:
            raise win_error(ERROR_INVALID_HANDLE)
        return self._key

    def Close(self) -> None:
        self._key = None

    def __enter__(self) -> PyHKEY:
        return self

    def __exit__(self, *_: object) -> None:
        self.Close()

    def __bool__(self) -> bool:
        return self._key is not None


class FakeRegistry:
    """The registry of one fake machine; `bits`: those of the Python process that reads it."""

    def __init__(self, *, bits: int = 64) -> None:
        self.bits = bits
        self.hives = {
            HKEY_LOCAL_MACHINE: _Key("HKEY_LOCAL_MACHINE"),
            HKEY_CURRENT_USER: _Key("HKEY_CURRENT_USER"),
        }
        self.opened: list[tuple[str, int]] = []  # every OpenKeyEx: (sub_key, access)

    # --- writing, for tests (as an administrator or Group Policy would) ----------------------

    def create_key(self, path: str, *, hive: int = HKEY_LOCAL_MACHINE, view: int = 64) -> _Key:
        key = self.hives[hive]
        for part in self._physical(path, view, hive):
            key = key.subkeys.setdefault(part.lower(), _Key(part))
        return key

    def set_value(self, path: str, name: str, data: object, kind: int, *, view: int = 64) -> None:
        """As `SetValueEx` with a handle on `path` (created if needed): the data must suit `kind`."""
        _check_data(data, kind)
        if kind == REG_SZ and isinstance(data, str):
            data = data.split("\0", 1)[0]
        self.create_key(path, view=view).values[name.lower()] = (name, data, kind)

    def deny(self, path: str, *, view: int = 64) -> None:
        """Make the key one the reading account may not open (its ACL grants nothing)."""
        self.create_key(path, view=view).denied = True

    # --- the module --------------------------------------------------------------------------

    def module(self) -> types.ModuleType:
        """A module object with winreg's names, reading this registry."""
        mod = types.ModuleType("winreg")
        for name, value in globals().items():
            if name.isupper() and isinstance(value, int):
                setattr(mod, name, value)
        mod.HKEYType = PyHKEY  # type: ignore[attr-defined]
        for name in ("OpenKeyEx", "OpenKey", "CloseKey", "QueryInfoKey", "EnumValue", "EnumKey",
                     "QueryValueEx"):  # fmt: skip
            setattr(mod, name, getattr(self, name))
        return mod

    def OpenKeyEx(
        self, key: int | PyHKEY, sub_key: str, reserved: int = 0, access: int = KEY_READ
    ) -> PyHKEY:
        if not isinstance(sub_key, str):
            raise TypeError("sub_key must be a str")
        if reserved != 0:  # winreg's documentation: "reserved ... must be zero"
            raise ValueError("reserved must be zero")
        self.opened.append((sub_key, access))
        if isinstance(key, PyHKEY):
            start, hive = key.key(), None
        else:
            start, hive = self.hives[key], key
        view = self.bits
        if access & KEY_WOW64_64KEY:
            view = 64
        elif access & KEY_WOW64_32KEY:
            view = 32
        node = start
        parts = self._physical(sub_key, view, hive) if hive is not None else _parts(sub_key)
        for part in parts:
            found = node.subkeys.get(part.lower())
            if found is None:
                raise win_error(ERROR_FILE_NOT_FOUND)
            node = found
        if node.denied:
            raise win_error(ERROR_ACCESS_DENIED)
        return PyHKEY(node, access)

    OpenKey = OpenKeyEx

    def CloseKey(self, hkey: PyHKEY) -> None:
        hkey.Close()

    def QueryInfoKey(self, key: PyHKEY) -> tuple[int, int, int]:
        node = self._readable(key, KEY_QUERY_VALUE)
        return len(node.subkeys), len(node.values), node.written

    def EnumValue(self, key: PyHKEY, index: int) -> tuple[str, object, int]:
        node = self._readable(key, KEY_QUERY_VALUE)
        values = list(node.values.values())
        if not 0 <= index < len(values):
            raise win_error(ERROR_NO_MORE_ITEMS)
        return values[index]

    def EnumKey(self, key: PyHKEY, index: int) -> str:
        node = self._readable(key, KEY_ENUMERATE_SUB_KEYS)
        keys = list(node.subkeys.values())
        if not 0 <= index < len(keys):
            raise win_error(ERROR_NO_MORE_ITEMS)
        return keys[index].name

    def QueryValueEx(self, key: PyHKEY, name: str | None) -> tuple[object, int]:
        node = self._readable(key, KEY_QUERY_VALUE)
        found = node.values.get((name or "").lower())
        if found is None:
            raise win_error(ERROR_FILE_NOT_FOUND)
        return found[1], found[2]

    # --- helpers -----------------------------------------------------------------------------

    @staticmethod
    def _readable(key: PyHKEY, right: int) -> _Key:
        node = key.key()
        if not key.access & right:
            raise win_error(ERROR_ACCESS_DENIED)
        return node

    @staticmethod
    def _physical(path: str, view: int, hive: int | None) -> list[str]:
        """The key's place in the registry: the 32-bit view of HKLM\\SOFTWARE is WOW6432Node."""
        parts = _parts(path)
        if view == 32 and hive == HKEY_LOCAL_MACHINE and parts and parts[0].lower() == "software":
            return [parts[0], "WOW6432Node", *parts[1:]]
        return parts


def _parts(path: str) -> list[str]:
    return [p for p in path.split("\\") if p]


def _check_data(data: object, kind: int) -> None:
    """As SetValueEx: a value that does not suit its type is refused."""
    ok = {
        REG_DWORD: isinstance(data, int) and not isinstance(data, bool) and 0 <= data < 2**32,
        REG_QWORD: isinstance(data, int) and not isinstance(data, bool) and 0 <= data < 2**64,
        REG_SZ: isinstance(data, str),
        REG_EXPAND_SZ: isinstance(data, str),
        REG_MULTI_SZ: isinstance(data, list) and all(isinstance(s, str) for s in data),
        REG_BINARY: isinstance(data, bytes | type(None)),
        REG_NONE: isinstance(data, bytes | type(None)),
        # Every other type, as winreg returns it: its raw bytes.
        REG_LINK: isinstance(data, bytes | type(None)),
        REG_DWORD_BIG_ENDIAN: isinstance(data, bytes | type(None)),
    }.get(kind, False)
    if not ok:
        raise ValueError(f"{data!r} cannot be stored as registry type {kind}")
