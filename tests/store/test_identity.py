"""The pseudonymous id: a UUID4 in the keyring (real backend API), the 0600 file fallback, and
keyrings that fail: never an id left behind that cannot be deleted."""

from __future__ import annotations

import os
import stat
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from keyring.backend import KeyringBackend

from consent._core.names import KEYRING_USER, SENDER_TIMEOUT
from consent._store import identity
from consent._store.safeopen import NotRegularFile
from consent.testing.keyring import FailingDelete, FailingGet, FailingSet
from lumogon import SPEC
from tests.helpers import Iso, use_keyring_backend

ENTRY = f"{SPEC.keyring_service}/{KEYRING_USER}"  # as Home.client_ids() names it


@pytest.fixture
def set_backend(iso: Iso) -> Iterator[Callable[[type[KeyringBackend]], None]]:
    """Select a backend through keyring's own API; the previous one comes back afterwards."""
    import keyring

    previous = keyring.get_keyring()
    yield lambda cls: keyring.set_keyring(cls())
    keyring.set_keyring(previous)


def test_id_is_a_uuid4_in_the_keyring(iso: Iso) -> None:
    stored = identity.load_or_create(SPEC, iso.locs)
    assert stored.where == "keyring"
    assert uuid.UUID(stored.value or "").version == 4
    assert iso.home.client_ids() == {ENTRY: stored.value}
    assert identity.load_or_create(SPEC, iso.locs).value == stored.value  # stable
    assert not iso.locs.id_file.exists()


def test_no_keyring_falls_back_to_a_0600_file(iso: Iso, monkeypatch: pytest.MonkeyPatch) -> None:
    use_keyring_backend(monkeypatch, "keyring.backends.fail.Keyring")
    stored = identity.load_or_create(SPEC, iso.locs)
    assert stored.where == "file"
    assert stat.S_IMODE(iso.locs.id_file.stat().st_mode) == 0o600
    assert iso.locs.id_file.read_text().strip() == stored.value


@pytest.mark.parametrize("backend", ["FailingSet", "LockedKeyring"])
def test_broken_keyring_falls_back_to_the_file(
    iso: Iso, monkeypatch: pytest.MonkeyPatch, backend: str
) -> None:
    use_keyring_backend(monkeypatch, f"consent.testing.keyring.{backend}")
    assert identity.load_or_create(SPEC, iso.locs).where == "file"


def test_loading_never_creates(iso: Iso) -> None:
    assert identity.load(SPEC, iso.locs).where == "none"
    assert iso.home.client_ids() == {} and not iso.locs.id_file.exists()


def test_an_id_stored_but_unreadable_is_taken_back(
    iso: Iso, set_backend: Callable[[type[KeyringBackend]], None]
) -> None:
    set_backend(FailingGet)  # set works, get raises: the id could never be seen or deleted
    stored = identity.load_or_create(SPEC, iso.locs)
    assert stored.where == "file" and iso.locs.id_file.exists()
    assert ENTRY not in iso.home.client_ids()
    deleted, failed = identity.delete(SPEC, iso.locs)
    assert (deleted, failed) == ([str(iso.locs.id_file)], [])


def test_delete_works_when_the_keyring_cannot_be_read(
    iso: Iso, set_backend: Callable[[type[KeyringBackend]], None]
) -> None:
    assert identity.load_or_create(SPEC, iso.locs).where == "keyring"
    set_backend(FailingGet)  # later the daemon stops answering reads
    deleted, failed = identity.delete(SPEC, iso.locs)
    assert (deleted, failed) == (["the OS keyring"], [])
    assert ENTRY not in iso.home.client_ids()


def test_a_refused_delete_is_reported(
    iso: Iso, set_backend: Callable[[type[KeyringBackend]], None]
) -> None:
    set_backend(FailingDelete)
    identity.load_or_create(SPEC, iso.locs)
    deleted, failed = identity.delete(SPEC, iso.locs)
    assert deleted == [] and len(failed) == 1 and "KeyringError" in failed[0]
    assert ENTRY in iso.home.client_ids()  # still there, and the person was told


# --- every keyring call is bounded, and a keyring that let one call hang is not asked again ---


class _Backend:
    """Stands for a keyring backend: calls are bound methods, whose owner `bounded` keys on."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def answer(self, value: str) -> str:
        self.calls.append(value)
        return value

    def fail(self) -> None:
        raise LookupError("no such item")

    def wait(self, release: threading.Event) -> str:
        release.wait(10)
        return "late"


def test_a_bounded_call_answers_raises_or_is_abandoned_once() -> None:
    backend, other, release = _Backend(), _Backend(), threading.Event()
    assert identity.bounded(backend.answer, "a") == "a"
    with pytest.raises(LookupError, match="no such item"):
        identity.bounded(backend.fail)
    try:
        with pytest.raises(identity.KeyringTimeout) as waited:
            identity.bounded(backend.wait, release, timeout=0.02)
        assert str(waited.value) == "the keyring did not answer within 0.02 s"
        # The abandoned call goes on in a daemon thread, which never keeps the process alive.
        (thread,) = [t for t in threading.enumerate() if t.name == "consent-keyring"]
        assert thread.daemon and thread.is_alive()
        # The same keyring is not asked again while it runs: refused at once, not called.
        with pytest.raises(identity.KeyringTimeout) as refused:
            identity.bounded(backend.answer, "b")
        assert str(refused.value) == (
            f"the keyring did not answer within {identity.KEYRING_TIMEOUT:g} s (a call waits)"
        )
        assert backend.calls == ["a"]
        assert identity.bounded(other.answer, "c") == "c"  # another keyring is asked
    finally:
        release.set()
        thread.join(5)
    assert identity.bounded(backend.answer, "d") == "d"  # once it has answered, asked again
    assert backend.calls == ["a", "d"]


def test_the_documented_bounds_are_the_code_s() -> None:
    """docs/security.md names the keyring's bound and how long `disable` waits for a sender."""
    text = " ".join((Path(__file__).parents[2] / "docs" / "security.md").read_text().split())
    assert f"is abandoned after {identity.KEYRING_TIMEOUT:g} s" in text
    assert f"(at most {identity.SENDER_BUDGET:g} s, the sender's whole budget)" in text
    # The sender's worst case: its keyring calls (load, get, set, get, delete), its request.
    assert identity.SENDER_BUDGET > 5 * identity.KEYRING_TIMEOUT + SENDER_TIMEOUT


# --- where the id is, in words `status` and `id` print ------------------------------------


def test_where_the_id_is_named(
    iso: Iso, monkeypatch: pytest.MonkeyPatch, set_backend: Callable[[type[KeyringBackend]], None]
) -> None:
    id_file, service = iso.locs.id_file, SPEC.keyring_service
    assert identity.load_file(SPEC, iso.locs) == identity.StoredId(
        None,
        "not-in-file",
        f"no id file at {id_file}; an OS keyring entry, if any, is looked up only by "
        "`lumogon telemetry id`",
    )
    assert identity.load(SPEC, iso.locs) == identity.StoredId(
        None, "none", "one is created only when a hit is sent"
    )
    created = identity.load_or_create(SPEC, iso.locs)
    assert created.detail == "in the OS keyring (FileKeyring)"
    assert identity.load(SPEC, iso.locs) == identity.StoredId(
        created.value, "keyring", f"in the OS keyring (FileKeyring, service {service})"
    )
    assert identity.load_file(SPEC, iso.locs).where == "not-in-file"
    identity.delete(SPEC, iso.locs)
    use_keyring_backend(monkeypatch, "keyring.backends.fail.Keyring")
    created = identity.load_or_create(SPEC, iso.locs)
    in_file = identity.StoredId(created.value, "file", f"in the file {id_file}")
    assert created == in_file
    assert identity.load(SPEC, iso.locs) == in_file
    assert identity.load_file(SPEC, iso.locs) == in_file


def test_the_id_file_is_read_without_following_a_link(
    iso: Iso, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_keyring_backend(monkeypatch, "keyring.backends.fail.Keyring")
    value = str(uuid.uuid4())
    elsewhere = iso.root / "elsewhere"
    elsewhere.write_text(value + "\n")
    iso.locs.id_file.parent.mkdir(parents=True, exist_ok=True)
    iso.locs.id_file.symlink_to(elsewhere)
    assert identity.load(SPEC, iso.locs).where == "none"
    assert identity.load_file(SPEC, iso.locs).where == "not-in-file"


def test_the_id_file_holds_4096_bytes_at_most(iso: Iso, monkeypatch: pytest.MonkeyPatch) -> None:
    use_keyring_backend(monkeypatch, "keyring.backends.fail.Keyring")
    value = str(uuid.uuid4())
    iso.locs.id_file.parent.mkdir(parents=True, exist_ok=True)
    iso.locs.id_file.write_text(value.ljust(4096))
    assert identity.load(SPEC, iso.locs).value == value
    iso.locs.id_file.write_text(value.ljust(4097))  # one byte more is not an id
    assert identity.load(SPEC, iso.locs).where == "none"


def test_what_the_id_leaves_in_the_data_dir(iso: Iso) -> None:
    """A private directory, made if missing, holding the id's hidden lock (the keyring holds
    the id); nothing else."""
    data = iso.locs.id_file.parent
    assert not data.exists()
    identity.load_or_create(SPEC, iso.locs)
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    assert sorted(p.name for p in data.iterdir()) == [f".{iso.locs.id_file.name}.lock"]


def test_the_id_s_locks_are_hidden_beside_it(iso: Iso) -> None:
    """One orders using the id against deleting it, the other serialises creating it."""
    id_file = iso.locs.id_file
    assert identity.id_lock(id_file) == id_file.parent / ".client-id.lock"
    assert identity.create_lock(id_file) == id_file.parent / ".client-id.create.lock"


def test_an_id_file_that_holds_no_id_is_replaced_by_one(
    iso: Iso, monkeypatch: pytest.MonkeyPatch
) -> None:
    use_keyring_backend(monkeypatch, "keyring.backends.fail.Keyring")
    iso.locs.id_file.parent.mkdir(parents=True)
    iso.locs.id_file.write_text("not an id\n")
    created = identity.load_or_create(SPEC, iso.locs)
    assert created.where == "file" and uuid.UUID(created.value or "").version == 4
    assert iso.locs.id_file.read_text() == f"{created.value}\n"


def test_something_else_at_the_id_s_path_is_never_replaced(iso: Iso) -> None:
    """A FIFO a person or a program put there: no id is stored, in the keyring neither."""
    iso.locs.id_file.parent.mkdir(parents=True)
    os.mkfifo(iso.locs.id_file)
    with pytest.raises(NotRegularFile) as refused:
        identity.load_or_create(SPEC, iso.locs)
    assert (
        refused.value.strerror == f"{iso.locs.id_file} is not a regular file; no id is stored there"
    )
    assert refused.value.errno == 0
    assert iso.home.client_ids() == {}
    assert stat.S_ISFIFO(os.lstat(iso.locs.id_file).st_mode)


def test_a_keyring_that_refuses_to_store_keeps_what_it_holds(
    iso: Iso, set_backend: Callable[[type[KeyringBackend]], None]
) -> None:
    """An entry that is not an id (a person's, another version's) is not taken out because
    storing a new one failed: only an id that was stored and cannot be read back is."""
    import keyring

    keyring.set_password(SPEC.keyring_service, KEYRING_USER, "not an id")
    set_backend(FailingSet)
    assert identity.load_or_create(SPEC, iso.locs).where == "file"
    assert iso.home.client_ids() == {ENTRY: "not an id"}


def test_the_lock_wait_given_is_the_one_waited(iso: Iso) -> None:
    """Creating waits for the id's lock as long as it is told, and says so; deleting waits as
    long as it is told, then deletes all the same."""
    from consent._errors import LockTimeoutError
    from consent._store.fileio import LOCK_TIMEOUT, locked

    iso.locs.id_file.parent.mkdir(parents=True)
    iso.locs.id_file.write_text(str(uuid.uuid4()) + "\n")
    with locked(identity.id_lock(iso.locs.id_file)):
        with pytest.raises(LockTimeoutError, match="for 20 ms"):
            identity.load_or_create(SPEC, iso.locs, timeout=0.02)
        with pytest.raises(LockTimeoutError, match="for 20 ms"):
            identity.load_or_create_at(SPEC.keyring_service, iso.locs.id_file, timeout=0.02)
        start = time.monotonic()
        assert identity.delete(SPEC, iso.locs, wait=0.02) == ([str(iso.locs.id_file)], [])
        assert time.monotonic() - start < LOCK_TIMEOUT / 2  # the wait given, not the default


def test_delete_without_a_data_dir_or_a_keyring(iso: Iso, monkeypatch: pytest.MonkeyPatch) -> None:
    """No lock can be taken (no directory to hold it): the id is deleted all the same, and
    there is nothing to delete."""
    use_keyring_backend(monkeypatch, "keyring.backends.fail.Keyring")
    assert not iso.locs.id_file.parent.exists()
    assert identity.delete(SPEC, iso.locs) == ([], [])


def test_a_keyring_that_holds_no_id_is_not_asked_to_delete(
    iso: Iso, set_backend: Callable[[type[KeyringBackend]], None]
) -> None:
    set_backend(FailingDelete)  # would report a failure if asked
    iso.locs.id_file.parent.mkdir(parents=True)
    iso.locs.id_file.write_text(str(uuid.uuid4()) + "\n")
    assert identity.delete(SPEC, iso.locs) == ([str(iso.locs.id_file)], [])


def test_what_could_not_be_deleted_is_named(
    iso: Iso, set_backend: Callable[[type[KeyringBackend]], None]
) -> None:
    set_backend(FailingDelete)
    identity.load_or_create(SPEC, iso.locs)
    iso.locs.id_file.mkdir()  # something `unlink` refuses
    deleted, failed = identity.delete(SPEC, iso.locs)
    assert deleted == []
    assert failed == [
        "the OS keyring (KeyringError: the keyring refused to delete the item)",
        f"{iso.locs.id_file} (Is a directory)",
    ]
