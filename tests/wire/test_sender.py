"""The sender (consent/_wire/sender.py), run in this process against real files, the test keyring
and a real collector on loopback: it decides again before it connects, fills in the id on the
wire only, sends the bytes it was given and records every outcome in the log."""

from __future__ import annotations

import io
import stat
import sys
from pathlib import Path

import pytest

from consent._core.endpoint import parse_endpoint
from consent._store.identity import load_at
from consent._store.log import entries
from consent._wire import sender
from consent._wire.gate import new_uuid4
from consent._wire.hits import build_hit
from consent._wire.http import encode
from consent._wire.job import Job
from consent.testing.collector import Collector
from lumogon import SPEC
from tests.helpers import enabled_config


def job_for(root: Path, url: str, **changes: object) -> Job:
    """The job the gate hands over for lumogon's `version` screenview, sent to `url`."""
    placeholder = new_uuid4()
    hit = build_hit(SPEC, "screenview", client_id=placeholder, command="version")
    endpoint = parse_endpoint(url)
    fields: dict[str, object] = {
        "host": endpoint.host,
        "port": endpoint.port,
        "tls": False,
        "raw": encode(SPEC, hit, endpoint).raw(),
        "log": str(root / "state" / "log.jsonl"),
        "id": "0" * 32,
        "id_placeholder": placeholder,
        "keyring_service": SPEC.keyring_service,
        "id_file": str(root / "data" / "ids" / "client-id"),
        "app": SPEC.name,
        "mode": SPEC.mode,
        "notice_version": SPEC.notice_version,
        "disable_env": SPEC.disable_env,
        "config_path": str(root / "config.toml"),
        "policy_paths": (str(root / "policy.toml"),),
        "timeout": 30.0,
    }
    fields.update(changes)
    (root / "state").mkdir(exist_ok=True)
    return Job(**fields)  # type: ignore[arg-type]


@pytest.fixture
def home(enabled_home: Path, tmp_path: Path) -> Path:
    """A directory holding an enabled config.toml (and the test keyring, through enabled_home)."""
    enabled_config(tmp_path)
    return tmp_path


def test_an_enabled_job_sends_its_bytes_with_the_id_filled_in(home: Path) -> None:
    with Collector() as collector:
        job = job_for(home, collector.url)
        sender.run(job)
        (hit,) = collector.wait_for(1, timeout=30)
    (logged,) = entries(Path(job.log))
    assert logged["id"] == job.id and logged["outcome"] == "sent: HTTP 200"
    assert logged["time"].endswith("Z")
    # Every byte as handed over, but the placeholder: the stored id, on the wire only.
    sent = hit.raw_request
    assert job.id_placeholder.encode() not in sent
    before, _, after = job.raw.partition(job.id_placeholder.encode())
    assert sent.startswith(before) and sent.endswith(after)
    filled = sent[len(before) : len(sent) - len(after)].decode()
    assert len(filled) == 36 and filled != job.id_placeholder
    assert filled == load_at(job.keyring_service, Path(job.id_file)).value
    assert filled not in Path(job.log).read_text()  # the log never holds the id


def test_the_id_directory_is_private(home: Path) -> None:
    with Collector() as collector:
        sender.run(job_for(home, collector.url))
    mode = stat.S_IMODE((home / "data" / "ids").stat().st_mode)
    assert mode & 0o077 == 0, oct(mode)


@pytest.mark.parametrize(
    ("config", "changes", "why"),
    [
        ("[telemetry]\nenabled = false\n", {}, "config"),
        (None, {"notice_version": "an-older-notice"}, "notice"),
    ],
)
def test_a_job_no_longer_enabled_sends_nothing_and_says_why(
    home: Path, config: str | None, changes: dict[str, object], why: str
) -> None:
    if config is not None:
        (home / "config.toml").write_text(config)
    with Collector() as collector:
        job = job_for(home, collector.url, **changes)
        sender.run(job)
        assert collector.received() == []
    (logged,) = entries(Path(job.log))
    assert logged["outcome"].startswith("not sent: disabled before sending ("), logged
    assert f"disabled before sending ({why}: " in logged["outcome"], logged
    assert not Path(job.id_file).exists()  # no id made for a hit that never leaves


def test_an_unknown_mode_is_stricter_than_opt_out(home: Path) -> None:
    """With no answer recorded, opt-out sends once the notice was shown; opt-in, or a mode the
    sender does not know, never does."""
    (home / "config.toml").write_text(
        f'[telemetry]\nnotice_shown_version = "{SPEC.notice_version}"\n'
        'notice_shown_at = "2026-11-22T19:00:00Z"\n'
    )
    outcomes = {}
    with Collector() as collector:
        for mode in ("opt-out", "opt-in", "opt_out"):
            job = job_for(home, collector.url, mode=mode, log=str(home / "state" / mode))
            sender.run(job)
            (logged,) = entries(Path(job.log))
            outcomes[mode] = logged["outcome"]
    assert outcomes["opt-out"] == "sent: HTTP 200", outcomes
    assert outcomes["opt-in"].startswith("not sent"), outcomes
    assert outcomes["opt_out"].startswith("not sent"), outcomes


def test_the_log_names_what_each_mode_waits_for(home: Path) -> None:
    """Nothing recorded yet: opt-out waits for the notice to be shown, opt-in (or a mode the
    sender does not know) for an answer; the log says which."""
    (home / "config.toml").write_text("")
    outcomes = {}
    with Collector() as collector:
        for mode in ("opt-out", "opt-in", "opt_out"):
            job = job_for(home, collector.url, mode=mode, log=str(home / "state" / mode))
            sender.run(job)
            outcomes[mode] = entries(Path(job.log))[0]["outcome"]
        assert collector.received() == []
    prefix = "not sent: disabled before sending ("
    assert outcomes["opt-out"].startswith(prefix + "notice: awaiting notice "), outcomes
    assert outcomes["opt-in"].startswith(prefix + "default: opt-in: "), outcomes
    assert outcomes["opt_out"] == outcomes["opt-in"]


def test_a_long_reason_is_cut_to_300_characters(home: Path) -> None:
    deep = home / ("d" * 200) / ("e" * 200)
    deep.mkdir(parents=True)
    (deep / "config.toml").write_text("[telemetry]\nenabled = false\n")
    with Collector() as collector:
        job = job_for(home, collector.url, config_path=str(deep / "config.toml"))
        sender.run(job)
    (logged,) = entries(Path(job.log))
    assert logged["outcome"].startswith("not sent: disabled before sending (config: ")
    assert len(logged["outcome"]) == 300


def test_a_purpose_turned_off_or_local_after_handing_over_stops_the_hit(home: Path) -> None:
    """The screenview serves `usage`: decided again for that purpose just before sending."""
    enabled = f'[telemetry]\nenabled = true\nnotice_version = "{SPEC.notice_version}"\n'
    outcomes: list[str] = []
    with Collector() as collector:
        for extra in ('disabled_purposes = "usage"\n', 'mode = "local"\n', ""):
            (home / "config.toml").write_text(enabled + extra)
            job = job_for(
                home,
                collector.url,
                purpose="usage",
                purposes=SPEC.purpose_names,
                log=str(home / "state" / f"log-{len(outcomes)}"),
            )
            sender.run(job)
            outcomes.append(entries(Path(job.log))[0]["outcome"])
        sent = len(collector.hits())
    assert outcomes[0].startswith("not sent: disabled before sending (config"), outcomes
    assert outcomes[1].startswith("not sent: local mode was chosen before sending"), outcomes
    assert outcomes[2] == "sent: HTTP 200" and sent == 1, outcomes


@pytest.mark.parametrize(
    ("behaviour", "outcome"),
    [
        ("http500", "sent: HTTP 500"),
        ("garbage", "failed: ValueError: the answer was not HTTP"),
    ],
)
def test_every_answer_is_an_outcome_in_the_log(home: Path, behaviour: str, outcome: str) -> None:
    with Collector(behaviour=behaviour) as collector:
        job = job_for(home, collector.url)
        sender.run(job)
    (logged,) = entries(Path(job.log))
    assert logged["outcome"] == outcome


def test_the_status_line_is_enough(home: Path) -> None:
    """An answer whose body trickles in is not waited for: its status line is the outcome."""
    with Collector(behaviour="trickle", trickle_interval=10.0) as collector:
        job = job_for(home, collector.url, timeout=5.0)
        sender.run(job)
    (logged,) = entries(Path(job.log))
    assert logged["outcome"] == "sent: HTTP 200"


def test_a_timeout_of_a_second_still_sends(home: Path) -> None:
    """The whole timeout is the request's: with one second, the request still leaves (a loaded
    machine may make the answer late, never the request absent)."""
    with Collector() as collector:
        job = job_for(home, collector.url, timeout=1.0)
        sender.run(job)
        assert len(collector.wait_for(1, timeout=10)) == 1
    (logged,) = entries(Path(job.log))
    assert logged["outcome"] == "sent: HTTP 200" or logged["outcome"].startswith("failed: ")


def test_no_answer_within_the_timeout_is_a_failure_not_a_wait(home: Path) -> None:
    with Collector(behaviour="blackhole") as collector:
        job = job_for(home, collector.url, timeout=0.3)
        sender.run(job)
    (logged,) = entries(Path(job.log))
    assert logged["outcome"].startswith("failed: "), logged
    assert "timed out" in logged["outcome"] or "no answer within 0.3 s" in logged["outcome"]


def test_a_request_whose_placeholder_is_not_there_once_is_not_sent(home: Path) -> None:
    with Collector() as collector:
        job = job_for(home, collector.url)
        sender.run(job_for(home, collector.url, raw=job.raw + job.id_placeholder.encode()))
        assert collector.received() == []
    (logged,) = entries(Path(job.log))
    assert logged["outcome"] == "failed: ValueError: the pseudonymous id could not be filled in"


def test_post_reads_the_status_line_only(home: Path) -> None:
    with Collector() as collector:
        endpoint = parse_endpoint(collector.url)
        job = job_for(home, collector.url, id_placeholder="")
        raw = job.raw  # a placeholder stays a placeholder: post sends what it is given
        assert sender.post(endpoint.host, endpoint.port, False, raw) == "sent: HTTP 200"
        (hit,) = collector.wait_for(1, timeout=30)
    assert hit.raw_request == raw


def test_main_reads_one_job_from_stdin_and_ignores_anything_else(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Collector() as collector:
        job = job_for(home, collector.url)
        for data in (b"not a job", b"{}", job.to_json().encode("ascii")):
            monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
            sender.main()
        assert len(collector.wait_for(1, timeout=30)) == 1
    assert [e["outcome"] for e in entries(Path(job.log))] == ["sent: HTTP 200"]


def test_an_id_that_cannot_be_stored_sends_nothing_and_says_why(home: Path) -> None:
    blocker = home / ("d" * 200) / ("e" * 200)  # a file where the id's directory should be
    blocker.parent.mkdir()
    blocker.write_text("mine\n")
    id_file = blocker / "ids" / "client-id"
    with Collector() as collector:
        job = job_for(home, collector.url, id_file=str(id_file))
        sender.run(job)
        assert collector.received() == []
    (logged,) = entries(Path(job.log))
    assert logged["outcome"].startswith("failed: FileExistsError: ")
    assert len(logged["outcome"]) == 300  # cut, as every outcome is
    assert blocker.read_text() == "mine\n"


@pytest.mark.parametrize(
    ("answer", "outcome"),
    [
        (b"HTTP/1.1 204\r\n\r\n", "sent: HTTP 204"),  # no reason phrase, not even its space
        (b"HTTP/1.0 200 OK\r\n", "sent: HTTP 200"),
        (b"HTTP/1.1 OK 200\r\n", None),
        (b"ICY 200 OK\r\n", None),
        (b"", None),
    ],
)
def test_post_reads_any_http_status_line(answer: bytes, outcome: str | None) -> None:
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def answer_once() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(65536)
            conn.sendall(answer)

    thread = threading.Thread(target=answer_once)
    thread.start()
    try:
        port = server.getsockname()[1]
        if outcome is None:
            with pytest.raises(ValueError, match="not HTTP"):
                sender.post("127.0.0.1", port, False, b"GET / HTTP/1.1\r\n\r\n", 30)
        else:
            assert sender.post("127.0.0.1", port, False, b"GET / HTTP/1.1\r\n\r\n", 30) == outcome
    finally:
        thread.join(30)
        server.close()


def test_localhost_written_as_the_absolute_name_reaches_this_machine(home: Path) -> None:
    """`localhost.` is loopback to `is_loopback` (plain http allowed, no proxy): the sender
    connects to what the hosts file calls `localhost`, never to whatever DNS says of the
    absolute name (here there is no DNS: the lookup failed)."""
    with Collector() as collector:
        endpoint = parse_endpoint(collector.url.replace("127.0.0.1", "localhost."))
        assert endpoint.host == "localhost."
        job = job_for(home, collector.url, id_placeholder="")
        assert sender.post(endpoint.host, endpoint.port, False, job.raw) == "sent: HTTP 200"
        assert len(collector.wait_for(1, timeout=30)) == 1
