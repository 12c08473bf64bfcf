"""Our XDG locations are platformdirs' locations, for any environment."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent._store.paths import _platformdirs_locations, _xdg_locations
from tests.helpers import AUDIT_DIR

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="XDG platforms only")

VALUE = st.one_of(
    st.none(),
    st.sampled_from(["", "relative/dir", "/abs/dir", "/abs/dir/", "~/x", "/a b/c", "/"]),
    st.text(alphabet="/ab.~ ", max_size=12),
)
DIRS = st.one_of(
    st.none(),
    st.lists(st.sampled_from(["/etc/xdg", "/opt/etc", "rel", "", "/x/"]), max_size=3).map(
        os.pathsep.join
    ),
)
HOME = st.one_of(st.none(), st.sampled_from(["/home/ada", "/home/ada/", "relative", "", "/"]))


def passwd_home() -> str | None:
    """This user's home directory in the passwd database, if there is an entry."""
    import pwd  # XDG platforms only, like this module

    try:
        return pwd.getpwuid(os.getuid()).pw_dir
    except KeyError:
        return None


@contextlib.contextmanager
def environment(env: dict[str, str], passwd: bool) -> Iterator[None]:
    """os.environ is exactly `env`; without `passwd`, this user has no passwd entry."""
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        if passwd:
            yield
        else:
            with mock.patch("pwd.getpwuid", side_effect=KeyError("no passwd entry")):
                yield
    finally:
        os.environ.clear()
        os.environ.update(saved)


@settings(max_examples=300, deadline=None)
@given(VALUE, VALUE, VALUE, DIRS, HOME, st.booleans())
def test_xdg_locations_match_platformdirs(
    config: str | None,
    data: str | None,
    state: str | None,
    dirs: str | None,
    home: str | None,
    passwd: bool,
) -> None:
    env = {
        k: v
        for k, v in {
            "XDG_CONFIG_HOME": config,
            "XDG_DATA_HOME": data,
            "XDG_STATE_HOME": state,
            "XDG_CONFIG_DIRS": dirs,
            "HOME": home,
        }.items()
        if v is not None
    }
    entry = passwd_home() if passwd else None
    with environment(env, passwd):
        ours = _xdg_locations("lumogon", os.environ)
        try:
            theirs = _platformdirs_locations("lumogon")
        except RuntimeError:
            theirs = None
    # The home is HOME if it is absolute, else the passwd entry's (if that is absolute).
    has_home = any(h is not None and h.startswith("/") for h in (home, entry))
    if has_home:
        assert ours is not None and ours == theirs, (env, passwd, theirs)
    else:
        # No home: the XDG answer steps aside, and locations() asks platformdirs (which cannot
        # find one either) and refuses what it gets (test_no_home_at_all_... below).
        assert ours is None, (env, passwd)


def test_no_home_at_all_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    """HOME unset, no XDG variables, no passwd entry (a container with an arbitrary uid)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("HOME", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME")
    }
    env.update(
        PYTHONPATH=os.pathsep.join(filter(None, [str(AUDIT_DIR), env.get("PYTHONPATH")])),
        CONSENT_FAULT_NO_PASSWD="1",  # consent/testing/_audit/sitecustomize.py: pwd.getpwuid raises
        XDG_CONFIG_DIRS=str(tmp_path / "etc"),
        PYTHON_KEYRING_BACKEND="keyring.backends.fail.Keyring",
    )
    for args in (["version"], ["telemetry", "status"], ["telemetry", "disable"]):
        proc = subprocess.run(
            [sys.executable, "-m", "lumogon", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert "Traceback" not in proc.stderr, proc.stderr
        if args == ["version"]:
            assert proc.returncode == 0 and proc.stdout == "lumogon 0.1.0\n"
            assert proc.stderr == ""
        else:
            assert proc.returncode == 1
            assert proc.stderr.startswith("error: cannot tell where lumogon keeps its files")
            assert "set HOME" in proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == []  # nothing written into the cwd


def test_clean_spells_a_path_as_pathlib_does() -> None:
    """`_clean` stands in for str(Path(p)) on the start's path: every spelling of up to six
    characters of `/`, `.` and a name, leading `//` and `///` included."""
    import itertools

    from consent._store.paths import _clean

    for n in range(7):
        for chars in itertools.product("/.a", repeat=n):
            path = "".join(chars)
            assert _clean(path) == str(Path(path)), path


def test_the_xdg_answer_steps_aside_only_on_android() -> None:
    """Android (both of its variables, with their values) is platformdirs' to answer; one of
    them alone, or another value, is a Linux home like any other."""
    home = {"HOME": "/home/ada"}
    android = {"ANDROID_DATA": "/data", "ANDROID_ROOT": "/system"}
    assert _xdg_locations("lumogon", {**home, **android}) is None
    for env in (
        {"ANDROID_DATA": "/data"},
        {"ANDROID_ROOT": "/system"},
        {"ANDROID_DATA": "/data2", "ANDROID_ROOT": "/system"},
        {"ANDROID_DATA": "/data", "ANDROID_ROOT": "/sys"},
    ):
        found = _xdg_locations("lumogon", {**home, **env})
        assert found is not None, env
        assert found.config_path == "/home/ada/.config/lumogon/config.toml", env


def test_locations_without_a_home_name_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    """When neither the XDG rule nor platformdirs finds a home: ConfigError naming the cause and
    the variables to set; a relative answer (an older platformdirs' `~/...`) is no home either."""
    from consent._errors import ConfigError
    from consent._store import paths
    from consent._store.paths import Locations, locations
    from lumogon import SPEC

    def no_home(name: str) -> Locations:
        raise RuntimeError("could not determine home directory")

    monkeypatch.setattr(paths, "_xdg_locations", lambda name, env: None)
    monkeypatch.setattr(paths, "_platformdirs_locations", no_home)
    with pytest.raises(ConfigError) as raised:
        locations(SPEC)
    assert str(raised.value).startswith(
        "cannot tell where lumogon keeps its files: could not determine home directory"
    )
    assert raised.value.hint == (
        "set HOME (or XDG_CONFIG_HOME, XDG_DATA_HOME and XDG_STATE_HOME) to an absolute "
        "directory; nothing is sent until then"
    )
    for where in range(4):  # each of the paths relative in turn
        parts = ["/c/config.toml", "/d/id", "/s/log", "/etc/xdg/lumogon/telemetry.toml"]
        parts[where] = "rel/" + parts[where][1:]
        relative = Locations(parts[0], (parts[3],), parts[1], parts[2])
        monkeypatch.setattr(paths, "_platformdirs_locations", lambda name, r=relative: r)
        with pytest.raises(ConfigError) as raised:
            locations(SPEC)
        assert raised.value.message == (
            "cannot tell where lumogon keeps its files: no home directory "
            f"({Path(parts[0])} is not an absolute path)"
        )
    found = Locations("/c/config.toml", ("/opt/lumogon/telemetry.toml",), "/d/id", "/s/log")
    monkeypatch.setattr(paths, "_platformdirs_locations", lambda name: found)
    assert locations(SPEC) == paths.with_system(SPEC, found)


def test_the_system_locations_come_first_once_each_with_the_packager_defaults() -> None:
    from consent._store.paths import Locations, defaults_path, with_system
    from lumogon import SPEC

    fixed = "/etc/xdg/lumogon/telemetry.toml"
    found = Locations("/c/config.toml", ("/opt/a.toml", fixed, "/opt/b.toml"), "/d/id", "/s/l")
    got = with_system(SPEC.replace(system_root="/r"), found)
    # Another root moves the fixed location: the environment's /etc/xdg is then one more.
    assert got.policy_paths == ("/r/etc/xdg/lumogon/telemetry.toml", *found.policy_paths)
    assert got.system_root == "/r"
    assert with_system(SPEC, found).policy_paths == (fixed, "/opt/a.toml", "/opt/b.toml")
    assert got.defaults_path == defaults_path("lumogon")
    assert defaults_path("lumogon") == f"{sys.prefix}/share/lumogon/telemetry-defaults.toml"
    assert defaults_path("x", "/opt/py") == "/opt/py/share/x/telemetry-defaults.toml"
    assert found.receipts_path == "/s/consent-receipts.jsonl"
    assert found.receipts_file == Path("/s/consent-receipts.jsonl")
    assert (found.config_file, found.id_file, found.log_file) == (
        Path("/c/config.toml"),
        Path("/d/id"),
        Path("/s/l"),
    )
    assert found.policy_files == tuple(Path(p) for p in found.policy_paths)


def test_without_a_user_database_entry_no_per_user_preferences(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """macOS: the per-user managed preferences need the account's name from the user database;
    without an entry there is none to read (and USER is never asked)."""
    from consent._store.paths import system_policy_paths

    monkeypatch.setenv("USER", "mallory")
    with mock.patch("pwd.getpwuid", side_effect=KeyError("no passwd entry")):
        paths = system_policy_paths("lumogon", platform="darwin")
    assert paths == (
        "/Library/Application Support/lumogon/telemetry.toml",
        "/Library/Managed Preferences/lumogon.plist",
    )
    assert system_policy_paths("lumogon", platform="plan9") == ()
    assert system_policy_paths("lumogon", platform="cygwin") == (
        "C:\\ProgramData\\lumogon\\telemetry.toml",
    )


def test_the_xdg_rule_answers_without_platformdirs_from_an_absolute_home(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Where the XDG rule finds a home, platformdirs (5 ms to import) is never asked; the home
    loses only its trailing separators; a home from the user database that is not absolute is
    no home."""
    from types import SimpleNamespace

    from consent._store import paths
    from consent._store.paths import locations
    from lumogon import SPEC

    def asked(name: str) -> None:
        raise AssertionError("platformdirs asked")

    monkeypatch.setattr(paths, "_platformdirs_locations", asked)
    monkeypatch.setenv("HOME", "/home/MAX//")
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(var, raising=False)
    assert locations(SPEC).config_path == "/home/MAX/.config/lumogon/config.toml"
    with mock.patch("pwd.getpwuid", return_value=SimpleNamespace(pw_dir="home/ada")):
        assert _xdg_locations("lumogon", {}) is None
    with mock.patch("pwd.getpwuid", return_value=SimpleNamespace(pw_dir="/home/ada/")):
        found = _xdg_locations("lumogon", {})
    assert found is not None and found.log_path == (
        "/home/ada/.local/state/lumogon/telemetry-log.jsonl"
    )


def test_locations_read_the_variables_they_are_given(monkeypatch: pytest.MonkeyPatch) -> None:
    """An off run decides with the variables its command started with (consent/_start.py
    `OffScope`), not with what the process holds by then."""
    from consent._store.paths import locations
    from lumogon import SPEC

    monkeypatch.setenv("XDG_CONFIG_HOME", "/later/config")
    given = {"HOME": "/h", "XDG_CONFIG_HOME": "/then/config"}
    assert locations(SPEC, given).config_path == "/then/config/lumogon/config.toml"
    assert locations(SPEC).config_path == "/later/config/lumogon/config.toml"
