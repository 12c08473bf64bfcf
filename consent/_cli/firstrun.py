"""The first interactive run: show the notice (opt-out) or ask once (opt-in).

Only a person at a terminal can see a notice or answer a question, so nothing
here happens in a non-interactive run; and nothing is sent in the run that
showed the notice or asked. The question's default is No; end of input is No;
Ctrl-C aborts the run with exit status 130 and records nothing.
"""

from __future__ import annotations

import sys

from consent._cli.interactive import is_interactive
from consent._core.rules import Decision
from consent._core.spec import AppSpec

YES = ("y", "yes")


def first_run(spec: AppSpec, decision: Decision) -> None:
    """Handle a pending notice or question; never raises into the host command."""
    if decision.pending is None or not is_interactive():
        return
    from consent._errors import LockTimeoutError
    from consent._notice.changes import changes_text
    from consent._notice.prompts import first_run_text, question_text
    from consent._store.choices import record_choice, record_notice_shown
    from consent._store.fileio import HOST_LOCK_TIMEOUT
    from consent._store.paths import locations
    from consent._store.sources import read_config

    locs = locations(spec)
    # A new notice version: say what was added or removed since the one last seen.
    _err(changes_text(spec, read_config(locs).record))
    if decision.pending == "notice":
        _err(first_run_text(spec) + "\n")
        # A host command never waits on a lock: if another process holds the config, the
        # notice is simply shown again next time (nothing is sent in this run either way).
        record_notice_shown(spec, locs, timeout=HOST_LOCK_TIMEOUT)
        return
    try:
        _err(question_text(spec))
        try:
            line = sys.stdin.readline()
        except (OSError, ValueError):
            line = ""
    except KeyboardInterrupt:
        # Ctrl-C aborts the run: nothing is recorded and the command does not run.
        _err(f"\nAborted: nothing was recorded; {spec.name} will ask again next time.\n")
        raise SystemExit(130) from None
    if not line.endswith("\n"):
        _err("\n")  # end of input (Ctrl-D) answers No; keep the terminal tidy
    allowed = line.strip().lower() in YES
    try:
        record_choice(spec, locs, enabled=allowed, via="prompt", timeout=HOST_LOCK_TIMEOUT)
    except LockTimeoutError:
        _err(
            f"The answer could not be recorded now (the config is busy); {spec.name} asks again.\n"
        )
        return
    _err(
        f"Recorded: telemetry {'enabled' if allowed else 'disabled'}. "
        f"Change it any time: {spec.commands} {'disable' if allowed else 'enable'}\n"
    )


def _err(text: str) -> None:
    """To the terminal, escaped (the notice version and the names it lists come from the
    config file); nothing when the process started without a stderr."""
    from consent._cli.console import terminal_text

    if sys.stderr is not None:
        sys.stderr.write(terminal_text(text))
        sys.stderr.flush()
