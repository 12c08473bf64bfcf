"""Run a command with stdin and stderr on a real pseudo-terminal (stdout on a pipe)."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

CTRL_C = "\x03"
CTRL_D = "\x04"


@dataclass
class PtyResult:
    returncode: int
    stdout: str
    terminal: str  # what the program wrote to the terminal (stderr), with the echo of our input


def run_in_pty(
    argv: Sequence[str], env: Mapping[str, str], answer: str | None = None, timeout: float = 30.0
) -> PtyResult:
    """Run `argv` attached to a pty; type `answer` (plus Enter) once the program waits for it.

    Two answers are keys rather than text: CTRL_C interrupts the program as the terminal's
    Ctrl-C does (SIGINT), CTRL_D ends its input (the terminal's end-of-file, no Enter).
    """
    master, slave = os.openpty()
    proc = subprocess.Popen(
        list(argv), stdin=slave, stdout=subprocess.PIPE, stderr=slave, env=dict(env),
        start_new_session=True,
    )  # fmt: skip
    os.close(slave)
    screen = b""
    answered = answer is None
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.1)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:  # EIO: the program closed the terminal
                    break
                if not chunk:
                    break
                screen += chunk
                if not answered and b"[y/N]" in screen:
                    if answer == CTRL_C:
                        # The child has no controlling terminal (its own session), so the
                        # signal the terminal would send on Ctrl-C is sent directly.
                        os.kill(proc.pid, signal.SIGINT)
                    elif answer == CTRL_D:
                        os.write(master, CTRL_D.encode())
                    else:
                        os.write(master, (answer or "").encode() + b"\n")
                    answered = True
            elif proc.poll() is not None:
                break
        out, _ = proc.communicate(timeout=max(1.0, deadline - time.monotonic()))
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return PtyResult(
        proc.returncode, out.decode(), screen.decode(errors="replace").replace("\r\n", "\n")
    )
