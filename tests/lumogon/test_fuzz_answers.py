"""lumogon's readers of peers' answers, fuzzed (issue 24): the Docker Engine's and the report
service's. Each answers raw bytes (status line, headers, body, as they come), through the real
transport (lumogon/transport.py) over a real socket.

Each `test_fuzz_<reader>` holds its reader to the bound docs/security.md states for it
("Readers of outside input"). The harness is tests/fuzz.py.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import strategies as st
from lumogon.cli import error_text
from lumogon.docker import Scan, scan
from lumogon.errors import DockerError, UploadError
from lumogon.report import parse_answer, upload
from lumogon.transport import MAX_DEPTH

from consent import parse_endpoint
from tests.fuzz import ESCAPES, hostile_json, json_parser_calls, run, terminal_safe
from tests.lumogon.fakes import FakeEngine, FakeService, containers, engine_env

# Each example is a connection and an answer: fewer than for the in-process readers.
EXAMPLES = [pytest.param(15, id="few"), pytest.param(120, id="many", marks=pytest.mark.slow)]


def http(status: bytes, headers: list[bytes], body: bytes) -> bytes:
    return b"HTTP/1.1 " + status + b"\r\n" + b"".join(h + b"\r\n" for h in headers) + b"\r\n" + body


def answers(good: bytes) -> st.SearchStrategy[bytes]:
    """Raw answers: well-formed around a hostile body, odd status lines and lengths, bytes."""
    body = st.one_of(
        hostile_json(),
        st.just(good),
        st.integers(1, 20).map(lambda n: json.dumps(containers(n * 50)).encode()),  # size
        st.sampled_from(ESCAPES).map(
            lambda e: json.dumps({"message": f"boom{e}", "url": f"https://x/{e}"}).encode()
        ),
    )
    status = st.sampled_from([b"200 OK", b"500 x", b"201", b"404 Not Found", b"2000 x", b"\xb2"])
    length = st.sampled_from([None, b"0", b"5", b"\xb2", b"99999999999", b"-1", b"x"])
    return st.one_of(
        st.builds(
            lambda s, n, b: http(
                s, [b"Connection: close"] + ([] if n is None else [b"Content-Length: " + n]), b
            ),
            status,
            length,
            body,
        ),
        st.builds(
            lambda s, b: http(s, [b"Content-Length: " + str(len(b)).encode()], b), status, body
        ),
        st.binary(max_size=200),
    )


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_docker_answer(examples: int) -> None:
    """Whatever the Docker Engine answers: the scan, or a DockerError whose `error:` line is
    escaped; no text deeper than 16 levels reaches the json parser."""

    with FakeEngine(behaviour="raw") as engine:

        def prop(raw: bytes) -> None:
            engine.raw = raw
            with json_parser_calls() as parsed:
                try:
                    found = scan(engine_env(engine), deadline=10.0)
                except DockerError as exc:
                    assert terminal_safe(error_text(exc))
                else:
                    assert isinstance(found, Scan)
            assert max(parsed, default=0) <= MAX_DEPTH

        deep = http(b"500 x", [b"Connection: close"], b'{"message": ' + b"[" * 100_000 + b"}")
        odd = http(b"200 OK", [b"Content-Length: \xb2", b"Connection: close"], b"[]")
        good = json.dumps(containers(2)).encode()
        run(prop, answers(good), examples=examples, always=((deep,), (odd,)))


def test_an_engines_error_nested_deeply_is_an_error_not_a_traceback() -> None:
    """Regression (issue 24): a Docker Engine's error answer nested 100 000 deep crashed
    `lumogon scan` and `report` with a RecursionError."""
    with FakeEngine(behaviour="deep-error") as engine, pytest.raises(DockerError) as caught:
        scan(engine_env(engine))
    assert caught.value.message.endswith("answered GET /containers/json with HTTP 500")


@pytest.mark.parametrize("examples", EXAMPLES)
def test_fuzz_report_answer(examples: int) -> None:
    """Whatever the report service answers: a printable URL or id without spaces, or an
    UploadError whose `error:` line is escaped; no text deeper than 16 levels reaches the json
    parser."""
    with FakeService(behaviour="raw") as service:
        endpoint = parse_endpoint(service.url)

        def prop(raw: bytes) -> None:
            service.raw = raw
            with json_parser_calls() as parsed:
                try:
                    where = upload(b"{}", endpoint, deadline=10.0)
                except UploadError as exc:
                    assert terminal_safe(error_text(exc))
                else:
                    assert where.isascii() and where.isprintable() and " " not in where
                    assert parse_answer(raw.partition(b"\r\n\r\n")[2]) == where
            assert max(parsed, default=0) <= MAX_DEPTH

        good = json.dumps({"url": "https://reports.example/r/1"}).encode()
        deep = http(b"500 x", [b"Connection: close"], b'{"error": ' + b"[" * 100_000 + b"}")
        run(prop, answers(good), examples=examples, always=((deep,),))


def test_a_length_in_other_digits_is_an_error_not_a_traceback() -> None:
    """Found by the fuzz harness: `Content-Length: ²` (a digit to str.isdigit, read as latin-1)
    made int() raise ValueError in the transport: a traceback from `lumogon scan`."""
    with FakeEngine(behaviour="raw") as engine:
        engine.raw = http(b"200 OK", [b"Content-Length: \xb2", b"Connection: close"], b"[]")
        found = scan(engine_env(engine))
    assert found.containers == ()
