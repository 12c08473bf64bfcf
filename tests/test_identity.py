"""The pseudonymous id under keyrings that fail: never an id left behind that cannot be deleted."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from conftest import Iso
from keyring.backend import KeyringBackend

from consent.core.names import KEYRING_USER
from consent.store import identity
from consent.testing.keyring import FailingDelete, FailingGet, FileKeyring
from lumogon import SPEC

ENTRY = f"{SPEC.keyring_service}\x00{KEYRING_USER}"


@pytest.fixture
def use_backend(iso: Iso) -> Iterator[Callable[[type[KeyringBackend]], None]]:
    """Select a backend through keyring's own API; the previous one comes back afterwards."""
    import keyring

    previous = keyring.get_keyring()
    yield lambda cls: keyring.set_keyring(cls())
    keyring.set_keyring(previous)


def test_an_id_stored_but_unreadable_is_taken_back(
    iso: Iso, use_backend: Callable[[type[KeyringBackend]], None]
) -> None:
    use_backend(FailingGet)  # set works, get raises: the id could never be seen or deleted
    stored = identity.load_or_create(SPEC, iso.locs)
    assert stored.where == "file" and iso.locs.id_file.exists()
    assert ENTRY not in FileKeyring()._load()
    deleted, failed = identity.delete(SPEC, iso.locs)
    assert (deleted, failed) == ([str(iso.locs.id_file)], [])


def test_delete_works_when_the_keyring_cannot_be_read(
    iso: Iso, use_backend: Callable[[type[KeyringBackend]], None]
) -> None:
    use_backend(FileKeyring)
    assert identity.load_or_create(SPEC, iso.locs).where == "keyring"
    use_backend(FailingGet)  # later the daemon stops answering reads
    deleted, failed = identity.delete(SPEC, iso.locs)
    assert (deleted, failed) == (["the OS keyring"], [])
    assert ENTRY not in FileKeyring()._load()


def test_a_refused_delete_is_reported(
    iso: Iso, use_backend: Callable[[type[KeyringBackend]], None]
) -> None:
    use_backend(FailingDelete)
    identity.load_or_create(SPEC, iso.locs)
    deleted, failed = identity.delete(SPEC, iso.locs)
    assert deleted == [] and len(failed) == 1 and "KeyringError" in failed[0]
    assert ENTRY in FileKeyring()._load()  # still there, and the person was told
