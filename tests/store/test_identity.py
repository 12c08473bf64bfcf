"""The pseudonymous id: a UUID4 in the keyring (real backend API), the 0600 file fallback, and
keyrings that fail: never an id left behind that cannot be deleted."""

from __future__ import annotations

import stat
import uuid
from collections.abc import Callable, Iterator

import pytest
from keyring.backend import KeyringBackend

from consent._core.names import KEYRING_USER
from consent._store import identity
from consent.testing.keyring import FailingDelete, FailingGet
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
