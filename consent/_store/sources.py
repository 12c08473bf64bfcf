"""One small reader per source, turning the world into `decide.Inputs`.

Reading never writes: no file, directory, id or keyring entry is created here.
With `full=False` (a host command's run) the cheap sources are read first and
the files are skipped once one of them already disables.
"""

from __future__ import annotations

import os

from consent._core.envgrammar import DO_NOT_TRACK, EnvReading, read_env
from consent._core.names import (
    POLICY_KEYS,
    POLICY_NAME,
    PROJECT_MAX_LEVELS,
    REGISTRY_PREFIX,
    TABLE,
)
from consent._core.records import consent_record, defaults_terms, policy_terms, project_terms
from consent._core.rules import (
    ConfigReading,
    Decision,
    Inputs,
    PackagerReading,
    PolicyReading,
    ProjectReading,
    decide,
)
from consent._core.spec import AppSpec, Mode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

    from consent._store.paths import Locations
    from consent._store.tomlread import Reason, TomlReading

# Paths and the TOML reader are imported where the files are read: a run disabled by the flag or
# an env variable decides without them (see `gather`).


def read_envs(spec: AppSpec, environ: Mapping[str, str]) -> tuple[EnvReading, ...]:
    return _envs(spec.disable_env, environ)


def _envs(disable_env: str, environ: Mapping[str, str]) -> tuple[EnvReading, ...]:
    env = dict(environ)
    return (read_env(disable_env, env), read_env(DO_NOT_TRACK, env))


def recheck(
    app: str,
    notice_version: str,
    *,
    mode: Mode,
    disable_env: str,
    locs: Locations,
    environ: Mapping[str, str] | None = None,
    purposes: tuple[str, ...] = (),
) -> Decision:
    """The decision again, from every source, for the detached sender: it has no spec, only
    what the job names (the app's env variable, its files, its purposes, the notice version of
    the hit)."""
    environ = os.environ if environ is None else environ
    return decide(
        Inputs(
            app,
            mode,
            notice_version,
            False,
            _envs(disable_env, environ),
            read_policies(locs, purposes),
            read_config(locs),
            purposes=purposes,
            packager=read_packager(locs, purposes),
        )
    )


def read_policies(locs: Locations, purposes: tuple[str, ...] = ()) -> tuple[PolicyReading, ...]:
    """Every admin policy file; `purposes` (the app's) checks the names a policy locks."""
    from consent._store.tomlread import read_toml

    out = []
    for path in locs.policy_paths:
        # A link there is followed only when no one but root could have changed where it
        # leads (consent/_store/safeopen.py, resolve_trusted); else it locks, as does any form
        # at the path other than a clean file.
        root = locs.system_root
        if path.startswith(REGISTRY_PREFIX):
            read = read_registry(path)
        elif path.endswith(".plist"):
            read = _read_plist(path, root)
        else:
            read = read_toml(path, policy_root=root)
        if read.state != "ok":
            out.append(PolicyReading(path, read.state, read.state == "error", read.problem))
            continue
        t = policy_terms(read.doc, purposes)  # a problem locks (fail closed)
        out.append(
            PolicyReading(
                path,
                "ok",
                t.locks,
                t.problem,
                t.locked_purposes,
                t.local,
                t.lock_key,
                t.endpoint,
                t.settings,
                read.target,
            )
        )
    return tuple(out)


def read_packager(locs: Locations, purposes: tuple[str, ...] = ()) -> PackagerReading | None:
    """The packager's defaults of the installation (`Locations.defaults_path`), None when the
    locations name none. Read through the same bounded reader as every TOML file; a link is
    followed: the file belongs to the installation, whose owner could change the program."""
    path = locs.defaults_path
    if not path:
        return None
    from consent._store.tomlread import read_toml

    read = read_toml(path)
    if read.state != "ok":
        return PackagerReading(path, read.state, read.problem)
    t = defaults_terms(read.doc, purposes)
    return PackagerReading(path, "ok", t.problem, t.mode, t.off_purposes, t.endpoint, t.settings)


def _read_plist(path: str, root: str = "") -> TomlReading:
    """macOS managed preferences (`/Library/Managed Preferences/<bundle id>.plist`, written from
    a configuration profile): the same keys as the policy's `[telemetry]` table, at the top
    level of the payload. The profile's own `Payload…` keys are not settings and are skipped; a
    whole profile (its settings under `PayloadContent`) cannot be read exactly; a link is followed
    as for a policy file (`safeopen.read_policy`); anything unreadable is an error, which locks
    (fail closed)."""
    from consent._store.safeopen import NotRegularFile, UntrustedLink, read_policy
    from consent._store.tomlread import MAX_BYTES, TomlReading

    try:
        data, target = read_policy(path, MAX_BYTES, root)
    except FileNotFoundError:
        return TomlReading(path, "missing", {})
    except UntrustedLink as exc:
        return TomlReading(path, "error", {}, "special", str(exc.strerror))
    except NotRegularFile as exc:
        # safeopen's reason, said once: "is a directory", "is not a regular file".
        what = str(exc.strerror)
        problem = what if what.endswith("regular file") else f"{what}, not a regular file"
        return TomlReading(path, "error", {}, "special", problem)
    except OSError as exc:
        return TomlReading(path, "error", {}, "unreadable", f"cannot be read ({exc.strerror})")
    if len(data) > MAX_BYTES:
        return TomlReading(path, "error", {}, "too_large", "is too large")
    import plistlib

    try:
        doc = plistlib.loads(data)
    except Exception as exc:  # noqa: BLE001 - plistlib raises several kinds; all fail closed
        return TomlReading(path, "error", {}, "invalid", f"is not a property list ({exc})")
    if not isinstance(doc, dict):
        return TomlReading(path, "error", {}, "invalid", "is not a dictionary property list")
    if "PayloadContent" in doc:
        # A whole configuration profile (a .mobileconfig) copied here: its settings sit in
        # payloads of many shapes, not at the top level. What cannot be read exactly locks.
        return TomlReading(
            path,
            "error",
            {},
            "invalid",
            "is a whole configuration profile (PayloadContent), not the managed preferences it "
            "installs: its settings cannot be read exactly",
        )
    table = {k: v for k, v in doc.items() if not str(k).startswith("Payload")}
    return TomlReading(path, "ok", {TABLE: table}, target=target)


# --- Windows Group Policy: the app's key under HKEY_LOCAL_MACHINE, read as a policy document --
#
# Group Policy (and the ADMX template of docs/admin.md, "Group Policy") writes one value per
# policy key under `HKLM\\SOFTWARE\\Policies\\<vendor>\\<app>` (AppSpec.policy_key). The values
# become the `[telemetry]` table of a policy file, so that `records.policy_terms` reads them
# with the same semantics and the same fail-closed rules as `telemetry.toml`:
#
# | value | type | as in the file |
# |---|---|---|
# | `enabled` | REG_DWORD 0 or 1 | `enabled = false` / `true` (another number: wrong type) |
# | `mode` | REG_SZ | `mode = "off" / "local" / "send"` |
# | `disabled_purposes` | REG_MULTI_SZ, or REG_SZ with names separated by spaces | the list |
# | `endpoint` | REG_SZ | `endpoint = "https://…"` |
#
# A value of another type (REG_EXPAND_SZ, REG_BINARY, REG_QWORD, …), a subkey, or more values
# than a policy can hold cannot be read exactly and locks (fail closed), as does a key that
# cannot be opened for any reason but its absence. Value names are read exactly as the template
# writes them (lower case), as a file's keys are.
#
# The key is read from the 64-bit registry view (KEY_WOW64_64KEY), where Group Policy writes,
# whatever the bitness of the Python that runs the app. `winreg` is imported when a key is read,
# only on Windows; tests put a fake of it in its place (tests/store/fakewinreg.py).

# More values than the four a policy reads, and more bytes than a policy file may hold, are
# not a policy (docs/configuration.md, "Limits").
MAX_VALUES = 64
ERROR_NO_MORE_ITEMS = 259


def read_registry(path: str, registry: Any = None) -> TomlReading:
    """The policy under `path` (`HKLM\\<key>`), as a TOML reading of one `[telemetry]` table.
    Never raises: a key that is not there is "missing", anything else unreadable an "error"."""
    from consent._store.tomlread import TomlReading

    key_path = path[len(REGISTRY_PREFIX) :]

    def error(reason: Reason, problem: str) -> TomlReading:
        return TomlReading(path, "error", {}, reason, problem)

    if registry is None:
        try:
            import winreg

            registry = winreg
        except ImportError:
            return error("unreadable", "cannot be read (no Windows registry on this system)")
    try:
        key = registry.OpenKeyEx(
            registry.HKEY_LOCAL_MACHINE,
            key_path,
            0,
            registry.KEY_READ | registry.KEY_WOW64_64KEY,
        )
    except FileNotFoundError:
        return TomlReading(path, "missing", {})
    except OSError as exc:
        return error("unreadable", f"cannot be read ({_why(exc)})")
    try:
        with key:
            return _values(path, key, registry)
    except OSError as exc:
        return error("unreadable", f"cannot be read ({_why(exc)})")


def _values(path: str, key: object, registry: Any) -> TomlReading:
    from consent._store.tomlread import MAX_BYTES, TomlReading

    def error(reason: Reason, problem: str) -> TomlReading:
        return TomlReading(path, "error", {}, reason, problem)

    subkeys, count, _ = registry.QueryInfoKey(key)
    if subkeys:
        name = registry.EnumKey(key, 0)
        return error("invalid", f"has the subkey {name!r} (only values are read)")
    if count > MAX_VALUES:
        return error(
            "too_complex", f"is too complex to read safely (more than {MAX_VALUES} values)"
        )
    table: dict[str, object] = {}
    size = 0
    for index in range(count):
        try:
            name, data, kind = registry.EnumValue(key, index)
        except OSError as exc:
            if getattr(exc, "winerror", None) == ERROR_NO_MORE_ITEMS:
                break  # a value was deleted while the key was read: what is left is the policy
            raise
        size += len(name) + len(repr(data))
        if size > MAX_BYTES:
            return error("too_large", f"is larger than {MAX_BYTES // (1024 * 1024)} MiB")
        shown = name or "(Default)"
        if shown not in POLICY_KEYS:
            known = ", ".join(f"'{k}'" for k in POLICY_KEYS)
            return error("invalid", f"has the value {shown!r} (only {known} are read)")
        value = _value(data, kind, registry)
        if value is None:
            names = {
                getattr(registry, n): n
                for n in ("REG_NONE", "REG_EXPAND_SZ", "REG_BINARY", "REG_QWORD", "REG_LINK")
                if hasattr(registry, n)
            }
            kind_name = names.get(kind, f"type {kind}")
            return error(
                "invalid",
                f"has the value {shown!r} of type {kind_name}; a policy value is REG_DWORD "
                "(enabled), REG_SZ (mode, endpoint) or REG_MULTI_SZ (disabled_purposes)",
            )
        table[shown] = value
    return TomlReading(path, "ok", {TABLE: table} if table else {})


def _value(data: object, kind: int, registry: Any) -> object | None:
    """A registry value as the TOML value it stands for; None for a type a policy never uses.
    A DWORD 0 or 1 is a boolean (Group Policy writes `enabled` so); any other number stays a
    number, which no policy key accepts: `policy_terms` names it and the policy locks."""
    if kind == registry.REG_DWORD and isinstance(data, int):
        return {0: False, 1: True}.get(data, data)
    if kind == registry.REG_SZ and isinstance(data, str):
        return data
    if kind == registry.REG_MULTI_SZ and isinstance(data, list):
        return [str(item) for item in data]
    return None


def _why(exc: OSError) -> str:
    winerror = getattr(exc, "winerror", None)
    text = exc.strerror or str(exc)
    return f"{text}, Windows error {winerror}" if winerror else text


# Does `os.access` take follow_symlinks=False here? Then a `.<app>` link that loops is seen.
_NOFOLLOW = os.access in os.supports_follow_symlinks


def read_project(
    app: str, cwd: str | None = None, home: str | None = None, *, levels: int = PROJECT_MAX_LEVELS
) -> ProjectReading:
    """The per-project opt-out: every `.<app>/telemetry.toml` in `cwd` and the directories
    above it, up to the home directory (inclusive) or the root, at most `levels` directories.
    The first that disables (or cannot be read: fail closed) decides; one that says nothing, or
    only `enabled = true` (which a project cannot say), does not end the search, so a nested
    project never lifts its parent's opt-out. Each directory costs one `access` call (no
    exception, no open; a `.<app>` link is not followed, so one that loops is seen); the file is
    read, through the safe open (no blocking on a FIFO, refusing anything but a regular file),
    only where a `.<app>` entry exists. A working directory that no longer exists fails closed.
    bench/growth.py measures it ("Growth")."""
    try:
        here = os.getcwd() if cwd is None else cwd
    except OSError as exc:
        gone = os.environ.get("PWD", "")
        named = f" ({gone}, as $PWD says)" if gone else ""
        problem = (
            f"the working directory{named} cannot be read ({exc.strerror or exc}), so no "
            "project file can be looked for"
        )
        return ProjectReading("", "error", True, problem)
    if home is None:
        home = os.path.expanduser("~")
    sep, dot, name = os.sep, f".{app}", os.path.join(f".{app}", POLICY_NAME)
    stop: tuple[str, ...] = ()
    if os.path.isabs(home):
        # The working directory is a physical path; HOME may be spelled through a link. Only
        # when the two do not line up is HOME resolved (a few stat calls).
        inside = here == home or here.startswith(home.rstrip(sep) + sep)
        stop = (home,) if inside else (home, os.path.realpath(home))
    from consent._store.tomlread import read_toml

    nofollow = {"follow_symlinks": False} if _NOFOLLOW else {}
    start = here
    passed: list[str] = []
    ignored: list[str] = []
    for _ in range(levels):
        folder = (here if here.endswith(sep) else here + sep) + dot
        if os.access(folder, os.F_OK, **nofollow):
            path = os.path.join(folder, POLICY_NAME)
            read = read_toml(path)
            if read.state == "ok":
                disables, problem, enable = project_terms(read.doc)
                if disables or problem:
                    return ProjectReading(
                        path, "ok", True, problem, passed=tuple(passed), ignored=tuple(ignored)
                    )
                passed.append(path)
                if enable:
                    ignored.append(path)
            # A plain file named `.app` holds no project file; anything else there that cannot
            # be read (unreadable, a FIFO, a directory, a link that loops) fails closed.
            elif read.state == "error" and "Not a directory" not in read.problem:
                return ProjectReading(
                    path, "error", True, read.problem, passed=tuple(passed), ignored=tuple(ignored)
                )
        parent = os.path.dirname(here)
        if here in stop or parent == here:
            searched = f"({name} in {start} or above it, up to {here})"
            return _none_disables(passed, ignored, searched)
        here = parent
    searched = f"({name} in {start} or the {levels - 1} directories above it, the search's limit)"
    return _none_disables(passed, ignored, searched)


def _none_disables(passed: list[str], ignored: list[str], searched: str) -> ProjectReading:
    """No project file opts out: the nearest found (if any) stands for them all."""
    if not passed:
        return ProjectReading("", "missing", False, searched=searched)
    nearest = passed[0]
    return ProjectReading(
        nearest,
        "ok",
        False,
        enable_ignored=nearest in ignored,
        searched=searched,
        passed=tuple(passed[1:]),
        ignored=tuple(p for p in ignored if p != nearest),
    )


def read_config(locs: Locations) -> ConfigReading:
    from consent._store.tomlread import read_toml

    path = locs.config_path
    read = read_toml(path)
    if read.state != "ok":
        return ConfigReading(path, read.state, problem=read.problem)
    try:
        return ConfigReading(path, "ok", consent_record(read.doc))
    except ValueError as exc:
        return ConfigReading(path, "error", problem=f"is invalid: {exc}")


def gather(
    spec: AppSpec,
    *,
    flag: bool = False,
    environ: Mapping[str, str] | None = None,
    locs: Locations | None = None,
    full: bool = True,
    cwd: str | None = None,
    home: str | None = None,
) -> Inputs:
    environ = os.environ if environ is None else environ
    envs = read_envs(spec, environ)
    override = environ.get(spec.endpoint_env)
    base = Inputs(
        spec.name,
        spec.mode,
        "",
        flag,
        envs,
        None,
        None,
        spec.commands,
        spec.purpose_names,
        endpoint_override=(spec.endpoint_env, override) if override else (),
    )
    if not full and (flag or any(e.disables for e in envs)):
        return base  # the fast path stops here; the notice version is not even computed
    if locs is None:
        from consent._store.paths import locations

        locs = locations(spec)
    policies = read_policies(locs, spec.purpose_names)
    base = base.replace(notice_version=spec.notice_version, policies=policies)
    if not full and any(p.locks or p.state == "error" for p in policies):
        return base
    base = base.replace(project=read_project(spec.name, cwd, home))
    if not full and base.project is not None and base.project.disables:
        return base
    base = base.replace(config=read_config(locs))
    c = base.config
    off = c is not None and (
        c.state == "error" or (c.record.enabled is False and not c.record.local)
    )
    if not full and off:
        return base  # every purpose is off already: the packager's defaults change nothing
    return base.replace(packager=read_packager(locs, spec.purpose_names))


def read_decision(
    spec: AppSpec, *, flag: bool = False, environ: Mapping[str, str] | None = None
) -> Decision:
    """`consent.decide`: read every source and return the current `Decision`.

    `flag`: the run's `--disable-analytics` was given; `environ`: the variables to read (default:
    the process's). Reading never writes: no file, directory, id or keyring entry is created."""
    return resolve(spec, flag=flag, environ=environ)


def resolve(
    spec: AppSpec,
    *,
    flag: bool = False,
    environ: Mapping[str, str] | None = None,
    locs: Locations | None = None,
    full: bool = True,
    cwd: str | None = None,
    home: str | None = None,
) -> Decision:
    """Read every source and decide. The one entry point for "may we send?".

    `cwd` and `home` bound the per-project search (default: the working and home directory)."""
    return decide(
        gather(spec, flag=flag, environ=environ, locs=locs, full=full, cwd=cwd, home=home)
    )
