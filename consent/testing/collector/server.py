"""A local collector that behaves like Google's collection and validation servers.

For tests (ours and those of host apps) and benchmarks; stdlib only, loopback by default::

    with Collector() as collector:
        send_something(collector.url + "/mp/collect?measurement_id=G-X&api_secret=s")
        [hit] = collector.wait_for(1, timeout=2.0)
        assert hit.valid, hit.messages

`python -m consent.testing.collector --behaviour blackhole` runs one in the foreground;
`--dump DIR` writes each request's exact bytes to a file of its own there (`0001-ga4.http`, …),
to compare with `<app> telemetry show-payload` (`cmp`); `--expect module:SPEC` checks each GA4
param against an app's registry. The rules are in consent.testing.collector.ua and
consent.testing.collector.ga4.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import socket
import ssl
import sys
import threading
import time
from pathlib import Path
from types import FrameType, TracebackType
from typing import TYPE_CHECKING, TextIO

from consent.testing.collector.http import BEHAVIOURS, Handler, Server, Server6
from consent.testing.collector.hub import Hub
from consent.testing.collector.routes import Received, Settings

if TYPE_CHECKING:
    from consent._core.spec import AppSpec, Field

__all__ = ["BEHAVIOURS", "Collector", "Received", "main", "refused_url"]

CLOSE_JOIN_SECONDS = 1.0


def _base_url(scheme: str, host: str, port: int) -> str:
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def refused_url(host: str = "127.0.0.1") -> str:
    """A URL where nothing listens: a port that was just bound and released again."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port = int(sock.getsockname()[1])
    return _base_url("http", host, port)


class Collector:
    """An HTTP(S) collector in a daemon thread; use it as a context manager.

    `behaviour` is one of BEHAVIOURS: `ok` answers like Google; `blackhole` reads the request and
    never answers nor closes; `http500` answers 500; `garbage` answers bytes that are not HTTP;
    `trickle` answers 200 but sends the body one byte every `trickle_interval` seconds; `endless`
    answers 200 with a body that never ends. Every request that was read is recorded with its
    verdict, whatever the behaviour; `GET /__hits` lists them as JSON. With `dump`, a directory,
    each request's exact bytes also go to a file of their own there (`Received.dump_file`,
    `dumped()`). With `spec` (or `expect(spec)`), each GA4 param is checked against that app's
    registry: declared, and an integer field's value a JSON number.
    """

    def __init__(
        self,
        *,
        behaviour: str = "ok",
        host: str = "127.0.0.1",
        port: int = 0,
        tls: ssl.SSLContext | None = None,
        ga360: bool = False,
        reserved_event_names: frozenset[str] | None = None,
        trickle_interval: float = 0.5,
        log: TextIO | None = None,
        dump: str | Path | None = None,
        spec: AppSpec | None = None,
    ) -> None:
        if behaviour not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {behaviour!r}; expected one of {BEHAVIOURS}")
        self.behaviour = behaviour
        self._host = host
        self._port = port
        self._scheme = "https" if tls is not None else "http"
        settings = Settings(ga360, reserved_event_names)
        folder = None if dump is None else Path(dump)
        if folder is not None:
            folder.mkdir(parents=True, exist_ok=True)
        self._hub = Hub(behaviour, settings, tls, trickle_interval, log, dump=folder)
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        if spec is not None:
            self.expect(spec)

    def expect(self, spec: AppSpec) -> Collector:
        """From now on, check each GA4 param against `spec`'s registry: a param it does not
        declare, or a value of another type than declared (an integer field's value sent as
        text, say), makes the hit invalid. Returns the collector."""
        declared = tuple(
            (f.wire, "integer" if _integer(f) else "string")
            for f in spec.fields
            if f.kind not in ("client_id", "hit_type")
        )
        self._hub.settings = self._hub.settings.replace(declared=declared)
        return self

    @property
    def dump_dir(self) -> Path | None:
        """Where each request's exact bytes go, if this collector dumps them."""
        return self._hub.dump

    def dumped(self) -> list[Path]:
        """The files written so far, one per request, oldest first."""
        return [Path(r.dump_file) for r in self.received() if r.dump_file]

    @property
    def url(self) -> str:
        """Base URL, e.g. `http://127.0.0.1:41234`; available once started."""
        if self._server is None:
            raise RuntimeError("the collector is not started")
        return _base_url(self._scheme, self._host, self._server.server_port)

    def start(self) -> Collector:
        if self._server is not None:
            raise RuntimeError("the collector was already started")
        server_class = Server6 if ":" in self._host else Server
        server = server_class((self._host, self._port), Handler)
        server.hub = self._hub
        self._server = server
        # A short poll interval keeps shutdown() fast.
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"collector-{server.server_port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop serving and release every connection; returns within about a second."""
        server, thread = self._server, self._thread
        if server is None or thread is None or self._hub.stopping.is_set():
            return
        self._hub.stopping.set()  # wakes blackhole, trickle and endless handlers
        server.shutdown()
        server.server_close()
        self._hub.wake_all()  # unblocks handlers waiting on a client
        deadline = time.monotonic() + CLOSE_JOIN_SECONDS
        with self._hub.changed:
            workers = [*self._hub.threads, thread]
        for worker in workers:
            worker.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> Collector:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def received(self) -> list[Received]:
        """Every recorded request, oldest first (the inspection route is not recorded)."""
        return self._hub.snapshot()

    def hits(self) -> list[Received]:
        """Requests to the production hit endpoints (`/collect`, `/batch`, `/mp/collect`)."""
        return [r for r in self.received() if r.protocol != "unknown" and not r.debug]

    def wait_for(self, count: int, timeout: float) -> list[Received]:
        """Wait until at least `count` requests are recorded or `timeout` passes; all records."""
        with self._hub.changed:
            self._hub.changed.wait_for(lambda: len(self._hub.records) >= count, timeout)
            return list(self._hub.records)


def _integer(f: Field) -> bool:
    """Does the field carry an integer: an int constant, or a range of runtime values?"""
    return type(f.value) is int or isinstance(f.allowed, range)


def _load_spec(reference: str) -> AppSpec:
    module, _, name = reference.partition(":")
    spec: AppSpec = getattr(importlib.import_module(module), name or "SPEC")
    return spec


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m consent.testing.collector", description="Run a local GA-like collector."
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--behaviour", choices=BEHAVIOURS, default="ok")
    parser.add_argument("--ga360", action="store_true", help="500-character param values")
    parser.add_argument("--trickle-interval", type=float, default=0.5, metavar="SECONDS")
    parser.add_argument(
        "--dump",
        metavar="DIR",
        help="write each request's exact bytes to a file of its own in DIR (0001-ga4.http, …)",
    )
    parser.add_argument(
        "--expect",
        metavar="MODULE:NAME",
        help="check each GA4 param against this AppSpec (e.g. acme_cli.telemetry:SPEC)",
    )
    args = parser.parse_args(argv)
    done = threading.Event()

    def stop(signum: int, frame: FrameType | None) -> None:
        done.set()

    signal.signal(signal.SIGTERM, stop)
    collector = Collector(
        behaviour=args.behaviour,
        host=args.host,
        port=args.port,
        ga360=args.ga360,
        trickle_interval=args.trickle_interval,
        log=sys.stderr,
        dump=args.dump,
        spec=_load_spec(args.expect) if args.expect else None,
    )
    with collector:
        print(collector.url, flush=True)
        try:
            while not done.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
    return 0
