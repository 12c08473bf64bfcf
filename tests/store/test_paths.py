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
