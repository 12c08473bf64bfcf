"""Command runs for tests: record events as a command of an installed CLI records them.

An installed CLI starts a run as each command starts and ends it when the command returns
(consent/_core/runs.py): inside it, `record_event` uses the run's one decision and checks that
the event may be recorded by that command; outside it, every event decides on the spot. Tests
of an app's own `record_event` calls use this module instead of reaching into consent's private
state::

    from consent.testing.runs import command_run, current_command

    with command_run(SPEC, "acme deploy run") as decision:
        deploy("prod")  # its record_event(SPEC, "deployed", ...) counts as `acme deploy run`'s
    assert current_command(SPEC) is None  # the run ended with the block

`outside_any_run()` sets aside a run an earlier test left behind (`consent_home` does it).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from consent import _start
from consent._core import runs
from consent._core.rules import Decision
from consent._core.runs import current_run, start_run
from consent._core.spec import AppSpec

__all__ = ["command_run", "current_command", "outside_any_run"]


@contextmanager
def command_run(
    spec: AppSpec, command: str = "", *, flag: bool = False, decision: Decision | None = None
) -> Iterator[Decision]:
    """The block runs as the command `command` (its full path, "acme deploy run"; default the
    app's name) of an installed CLI: one decision for the whole block, made now as a host
    command's start makes it (`flag`: as if `--disable-analytics` was given), or `decision`.
    Yields that decision; the run ends with the block, whatever way it is left."""
    if decision is None:
        from consent._store.sources import resolve

        decision = resolve(spec, flag=flag, full=False)
    with start_run(spec, decision, command or spec.name):
        yield decision


def current_command(spec: AppSpec) -> str | None:
    """The command path of the run `record_event(spec, …)` would count as now, or None when an
    event would decide on the spot (no command of `spec`'s app is running)."""
    run = current_run(spec)
    return None if run is None else run.command


@contextmanager
def outside_any_run() -> Iterator[None]:
    """The block runs outside any command's run, as a new process starts: a run that an earlier
    test started and never ended (an argparse program's `run(parser, args)` lasts until its
    program ends) is set aside for the block, and back after it. `consent_home` does this for
    every test."""
    token = runs._RUNS.set(())
    active = list(runs._ACTIVE)
    runs._ACTIVE.clear()
    off = dict(_start.OFF_RUNS)  # runs consent/_start.py turned off, as their command started
    _start.OFF_RUNS.clear()
    try:
        yield
    finally:  # back, but for those ended meanwhile
        _start.OFF_RUNS.clear()
        _start.OFF_RUNS.update({n: r for n, r in off.items() if not r.ended})
        runs._ACTIVE[:] = [r for r in active if not r.ended]
        runs._RUNS.reset(token)
        runs._RUNS.set(tuple(r for r in runs._RUNS.get() if not r.ended))
