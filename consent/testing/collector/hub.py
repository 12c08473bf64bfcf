"""State shared between the local collector and its request-handler threads."""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import threading
import time
from pathlib import Path
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
        *,
        dump: Path | None = None,
    ) -> None:
        self.behaviour = behaviour
        self.dump = dump  # a directory: each request's exact bytes go to a file of their own
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
            if self.dump is not None:
                received = received.replace(
                    dump_file=str(dump_request(self.dump, len(self.records) + 1, received))
                )
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


def dump_request(directory: Path, number: int, r: Received) -> Path:
    """Write the request's exact bytes (request line, headers, body, as read) to a file of its
    own, `0001-ga4.http`, … in order of arrival; whole or absent (written, then renamed)."""
    kind = f"{r.protocol}{'-debug' if r.debug else ''}"
    path = directory / f"{number:04d}-{kind}.http"
    part = directory / f".{path.name}.part"
    part.write_bytes(r.raw_request)
    os.replace(part, path)
    return path


def log_line(r: Received, status: str) -> str:
    when = time.strftime("%H:%M:%S", time.localtime(r.received_at))
    target = f"{r.path}?{r.query}" if r.query else r.path
    kind = f"{r.protocol}{' debug' if r.debug else ''}"
    verdict = "valid" if r.valid else "invalid: " + " | ".join(r.messages)
    dumped = f" > {r.dump_file}" if r.dump_file else ""
    return f"{when} {r.method} {target} -> {status} {kind} {verdict}{dumped}\n"
