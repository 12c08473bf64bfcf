"""Proving that no socket was opened: in this process, and in every subprocess a test starts.

In this process one audit hook is added the first time it is needed (audit
hooks cannot be removed) and records only while a `SocketWatch` is entered.
Subprocesses get the hook from `consent/testing/_audit/sitecustomize.py` through
PYTHONPATH (`SocketWatch.env`) and log to a file. Both count socket creation,
binds, connects, sends and name lookups, and process spawns: a spawned child may
open its socket after the test looked.
"""

from __future__ import annotations

import json
import os
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

from consent.testing._audit.sitecustomize import LOG_ENV, NETWORK, REFUSE_ENV, SPAWN

AUDIT_DIR = Path(__file__).resolve().parent / "_audit"

Event = dict[str, object]

_active: list[SocketWatch] = []
_hook_lock = threading.Lock()
_hook_added = threading.Event()


def _dispatch(event: str, args: tuple[object, ...]) -> None:
    # Called for every audit event of the process for its remaining life: cheap when idle.
    if not _active or (event not in NETWORK and event not in SPAWN):
        return
    record: Event = {"pid": os.getpid(), "event": event, "args": repr(args)[:300]}
    for watch in list(_active):
        watch._seen.append(record)


def _ensure_hook() -> None:
    with _hook_lock:
        if not _hook_added.is_set():
            sys.addaudithook(_dispatch)
            _hook_added.set()


class SocketWatch:
    """Records socket and spawn events: `with watch:` in this process, `watch.env()` in children."""

    def __init__(self, log: Path) -> None:
        self.log = log
        self._seen: list[Event] = []

    def __enter__(self) -> SocketWatch:
        _ensure_hook()
        _active.append(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        _active.remove(self)

    def env(
        self, base: Mapping[str, str] | None = None, *, refuse: bool | str = False
    ) -> dict[str, str]:
        """`base` (default: os.environ) plus what loads the audit hook into every Python child.

        With `refuse=True` the children's socket operations also fail with PermissionError; with
        `refuse="remote"` only those that name a host beyond loopback do.
        """
        env = dict(os.environ if base is None else base)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(AUDIT_DIR), env.get("PYTHONPATH")]))
        env[LOG_ENV] = str(self.log)
        if refuse:
            env[REFUSE_ENV] = "remote" if refuse == "remote" else "1"
        return env

    def events(self) -> list[Event]:
        """Every event seen so far: this process's first, then the children's, in order."""
        children: list[Event] = []
        if self.log.exists():
            children = [json.loads(line) for line in self.log.read_text("utf-8").splitlines()]
        return [*self._seen, *children]

    def network(self) -> list[Event]:
        return [e for e in self.events() if e["event"] in NETWORK]

    def spawns(self) -> list[Event]:
        return [e for e in self.events() if e["event"] in SPAWN]

    def assert_no_sockets(self, *, allow_spawns: bool = False) -> None:
        """Fail unless no socket was opened (and, unless allowed, no process was spawned)."""
        bad = self.events() if not allow_spawns else self.network()
        if bad:
            lines = "\n".join(f"  pid {e['pid']}: {e['event']} {e['args']}" for e in bad)
            raise AssertionError(f"expected no socket (or spawn) events, saw {len(bad)}:\n{lines}")
