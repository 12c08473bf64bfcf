"""The pseudonymous client id: a random UUID4 kept in the OS keyring, or a 0600 file.

Touched only on the sending path and by `telemetry` commands: importing keyring
costs about 0.1 s, so the disabled path never gets here. Reading never creates;
only `load_or_create`, called when a hit is handed to the sender, does.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

from consent._core.names import KEYRING_USER, SENDER_TIMEOUT
from consent._core.spec import AppSpec
from consent._core.value import Record
from consent._store.fileio import atomic_write, locked, make_dirs
from consent._store.paths import Locations
from consent._store.safeopen import NotRegularFile, read_regular

Where = Literal["keyring", "file", "none", "not-in-file"]

# How long `disable` waits for a sender that is still working: its keyring calls (load, get,
# set, get) and its request, plus a margin.
SENDER_BUDGET = 5 * 2.0 + SENDER_TIMEOUT + 2.0

# Every keyring call (loading the backend included) is given this long, then abandoned: a
# locked Secret Service can wait for a password prompt forever. An abandoned call goes on in a
# daemon thread, which never keeps the process alive.
KEYRING_TIMEOUT = 2.0

# The id file's size cap (docs/security.md, the readers' inventory): read_regular reads one byte
# more, so that a longer file is told apart and refused rather than read in part.
ID_FILE_MAX = 4096


class KeyringTimeout(Exception):
    """A keyring call that did not return within KEYRING_TIMEOUT."""


# The calls abandoned and still running, by what they were made on (id of the backend; of None
# for loading one). While one runs, the keyring it waits on is not asked again: a keyring that
# let one call hang lets the next hang as long, and `disable` (a lookup, then a delete) must end
# after one KEYRING_TIMEOUT at most, not after one per call.
_abandoned: dict[int, Any] = {}  # threading.Thread, imported only when a call is made


def bounded(call: Callable[..., Any], *args: Any, timeout: float = KEYRING_TIMEOUT) -> Any:
    """`call(*args)` in a daemon thread, waited for at most `timeout` seconds.

    Returns its result or raises its exception; raises KeyringTimeout if it has not returned,
    and at once, without calling, while an earlier call on the same backend is still running."""
    import threading

    owner = id(getattr(call, "__self__", None))
    earlier = _abandoned.get(owner)
    if earlier is not None and earlier.is_alive():
        raise KeyringTimeout(f"the keyring did not answer within {timeout:g} s (a call waits)")
    outcome: list[tuple[bool, Any]] = []
    done = threading.Event()

    def target() -> None:
        try:
            outcome.append((True, call(*args)))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            outcome.append((False, exc))
        finally:
            done.set()

    thread = threading.Thread(target=target, name="consent-keyring", daemon=True)
    thread.start()
    if not done.wait(timeout):
        _abandoned[owner] = thread
        raise KeyringTimeout(f"the keyring did not answer within {timeout:g} s")
    ok, value = outcome[0]
    if not ok:
        raise value
    return value


class StoredId(Record):
    value: str | None
    where: Where
    detail: str


def _load_backend() -> Any | None:
    import keyring
    from keyring.backends import fail, null

    backend = keyring.get_keyring()
    if isinstance(backend, (fail.Keyring, null.Keyring)):
        return None
    return backend


def _keyring() -> Any | None:
    """The active keyring backend, or None when there is no usable one (or none loads in time)."""
    try:
        return bounded(_load_backend)
    except Exception:  # noqa: BLE001 - any failure to load a backend means "no keyring"
        return None


def _valid(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = uuid.UUID(value.strip())
    except ValueError:
        return None
    return str(parsed) if parsed.version == 4 else None


def _read_file(path: Path) -> str | None:
    """The id in the fallback file; never through a symlink, never from anything but a file,
    never from a file longer than ID_FILE_MAX (an id and some white space)."""
    try:
        data = read_regular(path, ID_FILE_MAX, follow=False)
        return None if len(data) > ID_FILE_MAX else _valid(data.decode("utf-8"))
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
            value = _valid(bounded(backend.get_password, service, KEYRING_USER))
        except Exception:  # noqa: BLE001 - a locked, broken or hanging keyring is "not there"
            value = None
        if value is not None:
            name = type(backend).__name__
            return StoredId(value, "keyring", f"in the OS keyring ({name}, service {service})")
    value = _read_file(id_file)
    if value is not None:
        return StoredId(value, "file", f"in the file {id_file}")
    return StoredId(None, "none", "one is created only when a hit is sent")


def load_or_create(spec: AppSpec, locs: Locations, *, timeout: float = 5.0) -> StoredId:
    return load_or_create_at(spec.keyring_service, locs.id_file, timeout=timeout)


def load_or_create_at(service: str, id_file: Path, *, timeout: float = 5.0) -> StoredId:
    """The id, created if there is none. The detached sender calls this, not the host:
    loading a keyring backend costs the host ~0.2 s (on Linux it probes for macOS
    libraries by spawning compilers). Serialised, so concurrent senders agree on one id."""
    make_dirs(id_file.parent, 0o700)
    with locked(id_lock(id_file), timeout=timeout):
        return load_or_create_locked(service, id_file)


def id_lock(id_file: Path) -> Path:
    """The lock that orders using the id against deleting it: a sender holds it shared from its
    last consent check until its request is done (senders do not wait for each other);
    `disable` and `reset` take it exclusively to delete, and so wait for every request in
    flight."""
    return id_file.parent / f".{id_file.name}.lock"


def create_lock(id_file: Path) -> Path:
    """The lock that serialises senders creating the id (each holds the id's lock shared)."""
    return id_file.parent / f".{id_file.name}.create.lock"


def load_or_create_locked(service: str, id_file: Path) -> StoredId:
    existing = load_at(service, id_file)
    if existing.value is not None:
        return existing
    _refuse_special(id_file)
    value = str(uuid.uuid4())
    backend = _keyring()
    if backend is not None:
        stored = False
        try:
            bounded(backend.set_password, service, KEYRING_USER, value)
            stored = True
            if _valid(bounded(backend.get_password, service, KEYRING_USER)) == value:
                return StoredId(value, "keyring", f"in the OS keyring ({type(backend).__name__})")
        except Exception:  # noqa: BLE001, S110 - fall back to the file below
            pass
        if stored:
            # Stored but not readable back: take it out again rather than leave an id
            # that `status` cannot see (the file below becomes the one id).
            with contextlib.suppress(Exception):
                bounded(backend.delete_password, service, KEYRING_USER)
    atomic_write(id_file, (value + "\n").encode("ascii"), 0o600)
    return StoredId(value, "file", f"in the file {id_file}")


def _refuse_special(id_file: Path) -> None:
    """Something other than a regular file at the id's path (a FIFO, a link) is never replaced:
    a person or another program put it there. No id, so nothing is sent."""
    import stat

    try:
        st = os.lstat(id_file)
    except FileNotFoundError:
        return
    if not stat.S_ISREG(st.st_mode):
        raise NotRegularFile(0, f"{id_file} is not a regular file; no id is stored there")


def delete(
    spec: AppSpec, locs: Locations, *, wait: float = SENDER_BUDGET
) -> tuple[list[str], list[str]]:
    """Delete the id everywhere it may be kept: (where deleted, what could not be deleted).

    Taken under the id's lock, waited for at most `wait` seconds: a sender that is still
    sending finishes first, and a sender that comes later finds consent withdrawn (it checks
    under the same lock) and creates nothing. Every keyring call is bounded.
    """
    from consent._errors import ConsentError

    try:
        with locked(id_lock(locs.id_file), timeout=wait):
            return _delete_locked(spec, locs)
    except (ConsentError, OSError):
        # No lock (a missing or unwritable data dir, a sender past its budget): delete anyway.
        return _delete_locked(spec, locs)


def _delete_locked(spec: AppSpec, locs: Locations) -> tuple[list[str], list[str]]:
    deleted: list[str] = []
    failed: list[str] = []
    backend = _keyring()
    if backend is not None:
        try:
            present = bounded(backend.get_password, spec.keyring_service, KEYRING_USER) is not None
        except Exception:  # noqa: BLE001 - cannot tell: try to delete all the same
            present = True
        if present:
            from keyring.errors import PasswordDeleteError

            try:
                bounded(backend.delete_password, spec.keyring_service, KEYRING_USER)
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
