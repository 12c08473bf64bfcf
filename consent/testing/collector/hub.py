"""State shared between the local collector and its request-handler threads."""

from __future__ import annotations

import contextlib
import socket
import ssl
import threading
import time
from typing import TextIO

from consent.testing.collector.routes import Received, Settings

MAX_HOLD = 600.0  # blackhole/trickle/endless give up after this even if never closed


class Hub:
    """State shared by the collector and its handler threads."""

    def __init__(
        self,
        behaviour: str,
        settings: Settings,
        tls: ssl.SSLContext | None,
        trickle_interval: float,
        log: TextIO | None,
    ) -> None:
        self.behaviour = behaviour
        self.settings = settings
        self.tls = tls
        self.trickle_interval = trickle_interval
        self.log = log
        self.stopping = threading.Event()
        self.changed = threading.Condition()
        self.records: list[Received] = []
        self.connections: set[socket.socket] = set()
        self.threads: set[threading.Thread] = set()

    def record(self, received: Received, status: str) -> None:
        with self.changed:
            self.records.append(received)
            self.changed.notify_all()
            if self.log is not None:
                self.log.write(log_line(received, status))
                self.log.flush()

    def snapshot(self) -> list[Received]:
        with self.changed:
            return list(self.records)

    def track(self, sock: socket.socket, add: bool) -> None:
        with self.changed:
            if add:
                self.connections.add(sock)
            else:
                self.connections.discard(sock)

    def wake_all(self) -> None:
        """Shut down every open connection so that its handler thread stops blocking."""
        with self.changed:
            connections = list(self.connections)
        for sock in connections:
            with contextlib.suppress(OSError):  # already closed by the peer or its handler
                sock.shutdown(socket.SHUT_RDWR)

    def hold(self) -> None:
        self.stopping.wait(MAX_HOLD)


def log_line(r: Received, status: str) -> str:
    when = time.strftime("%H:%M:%S", time.localtime(r.received_at))
    target = f"{r.path}?{r.query}" if r.query else r.path
    kind = f"{r.protocol}{' debug' if r.debug else ''}"
    verdict = "valid" if r.valid else "invalid: " + " | ".join(r.messages)
    return f"{when} {r.method} {target} -> {status} {kind} {verdict}\n"
