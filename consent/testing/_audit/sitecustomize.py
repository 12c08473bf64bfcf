"""An audit hook for every Python process of a test, loaded by putting this directory on PYTHONPATH.

With CONSENT_AUDIT_LOG set it appends one JSON line per socket or process
event to that file, so a test can prove there were none; with
CONSENT_AUDIT_REFUSE_NETWORK=1 it also refuses every socket operation (with `remote`, every one
that names a host other than a loopback address: a test may then use a local server and still
be sure that nothing leaves); with
CONSENT_FAULT_NO_PASSWD=1, `pwd.getpwuid` raises as for a uid without a passwd entry. Children
inherit the environment, so a detached sender is audited too. Stdlib only: it
runs before anything else in the process. `consent.testing.sockets` reads the log.
"""

from __future__ import annotations

import json
import os
import sys

LOG_ENV = "CONSENT_AUDIT_LOG"
REFUSE_ENV = "CONSENT_AUDIT_REFUSE_NETWORK"
NO_PASSWD_ENV = "CONSENT_FAULT_NO_PASSWD"  # noqa: S105 - a variable name, not a secret
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


def _host(event: str, args: tuple[object, ...]) -> str:
    """The host a network event names: connect/sendto carry an address, lookups a name."""
    try:
        if event in ("socket.connect", "socket.sendto", "socket.bind"):
            address = args[-1]
            return str(address[0]) if isinstance(address, tuple) else str(address)
        if event == "socket.__new__":
            return ""
        return str(args[0])
    except (IndexError, TypeError):
        return "?"


def is_remote(host: str) -> bool:
    """Does `host` (an address or a name) lie beyond this machine? "" (no host yet) and a Unix
    socket's path do not, nor any spelling the resolver reads as a loopback address without
    asking DNS (`0177.0.0.1`, `2130706433`, `::ffff:7f00:1`)."""
    local = host in ("", "localhost") or host.startswith(("/", "\x00"))
    return not (local or _loopback_address(host))


def _loopback_address(host: str) -> bool:
    import socket  # loaded already: only a socket event gets here

    try:
        return socket.inet_aton(host)[0] == 127  # every IPv4 form getaddrinfo accepts
    except (OSError, ValueError):
        pass
    try:
        packed = socket.inet_pton(socket.AF_INET6, host.partition("%")[0])
    except (OSError, ValueError):
        return False
    mapped = packed[:12] == bytes(10) + b"\xff\xff" and packed[12] == 127
    return mapped or packed == bytes(15) + b"\x01"


def _hook(log: str | None, refuse: str) -> object:
    def hook(event: str, args: tuple[object, ...]) -> None:
        if event not in NETWORK and event not in SPAWN:
            return
        host = _host(event, args) if event in NETWORK else ""
        if log:
            line = {"pid": os.getpid(), "event": event, "args": repr(args)[:300]}
            if event in NETWORK:
                line["host"] = host
            with open(log, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(line) + "\n")
        if event in NETWORK and (refuse == "1" or (refuse == "remote" and is_remote(host))):
            raise PermissionError(f"test audit hook: {event} refused")

    return hook


# Only as the interpreter's own sitecustomize: importing this module for its constants adds nothing.
if __name__ == "sitecustomize":
    _log = os.environ.get(LOG_ENV)
    _refuse = os.environ.get(REFUSE_ENV, "")
    _refuse = _refuse if _refuse in ("1", "remote") else ""
    if _log or _refuse:
        sys.addaudithook(_hook(_log, _refuse))  # type: ignore[arg-type]
    # Behave as a user without a passwd entry (a container started with an arbitrary uid).
    if os.environ.get(NO_PASSWD_ENV) == "1":
        import pwd

        def _no_entry(uid: int) -> pwd.struct_passwd:
            raise KeyError(f"getpwuid(): uid not found: {uid}")

        pwd.getpwuid = _no_entry
