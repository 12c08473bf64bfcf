"""pytest plugin for apps built on consent (entry point `consent`, loaded by pytest on its own).

Fixtures, all opt-in (a test gets one only by naming it):

- `consent_home`: an isolated home: XDG config, data, state, cache and system
  config dirs in a tmp dir, the file-backed test keyring (in this process and in
  subprocesses), and none of the machine's telemetry, CI or colour variables.
  `consent_home.env` is the environment for subprocesses.
- `consent_collector`: a local collector on 127.0.0.1 that validates hits like
  Google's servers and an OpenTelemetry collector's OTLP/HTTP receiver; point
  `<PREFIX>_TELEMETRY_ENDPOINT` at `consent_collector.url`. It keeps each request's exact
  bytes in a file of its own (`consent_collector.dumped()`), and
  `consent_collector.expect(SPEC)` checks each GA4 param against the app's registry.
- `consent_sockets`: proves no socket was opened, in this process
  (`with consent_sockets: ...`) and in subprocesses (`env=consent_sockets.env(...)`),
  then `consent_sockets.assert_no_sockets()`.
- `consent_strict` (or the marker `@pytest.mark.consent_strict`): strict mode. A refused
  event (undeclared event, key or value, or a command the event does not list) fails the
  test: `record_event` raises HitError in this process, and a refusal in a subprocess
  started with the test's environment fails the test when its body ends. A test that expects
  a refusal says so with `consent.testing.expect_refusal`.

While the plugin is loaded, building an AppSpec whose protocol is no longer processed (the
legacy protocol) warns with `LegacyProtocolWarning`; an app that keeps it on purpose filters it
(`filterwarnings = ["ignore::consent.testing.LegacyProtocolWarning"]`).

Every spec an app gives `install` as a lazy reference (`"package.module:NAME"`) is loaded after
each test that ran while it existed: a reference that cannot be loaded, or whose `name`,
`env_prefix` or group disagree with the spec, fails that test (a user's command never loads it
until it may send, show or ask).

This module is imported by pytest only, never by an app's command, and imports
little until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from consent.testing.home import Home, can_isolate
from consent.testing.sockets import SocketWatch

if TYPE_CHECKING:
    from consent._core.spec import AppSpec, WireProtocol
    from consent.testing.collector import Collector

__all__ = [
    "Home",
    "LegacyProtocolWarning",
    "SocketWatch",
    "Strict",
    "consent_collector",
    "consent_home",
    "consent_sockets",
    "consent_strict",
]

STRICT_MARKER = "consent_strict"


class LegacyProtocolWarning(UserWarning):
    """An AppSpec chose a protocol whose service no longer processes hits: Google stopped
    processing Universal Analytics (the legacy protocol) on 2023-07-01."""


def _warn_sunset(spec: AppSpec, protocol: WireProtocol) -> None:
    import warnings

    warnings.warn(
        LegacyProtocolWarning(
            f"{spec.name}: Destination({protocol.name!r}, …) sends the {protocol.title}. "
            f"{protocol.sunset}: its hits are received and dropped. Send to a protocol that is "
            'still processed, e.g. Destination("ga4", "G-…", api_secret="…")'
        ),
        stacklevel=_outside_consent(),
    )


def _outside_consent() -> int:
    """The stack level of the first frame outside the consent package: the line that built the
    spec, where the warning is useful."""
    import os
    import sys

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep
    level, frame = 1, sys._getframe(1)  # level 1: _warn_sunset, which calls warnings.warn
    while frame is not None and frame.f_code.co_filename.startswith(package):
        frame, level = frame.f_back, level + 1  # type: ignore[assignment]
    return level


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", f"{STRICT_MARKER}: fail the test on any event the consent registry refuses"
    )
    from consent._core import spec

    spec.sunset_warning = _warn_sunset
    if spec.UNCHECKED is None:
        spec.UNCHECKED = {}  # every spec built from now on is checked after the test that built it


def pytest_unconfigure(config: pytest.Config) -> None:
    from consent._core import spec

    if spec.sunset_warning is _warn_sunset:
        spec.sunset_warning = None
    spec.UNCHECKED = None


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixturenames = getattr(item, "fixturenames", None)
        if (
            item.get_closest_marker(STRICT_MARKER) is not None
            and isinstance(fixturenames, list)
            and STRICT_MARKER not in fixturenames
        ):
            fixturenames.append(STRICT_MARKER)


class Strict:
    """The refusals seen in strict mode: this process and every subprocess given the env."""

    def __init__(self, log: Path) -> None:
        self.log = log

    def refusals(self) -> list[dict[str, str]]:
        import json

        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text("utf-8").splitlines() if line]

    def check(self) -> None:
        """Fail the test if anything was refused."""
        seen = self.refusals()
        if seen:
            lines = "\n".join(
                f"  {r['app']}: event {r['event']!r}"
                + (f", field {r['field']!r}" if r.get("field") else "")
                + f": {r['reason']}"
                for r in seen
            )
            pytest.fail(f"consent strict mode: {len(seen)} event(s) refused:\n{lines}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Iterator[None]:
    outcome = yield
    strict: Strict | None = getattr(item, "_consent_strict", None)
    if strict is not None:
        strict.check()
    check_references()
    check_specs()
    return outcome


def check_references() -> None:
    """Load every lazy spec reference not loaded yet; fail the test on the first that cannot be
    (each is reported once)."""
    from consent._core.reference import spec_of
    from consent._errors import ConsentError
    from consent._start import REFS

    for ref in list(REFS):
        if ref.loaded:
            continue
        try:
            spec_of(ref)
        except ConsentError as exc:
            REFS.remove(ref)
            pytest.fail(f"consent: the spec given to install() as a reference: {exc}")


def check_specs() -> None:
    """Check every spec built and not checked yet (building one checks nothing: see
    consent/_core/spec.py `AppSpec.check`); fail the test on the first that is bad. A spec a test
    checked itself (`spec.check()`, e.g. inside `pytest.raises`) is the test's business."""
    from consent._core import spec
    from consent._errors import SpecError

    pending = spec.UNCHECKED
    if not pending:
        return
    built = list(pending.values())
    pending.clear()
    for one in built:
        try:
            one.check()
        except SpecError as exc:
            pytest.fail(f"consent: a spec built in this test is invalid: {exc}")


@pytest.fixture
def consent_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Home]:
    """An isolated home for one test; os.environ is switched to it for the test's duration."""
    if not can_isolate():
        pytest.skip("consent_home needs an XDG platform (Linux, BSD) to redirect every path")
    import os

    home = Home.create(tmp_path / "home", os.environ)
    for name in list(os.environ):
        if name not in home.env:
            monkeypatch.delenv(name)
    for name, value in home.env.items():
        monkeypatch.setenv(name, value)
    # keyring caches its backend on first use, so the environment alone may come too late.
    import keyring.core

    from consent.testing.keyring import FileKeyring

    backend = FileKeyring()  # type: ignore[no-untyped-call]  # keyring is untyped
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    # A command's run ends with the command, but an argparse program's `run(parser, args)` lasts
    # until its program ends: each test starts with none, as a new process would.
    from consent.testing.runs import outside_any_run

    with outside_any_run():
        yield home


@pytest.fixture
def consent_collector(tmp_path: Path) -> Iterator[Collector]:
    """A started local collector (behaviour `ok`); see consent.testing.collector for the others.
    Each request's exact bytes are also in a file of their own (`dumped()`, under `dump_dir`),
    to compare with `show-payload`; `expect(SPEC)` checks each GA4 param against the registry."""
    from consent.testing.collector import Collector

    with Collector(dump=tmp_path / "consent-collector") as collector:
        yield collector


@pytest.fixture
def consent_sockets(tmp_path: Path) -> SocketWatch:
    """A watch for socket and spawn events; children log to a file in tmp_path."""
    return SocketWatch(tmp_path / "consent-socket-audit.jsonl")


@pytest.fixture
def consent_strict(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Strict:
    """Strict mode for one test: every refused event fails it (see the module docstring)."""
    from consent._start import STRICT_ENV

    strict = Strict(tmp_path / "consent-strict.jsonl")
    monkeypatch.setenv(STRICT_ENV, str(strict.log))
    if "consent_home" in request.fixturenames:
        home: Home = request.getfixturevalue("consent_home")
        home.env[STRICT_ENV] = str(strict.log)
    request.node._consent_strict = strict
    return strict
