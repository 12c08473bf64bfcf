"""Loading a spec given to `install` as a lazy reference (consent/_start.py `SpecRef`): import
its module, check that it is an AppSpec and agrees with the arguments given beside it (which
decided the run before it loaded). Called only when a run may send, shows a notice, asks, runs
a `telemetry` command, and by the pytest plugin after each test."""

from __future__ import annotations

from consent._core.spec import AppSpec
from consent._start import GROUP_NAME, SpecRef


def spec_of(spec: AppSpec | SpecRef) -> AppSpec:
    """The spec itself, loading a reference (once)."""
    if not isinstance(spec, SpecRef):
        return spec
    loaded: AppSpec | None = spec._spec
    if loaded is None:
        loaded = spec._spec = load(spec)
    return loaded


def load(ref: SpecRef) -> AppSpec:
    """Import the referenced spec; a SpecError when the target is not an AppSpec or says another
    name, env prefix or group than the arguments beside it."""
    from consent._errors import SpecError

    module, sep, attr = ref.target.partition(":")
    if not sep or not module or not attr:
        raise SpecError(
            f"the spec reference {ref.target!r} is not of the form 'package.module:NAME'"
        )
    try:
        # Not importlib (its import costs a run that loads the spec); a fromlist makes
        # __import__ return the module itself, not its top package.
        found = getattr(__import__(module, fromlist=["_"]), attr)
    except (ImportError, AttributeError) as exc:
        raise SpecError(f"the spec reference {ref.target!r} cannot be loaded: {exc}") from None
    if not isinstance(found, AppSpec):
        raise SpecError(f"{ref.target} is a {type(found).__name__}, not an AppSpec")
    problems = []
    if found.name != ref.name:
        problems.append(f"name={ref.name!r} but the spec's name is {found.name!r}")
    if found.env_prefix != ref.env_prefix:
        problems.append(
            f"env_prefix={ref.env_prefix!r} but the spec's env_prefix is {found.env_prefix!r}"
        )
    wanted = ref.wanted_group
    if wanted is None and found.group != GROUP_NAME:
        problems.append(f"the spec's group is {found.group!r}: pass group={found.group!r}")
    if problems:
        raise SpecError(
            f"install() was given {ref.target} with arguments that disagree with it: "
            + "; ".join(problems)
            + " (the arguments decide a run before the spec loads, so they must match it)"
        )
    if wanted is not None and wanted != found.group:
        found = found.replace(group=wanted)
    return found
