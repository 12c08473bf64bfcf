"""Real keyring backends for tests, selected through keyring's own API.

Set `PYTHON_KEYRING_BACKEND=consent.testing.keyring.FileKeyring` (and optionally
`CONSENT_TEST_KEYRING=/path/to/file.json`) and keyring itself loads this backend:
no patched functions. The faulty variants raise where a real keyring can.
"""

from __future__ import annotations

import json
import os
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
