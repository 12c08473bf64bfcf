"""Ctrl-C at the opt-in question always ends the wait for an answer (consent/_cli/firstrun.py).

Python acts on a signal between bytecodes, so a SIGINT that is noted but does not interrupt the
`read()` that waits for the person's line (it landed just before the read began, or on another
thread) used to leave the run hanging until a line came. The class is made certain here: the
main thread blocks SIGINT, so the kernel hands it to an idle thread, and the main thread's wait
is never interrupted by the signal itself. The e2e form of the same promise, on a real terminal,
is tests/e2e/test_first_run_every_path.py.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.helpers import PROCESS_TIMEOUT, ROOT

CHILD = """
import signal, threading
from consent._cli.firstrun import read_answer

idle = threading.Event()
threading.Thread(target=idle.wait, daemon=True).start()  # created before the mask: takes SIGINT
signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
print("waiting", flush=True)
try:
    read_answer()
except KeyboardInterrupt:
    print("interrupted")
else:
    print("read a line")
"""


def blocked_in_the_kernel(pid: int) -> None:
    """Wait until the main thread of `pid` sleeps (in its wait for stdin), so that the signal
    arrives during the wait, not before it; bounded. Without /proc, the signal may arrive
    earlier, which the test accepts too."""
    stat = Path(f"/proc/{pid}/task/{pid}/stat")
    deadline = time.monotonic() + PROCESS_TIMEOUT
    while stat.exists() and time.monotonic() < deadline:
        if stat.read_text().rpartition(")")[2].split()[0] == "S":
            return
        time.sleep(0.005)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX signals")
def test_a_sigint_the_read_never_sees_still_ends_the_wait() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        stdin=subprocess.PIPE,  # open, and never written: no line ever comes
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline() == "waiting\n"
        blocked_in_the_kernel(proc.pid)
        proc.send_signal(2)  # SIGINT
        # Not communicate(): closing stdin would end the read and hide a lost signal.
        proc.wait(timeout=PROCESS_TIMEOUT)
        assert proc.stdout.read() == "interrupted\n"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pipe in (proc.stdin, proc.stdout):
            if pipe is not None:
                pipe.close()
