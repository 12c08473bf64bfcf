"""Issue 27, point 1: a system policy reached through symbolic links (NixOS, GNU stow) is read
when no one but root could have changed where it leads, and locks otherwise, naming the
component that failed (consent/_store/safeopen.py, resolve_trusted).

Real files, real links and real modes in a temporary system root: its owner counts as root
(AppSpec.system_root), so the tests need no root account, yet run the same code as `/`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from consent._core.rules import PolicyReading
from consent._store.paths import Locations, system_policy_paths
from consent._store.safeopen import MAX_LINKS, UntrustedLink, read_policy, resolve_trusted
from consent._store.sources import read_policies, resolve
from lumogon import SPEC

PURPOSES = SPEC.purpose_names
POLICY = '[telemetry]\nmode = "local"\ndisabled_purposes = ["service-health"]\n'


def nixos(root: Path, policy: str = POLICY) -> tuple[Path, Path]:
    """/etc as NixOS builds it, under `root`: the policy is a link into /etc/static, itself a
    link into a store path; the store is 1775 root:nixbld, its files read-only. Returns the
    policy location and the file in the store."""
    store = root / "nix" / "store"
    generation = store / "0a1b2c3d-etc" / "etc"
    (generation / "xdg" / "lumogon").mkdir(parents=True)
    real = generation / "xdg" / "lumogon" / "telemetry.toml"
    real.write_text(policy)
    real.chmod(0o444)
    for d in (root, root / "nix", store.parent):
        d.chmod(0o755)
    store.chmod(0o1775)
    (root / "etc" / "xdg" / "lumogon").mkdir(parents=True)
    (root / "etc" / "static").symlink_to(generation)  # absolute, as NixOS makes it
    location = Path(system_policy_paths("lumogon", root=str(root), platform="linux")[0])
    location.symlink_to("../../static/xdg/lumogon/telemetry.toml")  # relative, as NixOS makes it
    return location, real


def locs(root: Path, tmp: Path) -> Locations:
    location = system_policy_paths("lumogon", root=str(root), platform="linux")[0]
    return Locations(
        str(tmp / "config.toml"), (location,), str(tmp / "id"), str(tmp / "log"),
        system_root=str(root),
    )  # fmt: skip


def test_a_nixos_policy_link_into_the_store_applies_its_managed_settings(tmp_path: Path) -> None:
    root = tmp_path / "root"
    location, real = nixos(root)
    (reading,) = read_policies(locs(root, tmp_path), PURPOSES)
    assert reading == PolicyReading(
        str(location), "ok", False, locked_purposes=("service-health",), local=True,
        settings=(("telemetry.mode", '"local"'), ("telemetry.disabled_purposes", '["service-health"]')),
        target=str(real),
    )  # fmt: skip
    decision = resolve(SPEC, environ={}, locs=locs(root, tmp_path), cwd=str(tmp_path))
    assert decision.local_by is not None and decision.local_by.origin["path"] == str(location)
    assert {(m.key, m.path) for m in decision.managed} == {
        ("telemetry.mode", str(location)),
        ("telemetry.disabled_purposes", str(location)),
    }
    assert not decision.warnings


@pytest.mark.parametrize(
    ("where", "mode", "why"),
    [
        ("nix/store/0a1b2c3d-etc", 0o777, "is writable by every user"),
        ("nix/store/0a1b2c3d-etc", 0o1777, "is writable by every user"),  # sticky or not
        ("nix/store/0a1b2c3d-etc/etc/xdg", 0o775, "is writable by its group"),
        ("nix", 0o757, "is writable by every user"),
        ("etc", 0o777, "is writable by every user"),  # where the link itself lives
        (
            "nix/store/0a1b2c3d-etc/etc/xdg/lumogon/telemetry.toml",
            0o666,
            "is writable by every user",
        ),
        (
            "nix/store/0a1b2c3d-etc/etc/xdg/lumogon/telemetry.toml",
            0o464,
            "is writable by its group",
        ),
        # The sticky bit spares a directory's entries, never a file's own contents.
        (
            "nix/store/0a1b2c3d-etc/etc/xdg/lumogon/telemetry.toml",
            0o1464,
            "is writable by its group",
        ),
    ],
)
def test_a_link_through_a_writable_component_locks_naming_it(
    tmp_path: Path, where: str, mode: int, why: str
) -> None:
    root = tmp_path / "root"
    location, _ = nixos(root)
    (root / where).chmod(mode)
    (reading,) = read_policies(locs(root, tmp_path), PURPOSES)
    assert (reading.state, reading.locks, reading.local) == ("error", True, False)
    assert reading.problem == f"is a symbolic link that is not followed: {root / where} {why}" + (
        f" (gid {(root / where).stat().st_gid})" if "group" in why else ""
    )
    decision = resolve(SPEC, environ={}, locs=locs(root, tmp_path), cwd=str(tmp_path))
    assert not decision.enabled and decision.decided_by.source == "policy"
    assert f"{root / where} {why}" in decision.warnings[0]
    assert decision.warnings[0].startswith(f"admin policy {location} is a symbolic link")


def test_the_store_itself_may_be_group_writable_with_the_sticky_bit_only(tmp_path: Path) -> None:
    root = tmp_path / "root"
    nixos(root)
    store = root / "nix" / "store"
    assert stat.S_IMODE(store.stat().st_mode) == 0o1775  # as on NixOS: drwxrwxr-t root nixbld
    assert read_policies(locs(root, tmp_path), PURPOSES)[0].state == "ok"
    store.chmod(0o775)
    (reading,) = read_policies(locs(root, tmp_path), PURPOSES)
    assert reading.problem.endswith(f"{store} is writable by its group (gid {store.stat().st_gid})")


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a file away needs root")
def test_a_component_owned_by_another_account_locks(tmp_path: Path) -> None:
    root = tmp_path / "root"
    _, real = nixos(root)
    os.chown(real.parent, 4242, -1)
    (reading,) = read_policies(locs(root, tmp_path), PURPOSES)
    assert reading.problem.endswith(f"{real.parent} is owned by uid 4242, not by root")
    os.chown(real.parent, os.geteuid(), -1)
    os.lchown(root / "etc" / "static", 4242, -1)  # the link itself
    (reading,) = read_policies(locs(root, tmp_path), PURPOSES)
    assert reading.problem.endswith(f"{root / 'etc' / 'static'} is owned by uid 4242, not by root")


def test_a_stow_folded_directory_link_is_checked_too(tmp_path: Path) -> None:
    """GNU stow links a whole directory: the policy is a regular file, reached through it."""
    root = tmp_path / "root"
    package = root / "usr" / "local" / "stow" / "policy" / "etc" / "xdg" / "lumogon"
    package.mkdir(parents=True)
    (package / "telemetry.toml").write_text("[telemetry]\nenabled = false\n")
    (root / "etc" / "xdg").mkdir(parents=True)
    (root / "etc" / "xdg" / "lumogon").symlink_to("../../usr/local/stow/policy/etc/xdg/lumogon")
    for d in (root, *root.rglob("*")):
        if d.is_dir() and not d.is_symlink():
            d.chmod(0o755)
    (reading,) = read_policies(locs(root, tmp_path), PURPOSES)
    assert (reading.state, reading.locks, reading.problem) == ("ok", True, "")
    assert reading.target == str(package / "telemetry.toml")
    (root / "usr" / "local" / "stow").chmod(0o777)
    (reading,) = read_policies(locs(root, tmp_path), PURPOSES)
    assert reading.problem == (
        "is reached through a symbolic link that is not followed: "
        f"{root / 'usr' / 'local' / 'stow'} is writable by every user"
    )


def test_a_regular_file_reached_through_no_link_is_read_as_before(tmp_path: Path) -> None:
    """No link: no ownership check (what the admin writes in place is read, as before)."""
    root = tmp_path / "root"
    location = Path(system_policy_paths("lumogon", root=str(root), platform="linux")[0])
    location.parent.mkdir(parents=True)
    location.write_text("[telemetry]\nenabled = false\n")
    root.chmod(0o777)
    (reading,) = read_policies(locs(root, tmp_path), PURPOSES)
    assert (reading.state, reading.locks, reading.target) == ("ok", True, "")


@pytest.mark.parametrize(
    ("make", "problem"),
    [
        (lambda loc, root: loc.symlink_to(root / "nowhere"), "is a dangling symbolic link"),
        (lambda loc, root: loc.symlink_to(loc.name), f"more than {MAX_LINKS} links on its way"),
        (lambda loc, root: loc.symlink_to("/etc/hostname"), "leads out of"),
        (lambda loc, root: loc.symlink_to("../../../.."), "leads out of"),
        (lambda loc, root: loc.symlink_to(root / "etc"), "is a directory"),
    ],
    ids=["dangling", "loop", "absolute-outside", "dotdot-outside", "directory"],
)
def test_every_other_link_locks_and_says_why(tmp_path: Path, make: object, problem: str) -> None:
    root = tmp_path / "root"
    location = Path(system_policy_paths("lumogon", root=str(root), platform="linux")[0])
    location.parent.mkdir(parents=True)
    make(location, root)  # type: ignore[operator]
    (reading,) = read_policies(locs(root, tmp_path), PURPOSES)
    assert (reading.state, reading.locks) == ("error", True)
    assert problem in reading.problem, reading.problem


def test_a_link_the_environment_adds_is_checked_from_the_real_root(tmp_path: Path) -> None:
    """A location from XDG_CONFIG_DIRS is not under the test's root: its way starts at `/`,
    and a temporary directory (world-writable /tmp) is no way for a policy to come."""
    (tmp_path / "real.toml").write_text("[telemetry]\nenabled = true\n")
    (tmp_path / "policy.toml").symlink_to(tmp_path / "real.toml")
    here = Locations(str(tmp_path / "c"), (str(tmp_path / "policy.toml"),), "i", "l",
                     system_root=str(tmp_path / "root"))  # fmt: skip
    (reading,) = read_policies(here, PURPOSES)
    assert reading.locks and reading.problem.startswith("is a symbolic link that is not followed")


def test_the_file_read_is_the_file_checked(tmp_path: Path) -> None:
    root = tmp_path / "root"
    location, real = nixos(root)
    data, target = read_policy(str(location), 1 << 20, str(root))
    assert (data, target) == (POLICY.encode(), str(real))
    path, st = resolve_trusted(str(location), str(root))
    assert (path, st.st_ino) == (str(real), real.stat().st_ino)
    with pytest.raises(UntrustedLink):
        resolve_trusted(str(location))  # from `/`, through the world-writable /tmp


# --- the walk against an independent oracle ------------------------------------------------

MODES = [0o755, 0o750, 0o775, 0o1775, 0o777, 0o1777, 0o757, 0o555]


def safe_dir(mode: int) -> bool:
    if mode & 0o002:
        return False
    return not (mode & 0o020) or bool(mode & 0o1000)


HOPS = st.lists(
    st.tuples(st.sampled_from(MODES), st.booleans(), st.integers(1, 2)), min_size=1, max_size=4
)
FILE_MODES = st.sampled_from([0o444, 0o644, 0o664, 0o666])
SETTINGS = {"deadline": None, "suppress_health_check": [HealthCheck.function_scoped_fixture]}


@settings(max_examples=40, **SETTINGS)  # type: ignore[arg-type]
@given(hops=HOPS, file_mode=FILE_MODES)
def test_the_walk_accepts_exactly_the_ways_the_oracle_does(
    tmp_path_factory: pytest.TempPathFactory, hops: list[tuple[int, bool, int]], file_mode: int
) -> None:
    walk_against_the_oracle(tmp_path_factory, hops, file_mode)


@pytest.mark.slow
@settings(max_examples=200, **SETTINGS)  # type: ignore[arg-type]
@given(hops=HOPS, file_mode=FILE_MODES)
def test_the_walk_accepts_exactly_the_ways_the_oracle_does_at_length(
    tmp_path_factory: pytest.TempPathFactory, hops: list[tuple[int, bool, int]], file_mode: int
) -> None:
    walk_against_the_oracle(tmp_path_factory, hops, file_mode)


def walk_against_the_oracle(
    tmp_path_factory: pytest.TempPathFactory, hops: list[tuple[int, bool, int]], file_mode: int
) -> None:
    """A chain of links across directories with random modes, absolute or relative, at random
    depths. The oracle knows the chain it built: the way is safe when every directory that
    holds a link or the file, and every directory above them up to the root, is safe, and the
    file too."""
    root = tmp_path_factory.mktemp("walk") / "root"
    location = Path(system_policy_paths("lumogon", root=str(root), platform="linux")[0])
    location.parent.mkdir(parents=True)
    holders = [location.parent]
    modes: dict[Path, int] = {}
    for i, (mode, _, depth) in enumerate(hops):
        d = root.joinpath(*(f"h{i}x{k}" for k in range(depth)))
        d.mkdir(parents=True)
        modes[d] = mode
        holders.append(d)
    real = holders[-1] / "telemetry.toml"
    real.write_text("[telemetry]\nenabled = false\n")
    real.chmod(file_mode)
    for i, (_, absolute, _) in enumerate(hops):
        link = holders[i] / ("telemetry.toml" if i == 0 else f"l{i}")
        nxt = holders[i + 1] / (f"l{i + 1}" if i + 1 < len(hops) else "telemetry.toml")
        link.symlink_to(nxt if absolute else os.path.relpath(nxt, holders[i]))
    for d in sorted({p for h in holders for p in (h, *h.parents) if p.is_relative_to(root)},
                    key=lambda p: -len(p.parts)):  # fmt: skip
        d.chmod(modes.get(d, 0o755))
    ways = {p for h in holders for p in (h, *h.parents) if p.is_relative_to(root)}
    expected = all(safe_dir(modes.get(d, 0o755)) for d in ways) and not file_mode & 0o022
    event("read" if expected else "locked, not followed")
    (reading,) = read_policies(locs(root, root.parent), PURPOSES)
    assert (reading.state == "ok") is expected, (reading.problem, hops, file_mode)
    assert reading.locks  # the policy locks either way: read (enabled = false) or not (fail closed)
    for d in ways:
        d.chmod(0o755)  # let pytest clean up


def test_on_windows_a_link_on_the_way_is_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No owner is checked there (the Windows branch, run here with os.name patched)."""
    import consent._store.safeopen as safeopen

    root = tmp_path / "root"
    location, real = nixos(root)
    (tmp_path / "plain.toml").write_text("[telemetry]\nenabled = false\n")
    (tmp_path / "linked").symlink_to(real.parent)
    monkeypatch.setattr(safeopen.os, "name", "nt")
    with pytest.raises(UntrustedLink, match="is a symbolic link that is not followed on Windows"):
        read_policy(str(location), 1 << 20, str(root))
    with pytest.raises(UntrustedLink, match="is reached through a symbolic link"):
        read_policy(str(tmp_path / "linked" / "telemetry.toml"), 1 << 20)
    assert read_policy(str(tmp_path / "plain.toml"), 1 << 20) == (
        b"[telemetry]\nenabled = false\n",
        "",
    )
    with pytest.raises(FileNotFoundError):
        read_policy(str(tmp_path / "none.toml"), 1 << 20)


def test_a_file_swapped_between_the_check_and_the_open_is_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The file opened must be the file checked (same device and inode)."""
    import consent._store.safeopen as safeopen

    root = tmp_path / "root"
    location, real = nixos(root)
    other = tmp_path / "other.toml"
    other.write_text("[telemetry]\nenabled = true\n")
    checked = resolve_trusted
    monkeypatch.setattr(
        safeopen, "resolve_trusted", lambda p, r="": (checked(p, r)[0], other.stat())
    )
    with pytest.raises(UntrustedLink, match=f"{real} changed as it was checked"):
        read_policy(str(location), 1 << 20, str(root))


def test_a_dangling_link_is_named_so_whatever_else_is_wrong_on_its_way(tmp_path: Path) -> None:
    """From `/`, a temporary directory is writable by every user; the link dangles all the
    same, and that is what an admin must fix first."""
    (tmp_path / "policy.toml").symlink_to(tmp_path / "nowhere.toml")
    here = Locations(str(tmp_path / "c"), (str(tmp_path / "policy.toml"),), "i", "l")
    (reading,) = read_policies(here, PURPOSES)
    assert (reading.state, reading.problem) == (
        "error", "is a dangling symbolic link, not a regular file"
    )  # fmt: skip


def test_managed_preferences_reached_through_a_trusted_link_name_the_file_read(
    tmp_path: Path,
) -> None:
    """A managed-preferences plist behind a link that only root could change is read, and the
    reading names the file it read, as for a policy file."""
    import plistlib

    root = tmp_path / "root"
    location = Path(system_policy_paths("lumogon", platform="darwin", root=str(root), user="")[1])
    real = root / "Library" / "Profiles" / "lumogon.plist"
    real.parent.mkdir(parents=True)
    location.parent.mkdir(parents=True)
    real.write_bytes(plistlib.dumps({"mode": "local"}))
    location.symlink_to(real)
    for d in (root, *root.rglob("*")):
        if d.is_dir() and not d.is_symlink():
            d.chmod(0o755)
    where = Locations(
        str(tmp_path / "config.toml"), (str(location),), str(tmp_path / "id"),
        str(tmp_path / "log"), system_root=str(root),
    )  # fmt: skip
    (reading,) = read_policies(where, PURPOSES)
    assert (reading.state, reading.local, reading.problem) == ("ok", True, "")
    assert reading.target == str(real)
