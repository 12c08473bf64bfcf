"""lumogon/docker.py: the Docker Engine read over its unix socket, and every pathological answer
(huge, malformed, slow, an error, not HTTP, no engine) ending in a bounded, clear DockerError."""

from __future__ import annotations

import json
import os
import shutil
import socket
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lumogon.docker import (
    DEFAULT_SOCKET,
    Container,
    Engine,
    _hint,
    parse_containers,
    parse_engine,
    scan,
    shown,
    socket_path,
)
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


def test_a_docker_host_in_any_case_and_space() -> None:
    assert socket_path({"DOCKER_HOST": "UNIX:///run/d.sock"}) == "/run/d.sock"
    assert socket_path({"DOCKER_HOST": "   "}) == DEFAULT_SOCKET
    with pytest.raises(DockerError) as caught:
        socket_path({"DOCKER_HOST": "tcp://10.0.0.5:2375"})
    assert caught.value.message == (
        "DOCKER_HOST='tcp://10.0.0.5:2375' is not supported: lumogon reads the Docker Engine "
        "only through its unix socket"
    )
    assert caught.value.hint == "unset DOCKER_HOST, or set it to unix:///path/to/docker.sock"


def test_the_engine_is_its_version_and_platform() -> None:
    body = b'{"Version": "27.3.1", "ApiVersion": "1.47", "Os": "linux", "Arch": "arm64"}'
    assert parse_engine(body) == Engine("27.3.1", "1.47", "linux", "arm64")
    assert parse_engine(b"{}") == Engine("", "", "", "")


@pytest.mark.parametrize(
    ("body", "why"),
    [
        (b"[]", "it is not a JSON object"),
        (b'{"Version": 27}', "'Version' is not a string"),
        (b'{"Version": "1", "Arch": null}', "'Arch' is not a string"),
        (b"{", "it is not JSON, or nested too deeply"),
    ],
)
def test_a_malformed_version_says_what_is_wrong(body: bytes, why: str) -> None:
    with pytest.raises(DockerError) as caught:
        parse_engine(body)
    assert caught.value.message == f"the Docker Engine's answer to GET /version is malformed: {why}"
    assert caught.value.hint == "check that DOCKER_HOST names a Docker Engine's socket"


@pytest.mark.parametrize(
    ("item", "why"),
    [
        ("x", "item 1 is not an object"),
        ({"Names": ["/a"]}, "item 1 has no 'Id'"),
        ({"Id": ""}, "item 1 has no 'Id'"),
        ({"Id": 7}, "item 1 has no 'Id'"),
        ({"Id": "b", "Image": 1}, "item 1: 'Image' is not a string"),
        ({"Id": "b", "ImageID": ["x"]}, "item 1: 'ImageID' is not a string"),
        ({"Id": "b", "State": {"a": 1}}, "item 1: 'State' is not a string"),
        ({"Id": "b", "Status": True}, "item 1: 'Status' is not a string"),
        ({"Id": "b", "Names": "/b"}, "item 1: 'Names' is not a list of strings"),
        ({"Id": "b", "Names": ["/b", 2]}, "item 1: 'Names' is not a list of strings"),
        ({"Id": "b", "Created": True}, "item 1: 'Created' is not an integer"),
        ({"Id": "b", "Created": 1.5}, "item 1: 'Created' is not an integer"),
        ({"Id": "b", "Labels": ["a"]}, "item 1: 'Labels' is not an object of strings"),
        ({"Id": "b", "Labels": {"a": 1}}, "item 1: 'Labels' is not an object of strings"),
    ],
)
def test_a_malformed_listing_says_which_item_and_what(item: object, why: str) -> None:
    body = json.dumps([{"Id": "a"}, item]).encode()
    with pytest.raises(DockerError) as caught:
        parse_containers(body)
    assert caught.value.message == (
        f"the Docker Engine's answer to GET /containers/json is malformed: {why}"
    )


def test_a_listing_item_with_only_an_id() -> None:
    (only,) = parse_containers(b'[{"Id": "a", "Names": [], "Labels": null, "Created": null}]')
    assert only == Container("a", "", "", "", 0, "", "", ())
    (full,) = parse_containers(
        json.dumps(
            [{"Id": "b", "Names": ["/web", "/alias"], "Labels": {"z": "1", "a": "2"},
              "Image": "i", "ImageID": "sha", "State": "running", "Status": "Up", "Created": 5}]
        ).encode()
    )  # fmt: skip
    assert full == Container("b", "web", "i", "sha", 5, "running", "Up", (("a", "2"), ("z", "1")))
    with pytest.raises(DockerError) as caught:
        parse_containers(b'{"Id": "a"}')
    assert caught.value.message.endswith("/containers/json is malformed: it is not a JSON list")
    (named,) = parse_containers(b'[{"Id": "c", "Names": ["/Xena"]}]')
    assert named.name == "Xena"  # only the slash the engine puts first is taken off


@pytest.mark.parametrize(
    ("text", "limit", "safe"),
    [
        ("plain", 200, "plain"),
        ("a\x1b[2Jb\x7f", 200, "a\\x1b[2Jb\\x7f"),
        ("\u2028\U000e0001", 200, "\\u2028\\U000e0001"),
        ("abcdef", 3, "abc…"),
        ("abc", 3, "abc"),
    ],
)
def test_a_peer_s_text_is_shown_escaped_and_cut(text: str, limit: int, safe: str) -> None:
    assert shown(text, limit) == safe


@pytest.mark.parametrize(
    ("cause", "hint"),
    [
        (
            PermissionError(13, "Permission denied"),
            "run lumogon as a user allowed to use Docker (the docker group), or with sudo",
        ),
        (
            FileNotFoundError(2, "No such file"),
            "is Docker running? If its socket is elsewhere, set "
            "DOCKER_HOST=unix:///path/to/docker.sock",
        ),
        (
            ConnectionRefusedError(111, "refused"),
            "is Docker running? If its socket is elsewhere, set "
            "DOCKER_HOST=unix:///path/to/docker.sock",
        ),
        (None, "check that Docker is running and that DOCKER_HOST names its socket"),
    ],
)
def test_what_to_do_depends_on_what_failed(cause: BaseException | None, hint: str) -> None:
    assert _hint(cause) == hint


def test_an_engine_s_error_in_words() -> None:
    with FakeEngine(behaviour="http500") as engine, pytest.raises(DockerError) as caught:
        scan(engine_env(engine))
    assert caught.value.message == (
        f"the Docker Engine at {engine.path} answered GET /containers/json with HTTP 500: "
        "Cannot connect to containerd\\x1b[31m"
    )
    assert caught.value.hint == "check that the engine is healthy (`docker info`)"
    assert engine.requests == ["/version", "/containers/json"]


@pytest.mark.parametrize(
    ("raw", "tail"),
    [
        (b'{"message": ""}', ""),
        (b'{"message": 3}', ""),
        (b'["boom"]', ""),
        (b"boom", ""),
        (b'{"message": "' + b"m" * 201 + b'"}', ": " + "m" * 200 + "…"),
    ],
)
def test_an_engine_s_error_without_a_message(raw: bytes, tail: str) -> None:
    with FakeEngine(behaviour="raw") as engine, pytest.raises(DockerError) as caught:
        engine.raw = (
            b"HTTP/1.1 404 Gone\r\nContent-Length: "
            + str(len(raw)).encode()
            + b"\r\nConnection: close\r\n\r\n"
            + raw
        )
        scan(engine_env(engine))
    assert caught.value.message.endswith(f"GET /containers/json with HTTP 404{tail}")


def test_no_socket_permission_is_a_hint_to_the_docker_group(tmp_path: Path) -> None:
    with pytest.raises(DockerError) as caught:
        scan({"DOCKER_HOST": f"unix://{tmp_path}"})  # a directory: not a socket
    assert caught.value.message.startswith(
        f"cannot read the Docker Engine at {tmp_path} (GET /version): "
    )


def test_the_engine_is_asked_for_json() -> None:
    with FakeEngine(count=1) as engine:
        scan(engine_env(engine))
    assert engine.accepts == ["application/json", "application/json"]


def test_a_version_answer_over_64_kib_is_refused() -> None:
    """The cap docs/security.md states for GET /version."""
    with FakeEngine() as engine:
        engine.version_raw = b"HTTP/1.1 200 OK\r\nContent-Length: 65536\r\n\r\n" + b" " * 65536
        with pytest.raises(DockerError, match="GET /version is malformed: it is not JSON"):
            scan(engine_env(engine))
        engine.version_raw = b"HTTP/1.1 200 OK\r\nContent-Length: 65537\r\n\r\n" + b" " * 65537
        with pytest.raises(
            DockerError, match=r"\(GET /version\): the answer is larger than 64 KiB"
        ):
            scan(engine_env(engine))
