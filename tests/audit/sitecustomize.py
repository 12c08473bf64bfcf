"""Loaded via PYTHONPATH into every Python process of a test: an audit hook that records
(or refuses) network connections and process spawns, so a test can prove zero of each.

Network events also record the host they name, so a test can tell loopback from anything
else. With CONSENT_FAULT_NO_PASSWD=1 the process also behaves as a user without a passwd
entry (a container started with an arbitrary uid): `pwd.getpwuid` raises as it would there.
"""

import json
import os
import sys

_LOG = os.environ.get("CONSENT_AUDIT_LOG")
_REFUSE = os.environ.get("CONSENT_AUDIT_REFUSE_NETWORK") == "1"
_NETWORK = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname", "socket.sendto"}
_SPAWN = {"subprocess.Popen", "os.posix_spawn", "os.fork", "os.exec", "os.system", "os.spawn"}


def _host(event: str, args: tuple) -> str:
    """The host a network event names: connect/sendto carry an address, lookups a name."""
    try:
        if event in ("socket.connect", "socket.sendto"):
            address = args[-1]
            return str(address[0]) if isinstance(address, tuple) else str(address)
        return str(args[0])
    except (IndexError, TypeError):
        return "?"


def _hook(event: str, args: tuple) -> None:
    if event not in _NETWORK and event not in _SPAWN:
        return
    if _LOG:
        record = {"pid": os.getpid(), "event": event, "args": repr(args)[:300]}
        if event in _NETWORK:
            record["host"] = _host(event, args)
        with open(_LOG, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(record) + "\n")
    if _REFUSE and event in _NETWORK:
        raise PermissionError(f"test audit hook: {event} refused")


if _LOG or _REFUSE:
    sys.addaudithook(_hook)

if os.environ.get("CONSENT_FAULT_NO_PASSWD") == "1":
    import pwd

    def _no_entry(uid: int) -> "pwd.struct_passwd":
        raise KeyError(f"getpwuid(): uid not found: {uid}")

    pwd.getpwuid = _no_entry
