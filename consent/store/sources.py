"""One small reader per source, turning the world into `decide.Inputs`.

Reading never writes: no file, directory, id or keyring entry is created here.
With `full=False` (a host command's run) the cheap sources are read first and
the files are skipped once one of them already disables.
"""

from __future__ import annotations

import os

from consent.core.envgrammar import EnvReading, read_env
from consent.core.names import DO_NOT_TRACK
from consent.core.records import consent_record, policy_locks, policy_terms
from consent.core.rules import ConfigReading, Decision, Inputs, PolicyReading, decide
from consent.core.spec import AppSpec, Mode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from consent.store.paths import Locations

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
    from consent.store.tomlread import read_toml

    out = []
    for path in locs.policy_paths:
        # A policy is read only where it is: a link there (dangling or not) is a lock, not a
        # pointer to follow. Any form at the path other than a clean file fails closed.
        read = read_toml(path, follow=False)
        locks, problem = policy_locks(read.doc) if read.state == "ok" else (False, read.problem)
        locked: tuple[str, ...] = ()
        local = False
        if read.state == "ok" and not locks:
            locked, local, problem = policy_terms(read.doc, purposes)
            locks = bool(problem)  # a policy whose intent cannot be read locks (fail closed)
        out.append(PolicyReading(path, read.state, locks, problem, locked, local))
    return tuple(out)


def read_config(locs: Locations) -> ConfigReading:
    from consent.store.tomlread import read_toml

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
) -> Inputs:
    environ = os.environ if environ is None else environ
    envs = read_envs(spec, environ)
    base = Inputs(
        spec.name, spec.mode, "", flag, envs, None, None, spec.commands, spec.purpose_names
    )
    if not full and (flag or any(e.disables for e in envs)):
        return base  # the fast path stops here; the notice version is not even computed
    if locs is None:
        from consent.store.paths import locations

        locs = locations(spec)
    policies = read_policies(locs, spec.purpose_names)
    base = base.replace(notice_version=spec.notice_version, policies=policies)
    if not full and any(p.locks or p.state == "error" for p in policies):
        return base
    return base.replace(config=read_config(locs))


def resolve(
    spec: AppSpec,
    *,
    flag: bool = False,
    environ: Mapping[str, str] | None = None,
    locs: Locations | None = None,
    full: bool = True,
) -> Decision:
    """Read every source and decide. The one entry point for "may we send?"."""
    return decide(gather(spec, flag=flag, environ=environ, locs=locs, full=full))
