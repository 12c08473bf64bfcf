"""lumogon/docker.py: the Docker Engine read over its unix socket, and every pathological answer
(huge, malformed, slow, an error, not HTTP, no engine) ending in a bounded, clear DockerError."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lumogon.docker import DEFAULT_SOCKET, parse_containers, scan, socket_path
from lumogon.errors import DockerError

from tests.lumogon.fakes import FakeEngine, engine_env


def test_the_socket_comes_from_docker_host() -> None:
    assert socket_path({}) == DEFAULT_SOCKET == "/var/run/docker.sock"
    assert socket_path({"DOCKER_HOST": " unix:///run/user/1000/docker.sock "}) == (
        "/run/user/1000/docker.sock"
    )


@pytest.mark.parametrize("host", ["tcp://10.0.0.5:2375", "ssh://ada@box", "unix://", "/x.sock"])
def test_a_docker_host_other_than_a_unix_socket_is_refused(host: str) -> None:
    with pytest.raises(DockerError) as caught:
        socket_path({"DOCKER_HOST": host})
    assert "only through its unix socket" in caught.value.message
    assert "unix:///path/to/docker.sock" in caught.value.hint


def test_scan_lists_the_running_containers() -> None:
    with FakeEngine(count=3) as engine:
        found = scan(engine_env(engine))
    assert engine.requests == ["/version", "/containers/json"]  # nothing inspected beyond
    assert found.socket == engine.path
    assert (found.engine.version, found.engine.api_version) == ("27.3.1", "1.47")
    assert [c.name for c in found.containers] == ["web-0", "web-1", "web-2"]
    first = found.containers[0]
    assert first.id == "0" * 64 and first.image == "nginx:1.27" and first.created == 1764590400
    assert first.labels == (("com.example.team", "edge"),)


def test_no_engine_says_so_and_what_to_do() -> None:
    with pytest.raises(DockerError) as caught:
        scan({"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    text = str(caught.value)
    assert text.startswith("cannot read the Docker Engine at /nonexistent/docker.sock")
    assert "no such socket" in text and "is Docker running?" in text


def test_a_socket_where_nothing_listens() -> None:
    where = tempfile.mkdtemp(prefix="lgd")  # short: a unix socket path has ~100 bytes
    path = os.path.join(where, "docker.sock")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.bind(path)  # bound, never listening
            with pytest.raises(DockerError) as caught:
                scan({"DOCKER_HOST": f"unix://{path}"})
    finally:
        shutil.rmtree(where, ignore_errors=True)
    assert (
        "connection refused" in caught.value.message and "is Docker running?" in caught.value.hint
    )


@pytest.mark.parametrize(
    ("behaviour", "expected"),
    [
        ("huge", "GET /containers/json): the answer is larger than 16384 KiB"),
        ("malformed", "answer to GET /containers/json is malformed: it is not JSON"),
        ("wrong-shape", "malformed: item 0: 'Created' is not an integer"),
        ("http500", "answered GET /containers/json with HTTP 500: Cannot connect to containerd"),
        ("garbage", "the answer is not valid HTTP"),
    ],
)
def test_a_pathological_engine_is_a_clear_error(behaviour: str, expected: str) -> None:
    with FakeEngine(behaviour=behaviour) as engine, pytest.raises(DockerError) as caught:
        scan(engine_env(engine))
    assert expected in caught.value.message
    assert caught.value.hint  # always something to do
    assert "\x1b" not in str(caught.value)  # the engine's text cannot reach the terminal raw


def test_a_slow_engine_meets_the_deadline() -> None:
    """The fake answers one byte every 0.2 s: the whole exchange is cut at the deadline, however
    many bytes still trickle in."""
    with FakeEngine(behaviour="slow") as engine, pytest.raises(DockerError) as caught:
        scan(engine_env(engine), deadline=0.5)
    assert "no complete answer within 0.5 s" in caught.value.message


def test_a_smaller_cap_is_kept() -> None:
    with FakeEngine(count=50) as engine, pytest.raises(DockerError, match="larger than 4 KiB"):
        scan(engine_env(engine), max_bytes=4096)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
ITEM = st.fixed_dictionaries(
    {},
    optional={
        "Id": st.one_of(st.text(max_size=8), JSON),
        "Names": st.one_of(st.lists(st.text(max_size=8), max_size=3), JSON),
        "Image": JSON,
        "Created": st.one_of(st.integers(), JSON),
        "Labels": st.one_of(st.dictionaries(st.text(max_size=4), st.text(max_size=4)), JSON),
        "State": JSON,
    },
)


@given(st.one_of(JSON, st.lists(st.one_of(ITEM, JSON), max_size=4)))
def test_any_json_is_a_listing_or_a_docker_error(data: object) -> None:
    try:
        found = parse_containers(json.dumps(data).encode())
    except DockerError as exc:
        assert "malformed" in exc.message
    else:
        assert isinstance(data, list) and len(found) == len(data)
        assert all(c.id and isinstance(c.created, int) for c in found)


@given(st.binary(max_size=64))
def test_any_bytes_are_a_listing_or_a_docker_error(body: bytes) -> None:
    try:
        found = parse_containers(body)
    except DockerError as exc:
        assert "malformed" in exc.message
    else:
        assert isinstance(found, tuple)
