"""The host never waits on a lock (issue 12, class 8): a first interactive run whose config is
locked by another process shows the notice and ends at once, without recording it."""

from __future__ import annotations

import fcntl
import os
import sys
import time

from consent._notice.prompts import first_run_text
from lumogon import SPEC
from tests.helpers import Iso, run_in_pty

LUMOGON = [sys.executable, "-m", "lumogon"]


def test_a_held_config_lock_does_not_delay_the_first_run(iso: Iso) -> None:
    lock = iso.config.parent / f".{iso.config.name}.lock"
    lock.parent.mkdir(parents=True)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)  # another process, stuck mid-write
    try:
        start = time.monotonic()
        first = run_in_pty([*LUMOGON, "version"], iso.env)
        took = time.monotonic() - start
    finally:
        os.close(fd)
    assert first.returncode == 0 and first.stdout == "lumogon 0.1.0\n"
    assert first_run_text(SPEC).splitlines()[0] in first.terminal
    assert "Traceback" not in first.terminal
    # The lock wait is 50 ms; the rest is start-up. The old wait was 10 s.
    assert took < 5.0, f"the first run took {took:.1f} s with the config locked"
    assert not iso.config.exists()  # not recorded: the notice comes again next time
