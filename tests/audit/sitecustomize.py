"""Loaded via PYTHONPATH into every Python process of a test: an audit hook that records
(or refuses) network connections and process spawns, so a test can prove zero of each."""

import json
import os
import sys

_LOG = os.environ.get("CONSENT_AUDIT_LOG")
_REFUSE = os.environ.get("CONSENT_AUDIT_REFUSE_NETWORK") == "1"
_NETWORK = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto"}
_SPAWN = {"subprocess.Popen", "os.posix_spawn", "os.fork", "os.exec", "os.system", "os.spawn"}


def _hook(event: str, args: tuple) -> None:
    if event not in _NETWORK and event not in _SPAWN:
        return
    if _LOG:
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(
                json.dumps({"pid": os.getpid(), "event": event, "args": repr(args)[:300]}) + "\n"
            )
    if _REFUSE and event in _NETWORK:
        raise PermissionError(f"test audit hook: {event} refused")


if _LOG or _REFUSE:
    sys.addaudithook(_hook)
