"""An audit hook for every Python process of a test, loaded by putting this directory on PYTHONPATH.

With CONSENT_AUDIT_LOG set it appends one JSON line per socket or process
event to that file, so a test can prove there were none; with
CONSENT_AUDIT_REFUSE_NETWORK=1 it also refuses every socket operation. Children
inherit the environment, so a detached sender is audited too. Stdlib only: it
runs before anything else in the process. `consent.netaudit` reads the log.
"""

from __future__ import annotations

import json
import os
import sys

LOG_ENV = "CONSENT_AUDIT_LOG"
REFUSE_ENV = "CONSENT_AUDIT_REFUSE_NETWORK"
# socket.__new__ is any socket at all; the rest are what a socket, or a name lookup, is used for.
NETWORK = frozenset(
    {
        "socket.__new__",
        "socket.bind",
        "socket.connect",
        "socket.getaddrinfo",
        "socket.gethostbyname",
        "socket.gethostbyaddr",
        "socket.sendto",
        "socket.sendmsg",
    }
)
SPAWN = frozenset(
    {"subprocess.Popen", "os.posix_spawn", "os.fork", "os.exec", "os.system", "os.spawn"}
)


def _hook(log: str | None, refuse: bool) -> object:
    def hook(event: str, args: tuple[object, ...]) -> None:
        if event not in NETWORK and event not in SPAWN:
            return
        if log:
            line = {"pid": os.getpid(), "event": event, "args": repr(args)[:300]}
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(line) + "\n")
        if refuse and event in NETWORK:
            raise PermissionError(f"test audit hook: {event} refused")

    return hook


# Only as the interpreter's own sitecustomize: importing this module for its constants adds nothing.
if __name__ == "sitecustomize":
    _log = os.environ.get(LOG_ENV)
    _refuse = os.environ.get(REFUSE_ENV) == "1"
    if _log or _refuse:
        sys.addaudithook(_hook(_log, _refuse))  # type: ignore[arg-type]
