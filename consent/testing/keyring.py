"""Real keyring backends for tests, selected through keyring's own API.

Set `PYTHON_KEYRING_BACKEND=consent.testing.keyring.FileKeyring` (and optionally
`CONSENT_TEST_KEYRING=/path/to/file.json`) and keyring itself loads this backend:
no patched functions. The faulty variants raise where a real keyring can.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, KeyringLocked, PasswordDeleteError

ENV = "CONSENT_TEST_KEYRING"


def _store_path() -> Path:
    explicit = os.environ.get(ENV)
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "consent-test-keyring.json"


class FileKeyring(KeyringBackend):
    """A keyring kept in a JSON file: real storage, inspectable by tests."""

    priority = 1

    def _load(self) -> dict[str, str]:
        try:
            data = json.loads(_store_path().read_text("utf-8"))
        except FileNotFoundError:
            return {}
        return {str(k): str(v) for k, v in data.items()}

    def _save(self, data: dict[str, str]) -> None:
        path = _store_path()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, sort_keys=True), "utf-8")

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}\x00{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data[f"{service}\x00{username}"] = password
        self._save(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}\x00{username}", None) is None:
            raise PasswordDeleteError("no such password")
        self._save(data)


class FailingGet(FileKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringError("the keyring daemon did not answer")


class FailingSet(FileKeyring):
    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringError("the keyring refused to store the item")


class FailingDelete(FileKeyring):
    def delete_password(self, service: str, username: str) -> None:
        raise KeyringError("the keyring refused to delete the item")


class LockedKeyring(FileKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the keyring is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the keyring is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the keyring is locked")


# --- keyrings that take their time ------------------------------------------------------------
# A locked Secret Service waits for a password prompt that never comes; a remote one answers
# slowly. These wait on a real event (or a file appearing), never on a fixed sleep: "forever"
# is bounded by GATE_CEILING so that no test process can outlive its test by much.

GATE_ENV = "CONSENT_TEST_KEYRING_GATE"
SLOW_ENV = "CONSENT_TEST_KEYRING_DELAY"
# A file each call of these keyrings appends its name to as it starts: how many calls waited.
CALLS_ENV = "CONSENT_TEST_KEYRING_CALLS"
GATE_CEILING = 120.0


def _started(what: str) -> None:
    calls = os.environ.get(CALLS_ENV)
    if calls:
        with open(calls, "a", encoding="utf-8") as fh:
            fh.write(what + "\n")


def _hang(what: str = "call") -> None:
    _started(what)
    threading.Event().wait(GATE_CEILING)
    raise KeyringError("the keyring never answered")


def _slow(what: str = "call") -> None:
    _started(what)
    threading.Event().wait(float(os.environ.get(SLOW_ENV, "1.0")))


def _gate(what: str) -> None:
    """Wait until the file `$CONSENT_TEST_KEYRING_GATE` exists; first leave `<gate>.<what>`
    behind, so that a test can tell the call has started."""
    gate = os.environ.get(GATE_ENV)
    if not gate:
        return
    Path(f"{gate}.{what}").touch()
    deadline = time.monotonic() + GATE_CEILING
    while not os.path.exists(gate) and time.monotonic() < deadline:
        threading.Event().wait(0.02)


class HangingKeyring(FileKeyring):
    """Every call waits for an answer that never comes (a locked keyring's unseen prompt).
    Each call started is written to `$CONSENT_TEST_KEYRING_CALLS`, if set."""

    def get_password(self, service: str, username: str) -> str | None:
        _hang("get_password")
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        _hang("set_password")

    def delete_password(self, service: str, username: str) -> None:
        _hang("delete_password")


class HangingDelete(FileKeyring):
    def delete_password(self, service: str, username: str) -> None:
        _hang("delete_password")


class SlowKeyring(FileKeyring):
    """Every call answers, after `$CONSENT_TEST_KEYRING_DELAY` seconds (default 1)."""

    def get_password(self, service: str, username: str) -> str | None:
        _slow("get_password")
        return super().get_password(service, username)

    def set_password(self, service: str, username: str, password: str) -> None:
        _slow("set_password")
        super().set_password(service, username, password)

    def delete_password(self, service: str, username: str) -> None:
        _slow("delete_password")
        super().delete_password(service, username)


class GatedSet(FileKeyring):
    """Storing waits until the gate file exists: holds a sender between "no id yet" and
    "id stored", the moment a `disable` can slip in."""

    def set_password(self, service: str, username: str, password: str) -> None:
        _gate("set")
        super().set_password(service, username, password)
