"""What a host command's files say, read at a glance: the part of the start (consent/_start.py)
that reads files, imported only when neither the flag nor a variable decided the run.

`files_off` answers for an admin policy that locks, a project file that opts out, and the
person's config that says no for every purpose; it tells apart a config that is not there
(nothing recorded: the start then asks whether a person is at a terminal). Anything it cannot
read at a glance (another OS's locations, a file beyond the plain TOML subset, an unreadable or
special file) is left to the full decision (consent/_store/sources.py `resolve`).

It imports nothing of consent and nothing Python has not loaded before any program runs (os,
sys, stat): the files' names, the modes and the policy's keys live here, and the modules that
need them (names, paths, tomlfast) take them from here.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

TABLE = "telemetry"  # the table of the user config, an admin policy and a project file
CONFIG_NAME = "config.toml"
POLICY_NAME = "telemetry.toml"
# The per-project opt-out: `.<app>/telemetry.toml` in the working directory or one above it, up
# to the home directory or the root, at most this many directories up.
PROJECT_MAX_LEVELS = 32
XDG_PLATFORMS = ("linux", "freebsd", "openbsd", "netbsd", "dragonfly")
MODE_LOCAL = "local"
MODE_SEND = "send"
MODE_OFF = "off"
# The admin policy's keys: single purposes locked off, the mode, the organisation's collector.
POLICY_PURPOSES_KEY = "disabled_purposes"
POLICY_MODE_KEY = "mode"
POLICY_ENDPOINT_KEY = "endpoint"
# Every key an admin policy's `[telemetry]` table may hold; any other key locks (fail closed).
POLICY_KEYS = ("enabled", POLICY_PURPOSES_KEY, POLICY_MODE_KEY, POLICY_ENDPOINT_KEY)
# A file larger than this is left to the full readers (consent/_store/tomlread.py and its caps).
_GLANCE_BYTES = 64 * 1024


def files_off(
    name: str,
    system_root: str,
    environ: "Mapping[str, str]",
    cwd: "str | None" = None,
    platform: "str | None" = None,
) -> "bool | None":
    """True when a policy locks, a project file opts out or the config says no for every
    purpose; None when these files say nothing and there is no config (nothing recorded);
    False otherwise, and whenever only the full decision can tell."""
    platform = sys.platform if platform is None else platform
    dirs = _xdg_dirs(environ, platform)
    if dirs is None:
        return False  # another OS's locations: platformdirs (the full decision) knows them
    home, config_home, config_dirs = dirs
    root = system_root or "/"
    policies = [_join(root, "etc", "xdg", name, POLICY_NAME)]
    policies += [_join(d, name, POLICY_NAME) for d in config_dirs]
    for path in policies:
        doc = _glance(path, follow=False)
        if isinstance(doc, dict) and _policy_locks(doc):
            return True
    if _project_disables(name, cwd, home):
        return True
    config = _glance(_join(config_home, name, CONFIG_NAME), follow=True)
    if config is None:
        return None
    return isinstance(config, dict) and _config_disables(config)


def _xdg_dirs(environ: "Mapping[str, str]", platform: str) -> "tuple[str, str, list[str]] | None":
    """(home, the config home, the config dirs) by the XDG rule of consent/_store/paths.py, or
    None where that module asks platformdirs or cannot find a home."""
    if not platform.startswith(XDG_PLATFORMS) or hasattr(sys, "getandroidapilevel"):
        return None
    if environ.get("ANDROID_DATA") == "/data" and environ.get("ANDROID_ROOT") == "/system":
        return None
    home = environ.get("HOME")
    if home is None or not home.startswith("/"):
        return None  # paths.py asks pwd: left to it
    home = home.rstrip("/") or "/"
    value = environ.get("XDG_CONFIG_HOME", "")
    config_home = value if value.startswith("/") else _join(home, ".config")
    dirs = [p for p in environ.get("XDG_CONFIG_DIRS", "").split(os.pathsep) if p.startswith("/")]
    return home, config_home, dirs or ["/etc/xdg"]


def _join(*parts: str) -> str:
    """The path as consent/_store/paths.py `_clean` spells it, for absolute POSIX paths."""
    path = "/".join(parts)
    lead = "//" if path.startswith("//") and not path.startswith("///") else "/"
    return lead + "/".join(p for p in path.split("/") if p not in ("", "."))


def _glance(path: str, *, follow: bool) -> "dict[str, Any] | bool | None":
    """A small plain file's document; None when there is nothing at `path`; False when only the
    full reader can tell (too large, not plain TOML, unreadable, not a regular file, a link
    where none is followed)."""
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    if not follow:
        flags |= getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        if not follow and os.path.lexists(path):
            return False  # a dangling link: the full reader's "special"
        return None
    except OSError:
        return False
    try:
        import stat

        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return False
        data = os.read(fd, _GLANCE_BYTES + 1)
    except OSError:
        return False
    finally:
        os.close(fd)
    if len(data) > _GLANCE_BYTES:
        return False
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    doc = parse_simple(text)
    return False if doc is None else doc


def _policy_locks(doc: "dict[str, Any]") -> bool:
    """consent/_core/records.py `policy_locks`, its answer only: every shape but a clean
    unlocking one locks."""
    if any(key != TABLE for key in doc):
        return True
    table = doc.get(TABLE)
    if table is None:
        return False
    if not isinstance(table, dict) or any(key not in POLICY_KEYS for key in table):
        return True
    enabled = table.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        return True
    return enabled is False or table.get(POLICY_MODE_KEY) == MODE_OFF


def _project_disables(app: str, cwd: "str | None", home: str) -> bool:
    """Does a project file that this module can read opt out? (consent/_store/sources.py
    `read_project`'s search; any other state is the full decision's.)"""
    try:
        here = os.getcwd() if cwd is None else cwd
    except OSError:
        return False
    inside = here == home or here.startswith(home.rstrip("/") + "/")
    if not inside:
        return False  # the search's stop needs the home resolved: the full reader does that
    dot = "." + app
    for _ in range(PROJECT_MAX_LEVELS):
        folder = (here if here.endswith("/") else here + "/") + dot
        if os.access(folder, os.F_OK):
            doc = _glance(folder + "/" + POLICY_NAME, follow=True)
            if isinstance(doc, dict) and _project_opts_out(doc):
                return True
            # Else the search goes on, as the full reader's does: a nearer file that says
            # nothing never lifts a parent's opt-out, and one the glance cannot read (a `.app`
            # file, a file beyond the subset) the full reader either fails closed on or passes
            # over, so an opt-out found above it is the full reader's answer too.
        parent = os.path.dirname(here)
        if here in (home, parent):
            return False
        here = parent
    return False


def _project_opts_out(doc: "dict[str, Any]") -> bool:
    """consent/_core/records.py `project_terms`: `enabled = false`, and every other shape but
    `enabled = true` or nothing, opts out."""
    if any(key != TABLE for key in doc):
        return True
    table = doc.get(TABLE)
    if table is None:
        return False
    if not isinstance(table, dict) or any(key != "enabled" for key in table):
        return True
    return table.get("enabled") not in (True, None)


def _config_disables(doc: "dict[str, Any]") -> bool:
    """Does the person's config say no for every purpose, with no local mode keeping any
    (consent/_core/words.py `words_of`: `enabled = false` is a no for every purpose), in a
    table consent/_core/records.py `consent_record` reads without a problem? Any other shape
    (local mode, words per purpose, whose purposes only the spec knows) is the full decision's."""
    table = doc.get(TABLE)
    if not isinstance(table, dict) or table.get("enabled") is not False:
        return False
    mode = table.get(POLICY_MODE_KEY)  # the config's `mode` key has the policy's name
    if mode is not None and mode != MODE_SEND:
        return False  # local mode may keep purposes a no refused: not off
    if "local_purposes" in table:
        return False
    return all(isinstance(v, str) for k, v in table.items() if k != "enabled")


# -- the plainest TOML ---------------------------------------------------------------------------
# A reader for the files the toolkit writes and most that people keep: bare-key tables and
# `key = value` lines with strings, booleans and integers. It returns None for anything else;
# it never accepts what TOML rejects (tests/store/test_tomlfast.py checks it against tomllib).
# consent/_store/tomlfast.py is this reader for the rest of consent.

_BARE = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-")
_DIGITS = frozenset("0123456789")
# Longer numbers are tomllib's to judge: Python refuses to convert a decimal integer of more
# digits than its limit (4300 by default, 640 at the least: PYTHONINTMAXSTRDIGITS).
_MAX_DIGITS = 100


def parse_simple(text: str) -> "dict[str, Any] | None":
    """The document, or None when `text` is not in the plain subset (which says nothing of
    validity)."""
    if not _plain(text):
        return None
    root: dict[str, Any] = {}
    current = root
    for raw in text.split("\n"):
        line = raw.strip(" \t")
        if not line or line[0] == "#":
            continue
        if line[0] == "[":
            name, rest = _header(line)
            if name is None or not _blank_or_comment(rest) or name in root:
                return None
            current = root[name] = {}
            continue
        parsed = _key_value(line)
        if parsed is None or parsed[0] in current:
            return None
        current[parsed[0]] = parsed[1]
    return root


def _header(line: str) -> "tuple[str | None, str]":
    end = line.find("]")
    if end < 0:
        return None, ""
    name = line[1:end].strip(" \t")  # `[[array]]` gives "[array": not bare, declined
    return (name if _is_bare(name) else None), line[end + 1 :]


def _key_value(line: str) -> "tuple[str, Any] | None":
    eq = line.find("=")
    if eq < 0:
        return None
    key = line[:eq].strip(" \t")
    if not _is_bare(key):
        return None
    value = line[eq + 1 :].lstrip(" \t")
    if value[:1] in ('"', "'"):
        quote = value[0]
        end = value.find(quote, 1)
        text = value[1:end]
        # No escapes, and no multi-line strings: those are tomllib's.
        if end < 0 or "\\" in text or value.startswith(quote * 3):
            return None
        return (key, text) if _blank_or_comment(value[end + 1 :]) else None
    word = value.partition("#")[0].rstrip(" \t")
    if not word or " " in word or "\t" in word:
        return None
    if word in ("true", "false"):
        return key, word == "true"
    digits = word[1:] if word[0] in "+-" else word
    if (
        0 < len(digits) <= _MAX_DIGITS
        and _DIGITS.issuperset(digits)
        and (digits == "0" or digits[0] != "0")
    ):
        return key, int(word)
    return None


def _plain(text: str) -> bool:
    """Printable ASCII, tab and newline only: anything else is tomllib's business. (No set of
    them is built at import: every host command that reads a file imports this module.)"""
    return text.isascii() and text.replace("\t", " ").replace("\n", " ").isprintable()


def _is_bare(name: str) -> bool:
    return bool(name) and _BARE.issuperset(name)


def _blank_or_comment(rest: str) -> bool:
    rest = rest.lstrip(" \t")
    return not rest or rest[0] == "#"
