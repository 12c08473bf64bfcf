"""Run one command as a whole process and measure it, including what it leaves behind.

How (Linux):
- The harness makes itself a *child subreaper* (``prctl(PR_SET_CHILD_SUBREAPER)``), so every
  process the command leaves running — even a double-forked or ``setsid`` one — is re-parented
  to us when its parent exits. We reap each one with ``wait4`` and so learn exactly when the last
  of them died and how much memory it used, without any help from the command.
- The command is started with ``posix_spawn`` in its own process group, stdin on /dev/null and
  stdout+stderr on one pipe that we drain. "Output closed" is when every holder of that pipe
  has closed it: what ``$(cmd)`` or ``cmd | tee`` would wait for.
- SIGCHLD wakes a ``select`` through ``signal.set_wakeup_fd``, so exits are seen within
  microseconds without polling.
- Every run has a hard deadline; at it the whole tree is killed and the run marked timed out.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import signal
import sys
import time
from dataclasses import dataclass

PR_SET_CHILD_SUBREAPER = 36
KILL_GRACE_S = 5.0  # after the deadline: how long we go on reaping what we killed
TAIL_BYTES = 4096


@dataclass
class RunResult:
    wall_s: float | None  # spawn -> the command's own process exited; None if killed
    tree_s: float | None  # spawn -> the last process it started exited; None if killed
    output_closed_s: float | None  # spawn -> stdout/stderr pipe closed by all holders
    timed_out: bool
    exit_code: int | None  # negative: killed by that signal; None: never exited by itself
    maxrss_kb: int  # peak RSS of the command's own process
    bg_maxrss_kb: int  # peak RSS of the largest process left behind (0 if none)
    background: int  # how many processes outlived the command and were reaped by us
    output_tail: bytes  # the last bytes of stdout+stderr, for error notes


def _set_subreaper() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    libc = ctypes.CDLL(None, use_errno=True)
    return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)


def _our_children() -> list[int]:
    """PIDs whose parent is this process (orphans re-parented to us included)."""
    me = os.getpid()
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                stat = fh.read()
        except OSError:
            continue
        # Field 4 is the ppid; the command name (field 2) may hold spaces, so split after ")".
        fields = stat.rsplit(b")", 1)[-1].split()
        if len(fields) > 1 and int(fields[1]) == me:
            found.append(int(entry))
    return found


class Runner:
    """Measures commands one at a time. Create once, in the main thread, before any sink runs
    a subprocess of its own (none do); nothing else in the harness may wait for children while
    a Runner is in use, since it reaps *every* child."""

    def __init__(self) -> None:
        self.subreaper = _set_subreaper()
        self._wake_r, self._wake_w = os.pipe()
        os.set_blocking(self._wake_w, False)
        os.set_blocking(self._wake_r, False)
        signal.signal(signal.SIGCHLD, lambda signum, frame: None)
        signal.set_wakeup_fd(self._wake_w, warn_on_full_buffer=False)

    def close(self) -> None:
        signal.set_wakeup_fd(-1)
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        os.close(self._wake_r)
        os.close(self._wake_w)

    def run(self, argv: list[str], env: dict[str, str], timeout_s: float) -> RunResult:
        out_r, out_w = os.pipe()
        devnull = os.open(os.devnull, os.O_RDONLY)
        actions = [
            (os.POSIX_SPAWN_DUP2, devnull, 0),
            (os.POSIX_SPAWN_DUP2, out_w, 1),
            (os.POSIX_SPAWN_DUP2, out_w, 2),
        ]
        self._drain_wake()
        start = time.perf_counter()
        try:
            pid = os.posix_spawn(
                argv[0],
                argv,
                env,
                file_actions=actions,
                setpgroup=0,
                # Python ignores SIGPIPE/SIGXFSZ; give the command the defaults a shell would.
                setsigdef=(signal.SIGPIPE, signal.SIGXFSZ),
            )
        finally:
            os.close(out_w)
            os.close(devnull)
        deadline = start + timeout_s
        hard_end = deadline + KILL_GRACE_S
        wall = tree = closed = None
        exit_code: int | None = None
        maxrss = bg_maxrss = background = 0
        main_done = timed_out = no_children = False
        pipe_open = True
        tail = b""
        try:
            while True:
                # Reap everything that has exited: the command itself and any re-parented orphan.
                while True:
                    try:
                        got, status, usage = os.wait4(-1, os.WNOHANG)
                    except ChildProcessError:
                        no_children = True
                        break
                    if got == 0:
                        break
                    if got == pid:
                        main_done = True
                        maxrss = usage.ru_maxrss
                        if not timed_out:
                            wall = time.perf_counter() - start
                            exit_code = os.waitstatus_to_exitcode(status)
                    else:
                        background += 1
                        bg_maxrss = max(bg_maxrss, usage.ru_maxrss)
                now = time.perf_counter()
                if main_done and no_children:
                    if tree is None and not timed_out:
                        tree = now - start
                    if not pipe_open or timed_out:
                        break
                if now >= deadline:
                    if now >= hard_end:
                        break
                    timed_out = True
                    self._kill_tree(pid, main_done)
                    # Look again soon: orphans surface (and get killed) as their parents die.
                    deadline = min(now + 0.05, hard_end)
                fds = [self._wake_r] + ([out_r] if pipe_open else [])
                ready, _, _ = select.select(fds, [], [], max(0.0, deadline - now))
                if self._wake_r in ready:
                    self._drain_wake()
                if out_r in ready:
                    data = os.read(out_r, 65536)
                    if data:
                        tail = (tail + data)[-TAIL_BYTES:]
                    else:
                        pipe_open = False
                        if not timed_out:
                            closed = time.perf_counter() - start
        finally:
            os.close(out_r)
        return RunResult(
            wall_s=wall,
            tree_s=tree,
            output_closed_s=closed,
            timed_out=timed_out,
            exit_code=exit_code,
            maxrss_kb=maxrss,
            bg_maxrss_kb=bg_maxrss,
            background=background,
            output_tail=tail,
        )

    def _kill_tree(self, pid: int, main_done: bool) -> None:
        if not main_done:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
        for child in _our_children():
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(child, signal.SIGKILL)

    def _drain_wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while os.read(self._wake_r, 4096):
                pass
