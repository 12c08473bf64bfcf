"""Our XDG locations are platformdirs' locations, for any environment."""

from __future__ import annotations

import os
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from consent.paths import _platformdirs_locations, _xdg_locations

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


@settings(max_examples=300, deadline=None)
@given(VALUE, VALUE, VALUE, DIRS, HOME)
def test_xdg_locations_match_platformdirs(
    config: str | None, data: str | None, state: str | None, dirs: str | None, home: str | None
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
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        ours = _xdg_locations("lumogon", os.environ)
        try:
            theirs = _platformdirs_locations("lumogon")
        except RuntimeError:
            theirs = None
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if ours is not None and theirs is not None:
        assert ours == theirs, env
    else:
        assert theirs is None or ours is None
