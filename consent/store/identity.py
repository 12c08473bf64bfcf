"""The pseudonymous client id: a random UUID4 kept in the OS keyring, or a 0600 file.

Touched only on the sending path and by `telemetry` commands: importing keyring
costs about 0.1 s, so the disabled path never gets here. Reading never creates;
only `load_or_create`, called when a hit is handed to the sender, does.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from pathlib import Path
from typing import Any, Literal

from consent.core.names import KEYRING_USER
from consent.core.spec import AppSpec
from consent.core.value import Record
from consent.store.fileio import atomic_write, locked
from consent.store.paths import Locations

Where = Literal["keyring", "file", "none", "not-in-file"]


class StoredId(Record):
    value: str | None
    where: Where
    detail: str


def _keyring() -> Any | None:
    """The active keyring backend, or None when there is no usable one."""
    try:
        import keyring
        from keyring.backends import fail, null

        backend = keyring.get_keyring()
    except Exception:  # noqa: BLE001 - any failure to load a backend means "no keyring"
        return None
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return None
    return backend


def _valid(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = uuid.UUID(value.strip())
    except ValueError:
        return None
    return str(parsed) if parsed.version == 4 else None


def _read_file(path: Path) -> str | None:
    try:
        return _valid(path.read_text("utf-8"))
    except (OSError, UnicodeDecodeError):
        return None


def load(spec: AppSpec, locs: Locations) -> StoredId:
    """Where the id is, without creating one."""
    return load_at(spec.keyring_service, locs.id_file)


def load_file(spec: AppSpec, locs: Locations) -> StoredId:
    """The id file only, never the keyring (which may start processes and open sockets):
    what `status` shows."""
    value = _read_file(locs.id_file)
    if value is not None:
        return StoredId(value, "file", f"in the file {locs.id_file}")
    return StoredId(
        None,
        "not-in-file",
        f"no id file at {locs.id_file}; an OS keyring entry, if any, is looked up only by "
        f"`{spec.commands} id`",
    )


def load_at(service: str, id_file: Path) -> StoredId:
    backend = _keyring()
    if backend is not None:
        try:
            value = _valid(backend.get_password(service, KEYRING_USER))
        except Exception:  # noqa: BLE001 - a locked or broken keyring is "not there"
            value = None
        if value is not None:
            name = type(backend).__name__
            return StoredId(value, "keyring", f"in the OS keyring ({name}, service {service})")
    value = _read_file(id_file)
    if value is not None:
        return StoredId(value, "file", f"in the file {id_file}")
    return StoredId(None, "none", "none stored (one is created only when a hit is sent)")


def load_or_create(spec: AppSpec, locs: Locations) -> StoredId:
    return load_or_create_at(spec.keyring_service, locs.id_file)


def load_or_create_at(service: str, id_file: Path) -> StoredId:
    """The id, created if there is none. The detached sender calls this, not the host:
    loading a keyring backend costs the host ~0.2 s (on Linux it probes for macOS
    libraries by spawning compilers). Serialised, so concurrent senders agree on one id."""
    id_file.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with locked(id_file.parent / f".{id_file.name}.lock", timeout=5.0):
        return _load_or_create_locked(service, id_file)


def _load_or_create_locked(service: str, id_file: Path) -> StoredId:
    existing = load_at(service, id_file)
    if existing.value is not None:
        return existing
    value = str(uuid.uuid4())
    backend = _keyring()
    if backend is not None:
        stored = False
        try:
            backend.set_password(service, KEYRING_USER, value)
            stored = True
            if _valid(backend.get_password(service, KEYRING_USER)) == value:
                return StoredId(value, "keyring", f"in the OS keyring ({type(backend).__name__})")
        except Exception:  # noqa: BLE001, S110 - fall back to the file below
            pass
        if stored:
            # Stored but not readable back: take it out again rather than leave an id
            # that `status` cannot see (the file below becomes the one id).
            with contextlib.suppress(Exception):
                backend.delete_password(service, KEYRING_USER)
    atomic_write(id_file, (value + "\n").encode("ascii"), 0o600)
    return StoredId(value, "file", f"in the file {id_file}")


def delete(spec: AppSpec, locs: Locations) -> tuple[list[str], list[str]]:
    """Delete the id everywhere it may be kept: (where deleted, what could not be deleted)."""
    deleted: list[str] = []
    failed: list[str] = []
    backend = _keyring()
    if backend is not None:
        try:
            present = backend.get_password(spec.keyring_service, KEYRING_USER) is not None
        except Exception:  # noqa: BLE001 - cannot tell: try to delete all the same
            present = True
        if present:
            from keyring.errors import PasswordDeleteError

            try:
                backend.delete_password(spec.keyring_service, KEYRING_USER)
                deleted.append("the OS keyring")
            except PasswordDeleteError:
                pass  # there was none
            except Exception as exc:  # noqa: BLE001 - reported to the person, never raised
                failed.append(f"the OS keyring ({type(exc).__name__}: {exc})")
    try:
        os.unlink(locs.id_file)
        deleted.append(str(locs.id_file))
    except FileNotFoundError:
        pass
    except OSError as exc:
        failed.append(f"{locs.id_file} ({exc.strerror or exc})")
    return deleted, failed
