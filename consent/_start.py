"""The start: every case in which a host command's run is off, decided before the rest of
consent (and the app's spec) is imported.

A run is off, and loads nothing more, when `--disable-analytics` was given, the app's
`<PREFIX>_DISABLE_ANALYTICS` or `DO_NOT_TRACK` disables, an admin policy locks telemetry off, a
project file opts out, the person's config says no for every purpose (`enabled = false`, no
local mode), or nothing is recorded yet and no person is at a terminal (the run could only await
the notice). The files are read by consent/_glance.py, imported only when neither the flag nor a
variable decided. Anything the start cannot read at a glance (another OS's locations, a file
beyond the plain TOML subset, an unreadable file) is left to the full decision
(consent/_store/sources.py `resolve`, consent/_core/rules.py), which stays the authority:
whenever `run_is_off` says off, it sends and shows nothing (tests/e2e/test_start_differential.py).

It imports only what Python has loaded before any program runs (os, sys), and it is small: every
module on this path costs a host command about 0.4 million instructions of import machinery and
more for each function it unmarshals (docs/benchmarks.md). The names a start needs live here,
and the modules that need them too (envgrammar, spec, names) take them from here.
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
# Where the click and typer adapters keep the flag, given anywhere, in a run's context (its meta),
# and mark the `telemetry` group they build (consent/_tree.py, consent/_cli/adapters/clickbuild.py).
FLAG_KEY = "consent.disable_analytics"
GROUP_MARK = "_consent_group"
HOST_ROOT = "_consent_host_root"  # on a group run by a single-command app: the host's command
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


def disables(raw: "str | None") -> bool:
    """Does this raw value of a disabling variable turn telemetry off (the env grammar)?"""
    if raw is None:
        return False
    word = raw.strip().lower()
    return word != "" and word not in FALSE_WORDS


def flag_help(commands: str) -> str:
    """The help of `--disable-analytics`, the same under every adapter (`commands`: `acme
    telemetry`)."""
    return f"Send no usage data in this run (see `{commands} status`)."


# -- the names derived from an app's --------------------------------------------------------------
class AppNames:
    """The names derived from an app's name, env prefix and command group, defined once for
    consent/_core/spec.py `AppSpec` and `SpecRef` (both inherit them)."""

    __slots__ = ()
    if TYPE_CHECKING:
        name: str
        env_prefix: str
        group: str

    @property
    def commands(self) -> str:
        """How a person types the group's commands: `acme telemetry`."""
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


# -- the lazy spec reference --------------------------------------------------------------------
class SpecRef(AppNames):
    """An app's spec named as `"package.module:NAME"`, with what a start needs beside it (the
    app's name, env prefix and command group): the module is imported only when a run may send,
    shows a notice, asks, or runs a `telemetry` command (consent/_core/reference.py loads it)."""

    __slots__ = ("_spec", "env_prefix", "group", "name", "system_root", "target", "wanted_group")

    def __init__(self, target: str, name: str, env_prefix: str, group: "str | None") -> None:
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
    def loaded(self) -> bool:
        return self._spec is not None


REFS: "list[SpecRef]" = []  # every reference made, so the pytest plugin can load each one


def prepared(
    spec: "A | str", *, group: "str | None", name: "str | None", env_prefix: "str | None"
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
# Where an app's files are, on the platforms whose locations come from the environment
# (consent/_store/paths.py `_xdg_locations`): an off run keeps them as its command started.
LOCATION_VARIABLES = (
    "HOME",
    "XDG_CONFIG_HOME",
    "XDG_CONFIG_DIRS",
    "XDG_DATA_HOME",
    "XDG_STATE_HOME",
)
# App name -> the scope of the run this module turned off for it (the newest; it holds the one it
# shadows). consent/_core/runs.py makes a run of it when something of the run asks for it.
OFF_RUNS: "dict[str, OffScope]" = {}


class OffScope:
    """A run this module turned off, registered for its command only: the adapter ends it
    (`end()`, or leaving a `with` block) when the command returns, as it ends a decided run's
    consent/_core/runs.py `Scope`, so that a later event outside any run decides on the spot.
    What deciding it needs is kept as it was when the command started (the spec or its
    reference, the flag, the variables that decide and those that say where the files are, the
    working directory, where a project file may opt out): a command that moves elsewhere, or
    changes those variables for its own children, is still the run that started as it did."""

    __slots__ = ("app", "command", "cwd", "ended", "flag", "kept", "previous", "run")

    def __init__(
        self,
        app: "App | SpecRef",
        flag: bool,
        kept: "tuple[tuple[str, str], ...]",
        command: str,
        cwd: "str | None",
    ) -> None:
        self.app = app
        self.flag = flag
        self.kept = kept
        self.command = command
        self.cwd = cwd  # None: it could not be read (the project search then fails closed)
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


def start(app: "App | SpecRef", command: str, *, flag: bool) -> "OffScope | None":
    """As a host command starts: if the run is off, register it so and return its scope (the
    adapter then loads nothing more, and ends the scope when the command returns); None when
    the full decision decides. Never raises."""
    try:
        environ = os.environ
        try:
            cwd: str | None = os.getcwd()
        except OSError:
            cwd = None
        if not run_is_off(app, flag=flag, environ=environ, cwd=cwd):
            return None
        names = (app.disable_env, DO_NOT_TRACK, app.endpoint_env)
        kept = tuple((n, v) for n in names if (v := environ.get(n)) is not None)
        if not flag and not any(disables(v) for n, v in kept if n != app.endpoint_env):
            # Off by a file: where the files are, too (a run off by the flag or a variable is
            # decided without reading one: consent/_store/sources.py `gather`).
            kept += tuple((n, v) for n in LOCATION_VARIABLES if (v := environ.get(n)) is not None)
        return OffScope(app, flag, kept, command, cwd)
    except Exception:  # noqa: BLE001 - undecided here: the full decision decides
        return None


def run_is_off(
    app: "App | SpecRef",
    *,
    flag: bool,
    environ: "Mapping[str, str]",
    cwd: "str | None" = None,
    interactive: "bool | None" = None,
    platform: "str | None" = None,
) -> bool:
    """Is this run off by one of the cases this module reads at a glance? False when it is on,
    or when only the full decision can tell. Not under debug or strict mode, where even a
    disabled run checks its screenview."""
    if disables(environ.get(app.debug_env)) or environ.get(STRICT_ENV):
        return False
    if flag or disables(environ.get(app.disable_env)) or disables(environ.get(DO_NOT_TRACK)):
        return True
    from consent._glance import files_off  # only when neither the flag nor a variable decided

    off = files_off(app.name, app.system_root, environ, cwd, platform)
    if off is None:  # nothing recorded: the run can only await the notice or the question
        if interactive is None:
            interactive = _interactive(environ)
        return not interactive
    return off


def _interactive(environ: "Mapping[str, str]") -> bool:
    """consent/_cli/interactive.py's rule: stdin and stderr are terminals, no CI marker set."""
    try:
        ttys = sys.stdin is not None and sys.stdin.isatty() and sys.stderr.isatty()
    except (AttributeError, ValueError, OSError):
        return False
    return bool(ttys) and not any(disables(environ.get(m)) for m in CI_MARKERS)
