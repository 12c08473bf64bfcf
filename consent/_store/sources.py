"""One small reader per source, turning the world into `decide.Inputs`.

Reading never writes: no file, directory, id or keyring entry is created here.
With `full=False` (a host command's run) the cheap sources are read first and
the files are skipped once one of them already disables.
"""

from __future__ import annotations

import os

from consent._core.envgrammar import DO_NOT_TRACK, EnvReading, read_env
from consent._core.names import POLICY_NAME, PROJECT_MAX_LEVELS, TABLE
from consent._core.records import consent_record, policy_terms, project_terms
from consent._core.rules import (
    ConfigReading,
    Decision,
    Inputs,
    PolicyReading,
    ProjectReading,
    decide,
)
from consent._core.spec import AppSpec, Mode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from consent._store.paths import Locations
    from consent._store.tomlread import TomlReading

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
        )
    )


def read_policies(locs: Locations, purposes: tuple[str, ...] = ()) -> tuple[PolicyReading, ...]:
    """Every admin policy file; `purposes` (the app's) checks the names a policy locks."""
    from consent._store.tomlread import read_toml

    out = []
    for path in locs.policy_paths:
        # A policy is read only where it is: a link there (dangling or not) is a lock, not a
        # pointer to follow. Any form at the path other than a clean file fails closed.
        read = _read_plist(path) if path.endswith(".plist") else read_toml(path, follow=False)
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
            )
        )
    return tuple(out)


def _read_plist(path: str) -> TomlReading:
    """macOS managed preferences (`/Library/Managed Preferences/<bundle id>.plist`, written from
    a configuration profile): the same keys as the policy's `[telemetry]` table, at the top
    level of the payload. The profile's own `Payload…` keys are not settings and are skipped; a
    whole profile (its settings under `PayloadContent`) and anything unreadable is an error,
    which locks (fail closed)."""
    from consent._store.safeopen import NotRegularFile, read_regular
    from consent._store.tomlread import MAX_BYTES, TomlReading

    try:
        data = read_regular(path, MAX_BYTES, follow=False)
    except FileNotFoundError:
        return TomlReading(path, "missing", {})
    except NotRegularFile as exc:
        # safeopen's reason, said once: "is a directory", "is not a regular file", a link's.
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
    return TomlReading(path, "ok", {TABLE: table})


def read_project(
    app: str, cwd: str | None = None, home: str | None = None, *, levels: int = PROJECT_MAX_LEVELS
) -> ProjectReading:
    """The per-project opt-out nearest the working directory: `.<app>/telemetry.toml` in `cwd`
    or a directory above it, up to the home directory (inclusive) or the root, at most `levels`
    directories. Each directory costs one `access` call (no exception, no open); the file is
    read, through the safe open (no blocking on a FIFO, refusing anything but a regular file),
    only where a `.<app>` entry exists. bench/growth.py measures it ("Growth")."""
    try:
        here = os.getcwd() if cwd is None else cwd
    except OSError:
        return ProjectReading("", "missing", False, searched="(the working directory is gone)")
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

    start = here
    for _ in range(levels):
        folder = (here if here.endswith(sep) else here + sep) + dot
        if os.access(folder, os.F_OK):
            path = os.path.join(folder, POLICY_NAME)
            read = read_toml(path)
            if read.state == "ok":
                disables, problem, ignored = project_terms(read.doc)
                return ProjectReading(path, "ok", disables or bool(problem), problem, ignored)
            # A plain file named `.app` holds no project file; anything else there that cannot
            # be read (unreadable, a FIFO, a directory) fails closed.
            if read.state == "error" and "Not a directory" not in read.problem:
                return ProjectReading(path, "error", True, read.problem)
        parent = os.path.dirname(here)
        if here in stop or parent == here:
            searched = f"({name} in {start} or above it, up to {here})"
            return ProjectReading("", "missing", False, searched=searched)
        here = parent
    searched = f"({name} in {start} or the {levels - 1} directories above it, the search's limit)"
    return ProjectReading("", "missing", False, searched=searched)


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
    return base.replace(config=read_config(locs))


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
