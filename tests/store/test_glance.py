"""The start's glance at the files (consent/_glance.py `files_off`), held to the full readers.

It may say "off" (True) only where the full decision sends, keeps and shows nothing; None only
where nothing is recorded; False wherever only the full decision can tell. These tests read real
files in a temporary directory, through the environment and platform `files_off` is given, and
compare each answer the glance gives for itself with the full reader's (consent/_core/records.py,
consent/_store/sources.py `read_project`).
"""

from __future__ import annotations

import itertools
import os
import shutil
import stat
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from consent._core.records import consent_record, policy_locks, project_terms
from consent._glance import (
    _GLANCE_BYTES,
    _policy_locks,
    _project_opts_out,
    files_off,
    parse_simple,
)
from consent._store.sources import read_project
from consent._store.tomlread import read_toml

APP = "lumogon"
LOCKS = "[telemetry]\nenabled = false\n"
SAYS_NO = "[telemetry]\nenabled = false\n"
SAYS_YES = "[telemetry]\nenabled = true\n"

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="XDG paths, FIFOs and /proc: Linux"
)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


class World:
    """A home, an XDG config home and config dirs under `root`, and where each file goes."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.home = root / "home"
        self.work = self.home / "work" / "repo"
        self.work.mkdir(parents=True)
        self.env = {
            "HOME": str(self.home),
            "XDG_CONFIG_HOME": str(root / "config"),
            "XDG_CONFIG_DIRS": str(root / "etc"),
        }
        self.config = root / "config" / APP / "config.toml"
        self.policy = root / "etc" / APP / "telemetry.toml"

    def off(
        self,
        *,
        env: Mapping[str, str | None] | None = None,
        cwd: Path | str | None = None,
        root: Path | str = "",
        platform: str | None = None,
    ) -> bool | None:
        """files_off for this world, with some variables changed (None: unset)."""
        merged: dict[str, str | None] = {**self.env, **(env or {})}
        environ = {k: v for k, v in merged.items() if v is not None}
        where = str(self.work if cwd is None else cwd)
        return files_off(APP, str(root), environ, where, platform)


@pytest.fixture
def world(tmp_path: Path) -> World:
    return World(tmp_path)


# --- the policy's and the project file's answers are the full reader's --------------------------

# Every shape a plain document takes (parse_simple's: tables of strings, booleans and integers,
# or such values at the top level), over the keys and values these readers tell apart.
_VALUES = (True, False, "off", "send", "local", 0)
_KEYS = ("enabled", "mode", "disabled_purposes", "endpoint")


def _tables() -> list[dict[str, object]]:
    tables: list[dict[str, object]] = []
    for chosen in itertools.product((None, *_VALUES), repeat=len(_KEYS)):
        tables.append({k: v for k, v in zip(_KEYS, chosen, strict=True) if v is not None})
    return tables


def _documents() -> list[dict[str, object]]:
    docs: list[dict[str, object]] = [{}, {"other": 1}, {"Telemetry": {}}, {"enabled": False}]
    docs += [{"telemetry": v} for v in _VALUES]
    for table in _tables():
        docs.append({"telemetry": table})
        if len(table) == 1:
            docs += [{"telemetry": table, "other": {}}, {"other": {}, "telemetry": table}]
            docs += [{"Telemetry": table}, {"telemetry": {**table, "Enabled": False}}]
            docs += [{"telemetry": {"other": 1, **table}}]
    return docs


def test_the_policy_and_project_answers_are_the_full_readers() -> None:
    """consent/_core/records.py `policy_locks` and `project_terms` decide a policy and a project
    file; the glance gives their answer on every plain document (not only the clean ones)."""
    docs = _documents()
    assert len(docs) > 2000
    for doc in docs:
        assert _policy_locks(doc) is policy_locks(doc)[0], doc
        assert _project_opts_out(doc) is project_terms(doc)[0], doc


# --- the files, where the full decision looks for them --------------------------------------------


def test_each_file_is_read_where_and_as_the_full_decision_reads_it(world: World) -> None:
    assert world.off() is None  # nothing recorded
    # The person's config: `[telemetry] enabled = false` is a no for every purpose.
    write(world.config, SAYS_NO)
    assert world.off() is True
    write(world.config, SAYS_NO + 'mode = "send"\nnotice_version = "x"\n')
    assert world.off() is True
    write(world.config, SAYS_NO + 'mode = "local"\n')  # local mode may keep what a no refused
    assert world.off() is False
    assert consent_record(parse_simple(SAYS_NO + 'mode = "local"\n') or {}).mode == "local"
    write(world.config, SAYS_NO + "decided_via = 3\n")  # not a record the full reader reads
    assert world.off() is False
    for text in (SAYS_YES, "[telemetry]\n", "[other]\nenabled = false\n", "telemetry = 1\n"):
        write(world.config, text)
        assert world.off() is False, text  # recorded, not a no: the full decision's
    # The config home: $XDG_CONFIG_HOME when absolute, else ~/.config (consent/_store/paths.py).
    world.config.unlink()
    assert world.off() is None
    home_config = write(world.home / ".config" / APP / "config.toml", SAYS_NO)
    for value in (None, "", "relative/config"):
        assert world.off(env={"XDG_CONFIG_HOME": value}) is True, value
    # HOME spelled with a trailing slash is the same home.
    assert world.off(env={"XDG_CONFIG_HOME": None, "HOME": str(world.home) + "/"}) is True
    home_config.unlink()
    # A HOME that is not an absolute path, or none: paths.py asks pwd, the full decision's.
    write(world.config, SAYS_NO)
    assert world.off(env={"HOME": "home"}) is False
    assert world.off(env={"HOME": None}) is False
    # Only the XDG platforms' locations are the glance's; Android's are platformdirs'.
    for platform in ("linux", "freebsd14", "openbsd7", "netbsd10", "dragonfly6"):
        assert world.off(platform=platform) is True, platform
    for platform in ("darwin", "win32", "cygwin", "emscripten"):
        assert world.off(platform=platform) is False, platform
    android = {"ANDROID_DATA": "/data", "ANDROID_ROOT": "/system"}
    assert world.off(env=android) is False
    with pytest.MonkeyPatch.context() as patch:  # Python built for Android says so in sys
        patch.setattr(sys, "getandroidapilevel", lambda: 34, raising=False)
        assert world.off() is False
    assert world.off(env={"ANDROID_DATA": "/data"}) is True
    assert world.off(env={"ANDROID_ROOT": "/system"}) is True


def test_a_policy_locks_where_the_full_reader_locks(world: World) -> None:
    write(world.config, SAYS_YES)
    assert world.off() is False
    unlocking = (
        "[telemetry]\nenabled = true\n"
        'disabled_purposes = "usage"\nmode = "send"\nendpoint = "https://c.example/"\n'
    )
    for text, locks in (
        (LOCKS, True),
        ('[telemetry]\nmode = "off"\n', True),
        ('[telemetry]\nmode = "local"\n', False),
        (unlocking, False),
        ("", False),
    ):
        write(world.policy, text)
        assert world.off() is locks, text
        assert policy_locks(parse_simple(text) or {})[0] is locks, text
    # Every directory of $XDG_CONFIG_DIRS, and the system root's /etc/xdg.
    world.policy.unlink()
    other = world.root / "etc2"
    write(other / APP / "telemetry.toml", LOCKS)
    assert world.off() is False
    assert world.off(env={"XDG_CONFIG_DIRS": f"{world.root / 'etc'}:{other}"}) is True
    (other / APP / "telemetry.toml").unlink()
    system = world.root / "system"
    write(system / "etc" / "xdg" / APP / "telemetry.toml", LOCKS)
    assert world.off(root=system) is True
    assert world.off(root=str(system) + "/") is True


# --- the per-project opt-out ----------------------------------------------------------------------


def test_the_project_search_stops_where_the_full_readers_does(world: World) -> None:
    write(world.config, SAYS_YES)

    def project(folder: Path, text: str = LOCKS) -> Path:
        return write(folder / f".{APP}" / "telemetry.toml", text)

    def gone(file: Path) -> None:
        shutil.rmtree(file.parent)

    def full(cwd: Path, home: Path | str) -> bool:
        return read_project(APP, str(cwd), str(home)).disables

    # One directory up, and in the working directory that is the home.
    opt_out = project(world.home / "work")
    assert world.off() is True and full(world.work, world.home)
    gone(opt_out)
    opt_out = project(world.home)
    assert world.off(cwd=world.home) is True and full(world.home, world.home)
    gone(opt_out)
    # Above the home: the search has stopped, here and in the full reader (HOME spelled with a
    # trailing slash too).
    above = project(world.root)
    assert world.off() is False and not full(world.work, world.home)
    assert world.off(env={"HOME": f"{world.home}/"}) is False
    # A HOME spelled through a link: the full reader resolves it to stop at the real home; the
    # glance leaves the working directory outside the spelled HOME to it, rather than search on.
    real = world.root / "real"
    (real / "home" / "work").mkdir(parents=True)
    project(real)
    link = world.root / "link"
    link.symlink_to(real / "home")
    env = {"HOME": str(link)}
    assert not full(real / "home" / "work", link)
    assert world.off(cwd=real / "home" / "work", env=env) is False
    gone(above)
    # At most 32 directories, the working directory the first (docs/configuration.md).
    deep = world.home.joinpath(*[f"d{i}" for i in range(40)])
    deep.mkdir(parents=True)
    found = project(deep.parents[30])  # the 32nd directory
    assert world.off(cwd=deep) is True and full(deep, world.home)
    gone(found)
    found = project(deep.parents[31])  # the 33rd
    assert world.off(cwd=deep) is False and not full(deep, world.home)
    gone(found)
    # The project file through a link, followed as the full reader follows it.
    linked = write(world.root / "shared" / "telemetry.toml", LOCKS)
    (world.home / "work" / f".{APP}").mkdir()
    (world.home / "work" / f".{APP}" / "telemetry.toml").symlink_to(linked)
    assert world.off() is True and full(world.work, world.home)


def test_where_the_glance_looks_with_the_defaults(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no XDG variable, HOME the root and no system root: the policy in /etc/xdg (as the
    system root's and as the default config dir), the config in /.config (consent/_store/paths.py
    spells them so). Only the paths opened are looked at: these are the real machine's."""
    opened: list[str] = []
    real_open = os.open

    def record(path: str, flags: int, *args: int) -> int:
        opened.append("/" + str(path).lstrip("/"))  # a leading "//" is "/" here
        # Never blocked by a FIFO, never inherited by a child a host's thread starts meanwhile.
        assert flags & os.O_NONBLOCK and flags & os.O_CLOEXEC, path
        return real_open(path, flags, *args)

    with monkeypatch.context() as patch:
        patch.setattr(os, "open", record)
        files_off(APP, "", {"HOME": "/"}, str(world.work))
    policy, config = f"/etc/xdg/{APP}/telemetry.toml", f"/.config/{APP}/config.toml"
    assert [p for p in opened if not p.endswith(f"/.{APP}/telemetry.toml")] == [
        policy,
        policy,
        config,
    ]


def test_a_home_of_any_name(tmp_path: Path) -> None:
    """A home whose name ends in a letter (here "X"): its config and its projects are found."""
    world = World(tmp_path)
    home = tmp_path / "homeX"
    work = home / "work" / "repo"
    work.mkdir(parents=True)
    env = {"HOME": str(home), "XDG_CONFIG_HOME": None}
    write(home / ".config" / APP / "config.toml", SAYS_NO)
    assert world.off(env=env, cwd=work) is True
    write(home / ".config" / APP / "config.toml", SAYS_YES)
    write(home / "work" / f".{APP}" / "telemetry.toml", LOCKS)
    assert world.off(env=env, cwd=work) is True


def test_a_nearer_project_file_never_lifts_a_parents_opt_out(world: World) -> None:
    """consent/_store/sources.py `read_project`: the first file that disables decides; one that
    says nothing, only `enabled = true`, or is no file at all, does not end the search."""
    write(world.config, SAYS_YES)
    write(world.home / "work" / f".{APP}" / "telemetry.toml", LOCKS)
    nearer = world.work / f".{APP}"
    for text in (None, "", "[telemetry]\n", SAYS_YES, "# caf\u00e9\n", "file"):
        if text == "file":
            nearer.write_text("")  # a file named `.lumogon`: no project file in it
        else:
            nearer.mkdir()
            if text is not None:
                write(nearer / "telemetry.toml", text)
        assert read_project(APP, str(world.work), str(world.home)).disables, text
        assert world.off() is True, text
        if nearer.is_dir():
            shutil.rmtree(nearer)
        else:
            nearer.unlink()


def test_a_working_directory_that_is_gone_is_the_full_decisions(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    gone = world.home / "gone"
    gone.mkdir()
    monkeypatch.chdir(gone)
    gone.rmdir()
    write(world.config, SAYS_NO)
    env = dict(world.env)
    assert files_off(APP, "", env, None) is True  # the config still says no
    write(world.config, SAYS_YES)
    assert files_off(APP, "", env, None) is False


# --- the files themselves: size, kind, links ------------------------------------------------------


def _open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def test_the_glance_reads_small_regular_files_only(world: World) -> None:
    before = _open_fds()
    # Exactly its 64 KiB is read; a byte more is the full reader's (tomlread's caps).
    pad = _GLANCE_BYTES - len(SAYS_NO)
    filler = ("#" * 99 + "\n") * (pad // 100) + "#" * (pad % 100 - 1) + "\n"
    write(world.config, SAYS_NO + filler)
    assert world.config.stat().st_size == _GLANCE_BYTES == 64 * 1024
    assert world.off() is True
    write(world.config, SAYS_NO + filler + "#")
    assert world.off() is False  # recorded, too large to glance at: not "nothing recorded"
    # Recorded, yet not read at a glance: never "nothing recorded" either.
    world.config.write_bytes(SAYS_NO.encode() + b"# \xff\n")  # not UTF-8
    assert world.off() is False
    write(world.config, SAYS_NO + 'local_purposes = "usage"\n')
    assert world.off() is not None
    world.config.unlink()
    world.config.symlink_to(world.config)  # a link that loops
    assert world.off() is False
    # A dangling link where the config belongs is no config, as the full reader finds it.
    world.config.unlink()
    world.config.symlink_to(world.root / "nowhere.toml")
    assert world.off() is None
    assert read_toml(str(world.config)).state == "missing"
    # A FIFO is never read: its writer's bytes stay in it.
    world.config.unlink()
    os.mkfifo(world.config)
    writer = os.open(world.config, os.O_RDWR | os.O_NONBLOCK)
    try:
        os.write(writer, SAYS_NO.encode())
        assert world.off() is False
        assert os.read(writer, 100) == SAYS_NO.encode()
    finally:
        os.close(writer)
    world.config.unlink()
    # The config is followed through a link, as the full reader follows it.
    target = write(world.root / "dotfiles" / "config.toml", SAYS_NO)
    world.config.symlink_to(target)
    assert world.off() is True
    # A regular file that cannot be read (here the process's own memory: EIO at offset 0).
    world.config.unlink()
    world.config.symlink_to("/proc/self/mem")
    assert stat.S_ISREG(world.config.stat().st_mode)
    assert world.off() is False
    world.config.unlink()
    # A policy reached through a link is the full reader's (consent/_store/safeopen.py trusts a
    # link only where no one but root could change it): the glance does not follow it.
    write(world.config, SAYS_YES)
    world.policy.parent.mkdir(parents=True)
    world.policy.symlink_to(write(world.root / "store" / "telemetry.toml", LOCKS))
    assert world.off() is False
    assert _open_fds() == before  # every file it opened, it closed
