"""The start: every case in which a host command's run is off, decided before the rest of
consent (and the app's spec) is imported.

A run is off, and loads nothing more, when `--disable-analytics` was given, the app's
`<PREFIX>_DISABLE_ANALYTICS` or `DO_NOT_TRACK` disables, an admin policy locks telemetry off, a
project file opts out, the person's config says no for every purpose (`enabled = false`, no
local mode), or nothing is recorded yet and no person is at a terminal (the run could only await
the notice). Anything this module cannot read at a glance (another OS's locations, a file beyond the plain TOML subset, an unreadable
file) is left to the full decision (consent/_store/sources.py `resolve`, consent/_core/rules.py),
which stays the authority: whenever `run_is_off` says off, it sends and shows nothing
(tests/e2e/test_start_differential.py).

It imports only what Python has loaded before any program runs (os, sys, stat), so it costs a
host command a few file checks: the names a start needs live here, and the modules that need
them too (envgrammar, spec, names, tomlfast) take them from here.
"""

import os
import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any, Protocol, TypeVar

    from typing_extensions import Self

    class App(Protocol):
        """What the start reads of an app's spec (consent/_core/spec.py `AppSpec`), named here
        without importing it."""

        @property
        def name(self) -> str: ...
        @property
        def env_prefix(self) -> str: ...
        @property
        def group(self) -> str: ...
        @property
        def system_root(self) -> str: ...
        @property
        def display_name(self) -> str: ...
        @property
        def commands(self) -> str: ...
        @property
        def disable_env(self) -> str: ...
        @property
        def debug_env(self) -> str: ...
        @property
        def endpoint_env(self) -> str: ...
        def replace(self, **changes: Any) -> Self: ...

    A = TypeVar("A", bound=App)

# -- the names a start needs, each defined once -----------------------------------------------
GROUP_NAME = "telemetry"  # the command group every app gets
FLAG = "--disable-analytics"  # turns telemetry off for one run
# The app's own variables are its env prefix plus these: `LUMOGON_DISABLE_ANALYTICS`, ….
DISABLE_SUFFIX = "_DISABLE_ANALYTICS"
DEBUG_SUFFIX = "_TELEMETRY_DEBUG"
ENDPOINT_SUFFIX = "_TELEMETRY_ENDPOINT"
# The cross-tool variable that disables telemetry, beside the app's own variable.
DO_NOT_TRACK = "DO_NOT_TRACK"
# The pytest plugin's strict mode: a file to which every refused event is appended (and the
# refusing call raises). Set by the `consent_strict` fixture, never by a person.
STRICT_ENV = "CONSENT_STRICT_LOG"
# The env grammar (docs/configuration.md): trimmed, case-insensitive; any other set value
# disables too (fail closed).
FALSE_WORDS = ("0", "false", "no", "off")
TRUE_WORDS = ("1", "true", "yes", "on")
# CI systems announce themselves with one of these (docs/configuration.md lists them).
CI_MARKERS = (
    "CI",
    "CONTINUOUS_INTEGRATION",
    "GITHUB_ACTIONS",
    "GITLAB_CI",
    "BUILDKITE",
    "CIRCLECI",
    "TRAVIS",
    "JENKINS_URL",
    "TEAMCITY_VERSION",
    "TF_BUILD",
    "BITBUCKET_BUILD_NUMBER",
    "CODEBUILD_BUILD_ID",
    "DRONE",
    "APPVEYOR",
    "BUILD_NUMBER",
)
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


def disables(raw: str | None) -> bool:
    """Does this raw value of a disabling variable turn telemetry off (the env grammar)?"""
    if raw is None:
        return False
    word = raw.strip().lower()
    return word != "" and word not in FALSE_WORDS


def flag_help(commands: str) -> str:
    """The help of `--disable-analytics`, the same under every adapter (`commands`: `acme
    telemetry`)."""
    return f"Send no usage data in this run (see `{commands} status`)."


# -- the lazy spec reference --------------------------------------------------------------------
class SpecRef:
    """An app's spec named as `"package.module:NAME"`, with what a start needs beside it (the
    app's name, env prefix and command group): the module is imported only when a run may send,
    shows a notice, asks, or runs a `telemetry` command (consent/_core/reference.py loads it)."""

    __slots__ = ("_spec", "env_prefix", "group", "name", "system_root", "target", "wanted_group")

    def __init__(self, target: str, name: str, env_prefix: str, group: str | None) -> None:
        self.target = target
        self.name = name
        self.env_prefix = env_prefix
        self.wanted_group = group
        self.group = group or GROUP_NAME
        self.system_root = ""
        self._spec: Any = None  # set by consent/_core/reference.py
        REFS.append(self)

    def __repr__(self) -> str:
        return f"SpecRef({self.target!r}, name={self.name!r}, env_prefix={self.env_prefix!r})"

    @property
    def display_name(self) -> str:
        return self.name

    @property
    def commands(self) -> str:
        return f"{self.name} {self.group}"

    @property
    def disable_env(self) -> str:
        return self.env_prefix + DISABLE_SUFFIX

    @property
    def debug_env(self) -> str:
        return self.env_prefix + DEBUG_SUFFIX

    @property
    def endpoint_env(self) -> str:
        return self.env_prefix + ENDPOINT_SUFFIX

    @property
    def loaded(self) -> bool:
        return self._spec is not None


REFS: "list[SpecRef]" = []  # every reference made, so the pytest plugin can load each one


def prepared(
    spec: "A | str", *, group: str | None, name: str | None, env_prefix: str | None
) -> "A | SpecRef":
    """What an adapter's `install` keeps: a reference for a `"package.module:NAME"` string (its
    `name` and `env_prefix` are required), the spec itself otherwise (its group replaced by
    `group`, if given). Raises ConsentError for a reference without them, SpecError for a spec
    that disagrees with `name` or `env_prefix`."""
    if isinstance(spec, str):
        if not name or not env_prefix:
            from consent._errors import ConsentError

            raise ConsentError(
                f"install() was given the spec as the reference {spec!r} without "
                + " and ".join(
                    w for w, v in (("name=", name), ("env_prefix=", env_prefix)) if not v
                ),
                hint=f'pass them beside it, e.g. install(app, {spec!r}, name="acme", '
                'env_prefix="ACME"): a run is decided by them before the spec loads',
            )
        return SpecRef(spec, name, env_prefix, group)
    wrong = [
        f"{what}={given!r} but the spec's is {have!r}"
        for what, given, have in (
            ("name", name, spec.name),
            ("env_prefix", env_prefix, spec.env_prefix),
        )
        if given is not None and given != have
    ]
    if wrong:
        from consent._errors import SpecError

        raise SpecError(
            "install() was given arguments that disagree with the spec: " + "; ".join(wrong)
        )
    if group is not None and group != spec.group:
        return spec.replace(group=group)
    return spec


# -- the runs turned off at the start ----------------------------------------------------------
# App name -> the scope of the run this module turned off for it (the newest; it holds the one it
# shadows). consent/_core/runs.py makes a run of it when something of the run asks for it.
OFF_RUNS: "dict[str, OffScope]" = {}


class OffScope:
    """A run this module turned off, registered for its command only: the adapter ends it
    (`end()`, or leaving a `with` block) when the command returns, as it ends a decided run's
    consent/_core/runs.py `Scope`, so that a later event outside any run decides on the spot.
    What deciding it needs is kept as it was when the command started (the spec or its
    reference, the flag, the variables that decide)."""

    __slots__ = ("app", "command", "ended", "flag", "kept", "previous", "run")

    def __init__(
        self, app: "App | SpecRef", flag: bool, kept: "tuple[tuple[str, str], ...]", command: str
    ) -> None:
        self.app = app
        self.flag = flag
        self.kept = kept
        self.command = command
        self.ended = False
        self.run: Any = None  # the run consent/_core/runs.py made of it, once asked
        self.previous = OFF_RUNS.get(app.name)  # a run of the same app this one runs inside
        OFF_RUNS[app.name] = self

    def end(self) -> None:
        """The command returned: the run ends (twice, or out of order, does no harm)."""
        self.ended = True
        if self.run is not None:
            self.run.ended = True
        name = self.app.name
        if OFF_RUNS.get(name) is self:
            outer = self.previous
            while outer is not None and outer.ended:
                outer = outer.previous
            if outer is None:
                del OFF_RUNS[name]
            else:
                OFF_RUNS[name] = outer

    def __enter__(self) -> "OffScope":
        return self

    def __exit__(self, *exc: object) -> None:
        self.end()


class NoRun:
    """The scope of no run (an adapter that could not start one): ending it does nothing."""

    __slots__ = ()

    def end(self) -> None:
        return None

    def __enter__(self) -> "NoRun":
        return self

    def __exit__(self, *exc: object) -> None:
        return None


NO_RUN = NoRun()


def start(app: "App | SpecRef", command: str, *, flag: bool) -> "OffScope | None":
    """As a host command starts: if the run is off, register it so and return its scope (the
    adapter then loads nothing more, and ends the scope when the command returns); None when
    the full decision decides. Never raises."""
    try:
        environ = os.environ
        if not run_is_off(app, flag=flag, environ=environ):
            return None
        names = (app.disable_env, DO_NOT_TRACK, app.endpoint_env)
        kept = tuple((n, v) for n in names if (v := environ.get(n)) is not None)
        return OffScope(app, flag, kept, command)
    except Exception:  # noqa: BLE001 - undecided here: the full decision decides
        return None


def run_is_off(
    app: "App | SpecRef",
    *,
    flag: bool,
    environ: "Mapping[str, str]",
    cwd: str | None = None,
    interactive: bool | None = None,
    platform: str | None = None,
) -> bool:
    """Is this run off by one of the cases this module reads at a glance? False when it is on,
    or when only the full decision can tell. Not under debug or strict mode, where even a
    disabled run checks its screenview."""
    if disables(environ.get(app.debug_env)) or environ.get(STRICT_ENV):
        return False
    if flag or disables(environ.get(app.disable_env)) or disables(environ.get(DO_NOT_TRACK)):
        return True
    platform = sys.platform if platform is None else platform
    dirs = _xdg_dirs(environ, platform)
    if dirs is None:
        return False  # another OS's locations: platformdirs (the full decision) knows them
    home, config_home, config_dirs = dirs
    name = app.name
    root = app.system_root or "/"
    policies = [_join(root, "etc", "xdg", name, POLICY_NAME)]
    policies += [_join(d, name, POLICY_NAME) for d in config_dirs]
    for path in policies:
        doc = _glance(path, follow=False)
        if isinstance(doc, dict) and _policy_locks(doc):
            return True
    if _project_disables(name, cwd, home):
        return True
    config = _glance(_join(config_home, name, CONFIG_NAME), follow=True)
    if config is None:  # nothing recorded: the run can only await the notice or the question
        if interactive is None:
            interactive = _interactive(environ)
        return not interactive
    return isinstance(config, dict) and _config_disables(config)


def _interactive(environ: "Mapping[str, str]") -> bool:
    """consent/_cli/interactive.py's rule: stdin and stderr are terminals, no CI marker set."""
    try:
        ttys = sys.stdin is not None and sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError, OSError):
        return False
    return bool(ttys) and not any(disables(environ.get(m)) for m in CI_MARKERS)


def _xdg_dirs(environ: "Mapping[str, str]", platform: str) -> tuple[str, str, list[str]] | None:
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


def _project_disables(app: str, cwd: str | None, home: str) -> bool:
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
            if isinstance(doc, dict):
                return _project_opts_out(doc)
            return False  # a `.app` file, a file beyond the subset: the full reader decides
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
# Printable ASCII, tab and newline only: anything else is tomllib's business.
_PLAIN = frozenset(chr(c) for c in range(0x20, 0x7F)) | {"\t", "\n"}


def parse_simple(text: str) -> "dict[str, Any] | None":
    """The document, or None when `text` is not in the plain subset (which says nothing of
    validity)."""
    if not _PLAIN.issuperset(text):
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


def _header(line: str) -> tuple[str | None, str]:
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


def _is_bare(name: str) -> bool:
    return bool(name) and _BARE.issuperset(name)


def _blank_or_comment(rest: str) -> bool:
    rest = rest.lstrip(" \t")
    return not rest or rest[0] == "#"
