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
    from consent._notice.packaged import packager_text
    from consent._notice.prompts import WIDTH, first_run_text, question_text, wrap
    from consent._store.choices import record_choice, record_notice_shown
    from consent._store.fileio import HOST_LOCK_TIMEOUT
    from consent._store.paths import locations
    from consent._store.sources import read_config

    locs = locations(spec)
    width = _columns(WIDTH)
    # A new notice version: say what was added or removed since the one last seen.
    _err(changes_text(spec, read_config(locs).record, width))
    # What the installation's packager changed (docs/admin.md, "Debian-style packaging").
    packaged = packager_text(spec, decision)
    if packaged:
        _err("\n".join(wrap(packaged, width)) + "\n")
    if decision.pending == "notice":
        _err(first_run_text(spec, decision.endpoint, width=width) + "\n")
        # A host command never waits on a lock: if another process holds the config, the
        # notice is simply shown again next time (nothing is sent in this run either way).
        record_notice_shown(spec, locs, timeout=HOST_LOCK_TIMEOUT)
        return
    # Yes covers the purposes asked about: not those a packager's default keeps off.
    asked = tuple(p.purpose for p in decision.purposes if p.pending == "question")
    try:
        _err(question_text(spec, decision.endpoint, asked, width=width))
        try:
            line = read_answer()
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
        partly = allowed and set(asked) != set(spec.purpose_names)
        chosen = asked if partly else None
        record_choice(
            spec, locs, enabled=allowed, via="prompt", purposes=chosen, timeout=HOST_LOCK_TIMEOUT
        )
    except LockTimeoutError:
        _err(
            f"The answer could not be recorded now (the config is busy); {spec.name} asks again.\n"
        )
        return
    what = f" for {', '.join(asked)}" if partly else ""
    _err(
        f"Recorded: telemetry {'enabled' if allowed else 'disabled'}{what}. "
        f"Change it any time: {spec.commands} {'disable' if allowed else 'enable'}\n"
    )


def read_answer() -> str:
    """The person's line from stdin, as `sys.stdin.readline()`, except that a Ctrl-C is never
    lost. Python acts on a signal between bytecodes: one that lands after the last check and
    before `read()` blocks (a loaded machine can pause the process right there), or on another
    thread, would leave the read waiting for a line, the run hanging. The signal's wakeup fd
    receives a byte whenever a signal arrives, so waiting on it beside stdin ends that wait;
    Python then raises KeyboardInterrupt as `select` returns."""
    import os

    if os.name != "posix":  # select takes no console handle there
        return sys.stdin.readline()
    import select
    import signal

    try:
        stdin = sys.stdin.fileno()
    except (OSError, ValueError):  # a stream without a descriptor (a program's own stdin object)
        return sys.stdin.readline()
    wake_read, wake_write = os.pipe()
    try:
        os.set_blocking(wake_write, False)
        try:
            previous = signal.set_wakeup_fd(wake_write)
        except ValueError:  # not the main thread, where Python raises KeyboardInterrupt
            return sys.stdin.readline()
        try:
            while stdin not in select.select([stdin, wake_read], [], [])[0]:
                os.read(wake_read, 512)  # a signal whose handler returned: wait on
        finally:
            signal.set_wakeup_fd(previous)
    finally:
        os.close(wake_read)
        os.close(wake_write)
    return sys.stdin.readline()


def _columns(widest: int) -> int:
    """The terminal's width, at most `widest`: the first layer is written for 80 columns, and a
    narrower terminal gets lines that fit it rather than lines it breaks."""
    import os

    try:
        columns = os.get_terminal_size(sys.stderr.fileno()).columns
    except (AttributeError, ValueError, OSError):
        return widest
    return max(40, min(widest, columns)) if columns > 0 else widest


def _err(text: str) -> None:
    """To the terminal, escaped (the notice version and the names it lists come from the
    config file); nothing when the process started without a stderr."""
    from consent._cli.console import terminal_text

    if sys.stderr is not None:
        sys.stderr.write(terminal_text(text))
        sys.stderr.flush()
