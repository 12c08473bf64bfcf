"""The sender (consent/_wire/sender.py), run in this process against real files, the test keyring
and a real collector on loopback: it decides again before it connects, fills in the id on the
wire only, sends the bytes it was given and records every outcome in the log."""

from __future__ import annotations

import contextlib
import io
import socket
import ssl
import stat
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from consent._core.endpoint import parse_endpoint
from consent._store import fileio
from consent._store.fileio import locked, make_dirs
from consent._store.identity import create_lock, id_lock, load_at
from consent._store.log import entries
from consent._wire import sender
from consent._wire.gate import new_uuid4
from consent._wire.hits import build_hit
from consent._wire.http import encode
from consent._wire.job import Job
from consent.testing.collector import Collector
from consent.testing.proxy import ConnectProxy
from lumogon import SPEC
from tests.helpers import enabled_config, self_signed


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
        (b"HTTP/1.1\r\n", None),  # a version alone
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


# --- TLS: the name is verified, and sent ---------------------------------------------------------


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[str, str]]:
    """Throwaway certificates (each its own CA) for `localhost` and for `collector.test`, and
    `bundle`: both, as one CA file for SSL_CERT_FILE, so that a certificate is trusted and only
    its name can be wrong."""
    made: dict[str, tuple[str, str]] = {}
    for name in ("localhost", "collector.test"):
        pair = self_signed(tmp_path_factory.mktemp("tls"), name)
        if pair is None:
            pytest.skip("neither the openssl CLI nor cryptography to make a certificate")
        made[name] = pair
    bundle = tmp_path_factory.mktemp("tls") / "bundle.pem"
    bundle.write_text("".join(Path(cert).read_text() for cert, _ in made.values()))
    made["bundle"] = (str(bundle), "")
    return made


def tls_collector(pair: tuple[str, str], names: list[str | None]) -> Collector:
    """A collector speaking https with the certificate `pair`; the name each client asked for
    (SNI) is appended to `names`."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*pair)
    context.sni_callback = lambda _sock, name, _ctx: names.append(name)  # type: ignore[assignment,misc,return-value]
    return Collector(tls=context)


def test_tls_verifies_the_name_it_connects_to_and_sends_it(
    tmp_path: Path,
    certificates: dict[str, tuple[str, str]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The certificate must be for the host the request goes to: one for another name, though
    trusted, gets nothing; the right one gets the bytes, and the host's name was sent (SNI)."""
    monkeypatch.setenv("SSL_CERT_FILE", certificates["bundle"][0])
    raw = job_for(tmp_path, "http://127.0.0.1:1", id_placeholder="").raw
    names: list[str | None] = []
    with tls_collector(certificates["collector.test"], names) as wrong:
        port = int(wrong.url.rsplit(":", 1)[1])
        with pytest.raises(ssl.SSLCertVerificationError, match="localhost"):
            sender.post("localhost", port, True, raw, 30)
        assert wrong.received() == []
    assert names == ["localhost"]
    names.clear()
    with tls_collector(certificates["localhost"], names) as right:
        port = int(right.url.rsplit(":", 1)[1])
        assert sender.post("localhost", port, True, raw, 30) == "sent: HTTP 200"
        (hit,) = right.wait_for(1, timeout=30)
    assert hit.raw_request == raw and names == ["localhost"]


def test_a_job_goes_through_the_hosts_proxy_verified_as_without_one(
    home: Path, certificates: dict[str, tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The proxy variables copied into the job are used: a CONNECT tunnel to the host, TLS with
    the host's name inside it; the host's name is never looked up here."""
    monkeypatch.setenv("SSL_CERT_FILE", certificates["bundle"][0])
    asked: list[str] = []

    def resolve(host: str) -> str:
        asked.append(host)
        if host != "127.0.0.1":
            raise OSError(f"no lookup of {host} in this test")
        return host

    monkeypatch.setattr(sender, "resolver_name", resolve)
    with tls_collector(certificates["collector.test"], []) as collector:
        port = int(collector.url.rsplit(":", 1)[1])
        routes = {"collector.test:443": ("127.0.0.1", port)}
        with ConnectProxy(routes=routes) as proxy:
            job = job_for(
                home, "https://collector.test", tls=True, proxy_env=(("HTTPS_PROXY", proxy.url),)
            )
            sender.run(job)
            (seen,) = proxy.seen()
        (hit,) = collector.wait_for(1, timeout=30)
    (logged,) = entries(Path(job.log))
    assert logged["outcome"] == f"sent: HTTP 200 (through the proxy {proxy.url})"
    assert seen.line == "CONNECT collector.test:443 HTTP/1.1" and asked == ["127.0.0.1"]
    assert hit.raw_request.startswith(b"POST /collect HTTP/1.1\r\nHost: collector.test\r\n")


# --- one deadline, every step ---------------------------------------------------------------------


class Clock:
    """`time` for the sender's module: monotonic() gives these readings in turn, then the last
    one for ever; so that a test says at which step the budget runs out."""

    def __init__(self, *readings: float) -> None:
        self.readings = list(readings)

    def monotonic(self) -> float:
        return self.readings.pop(0) if len(self.readings) > 1 else self.readings[0]


@contextlib.contextmanager
def answering_server(answer: bytes) -> Iterator[tuple[int, list[bytes]]]:
    """A loopback server for one connection: it answers `answer` to a request (at once when
    `answer` is empty: nothing), and records in the list what it received before the client
    closed or reset the connection (so the list is filled when the `with` ends)."""
    server = socket.create_server(("127.0.0.1", 0))
    got: list[bytes] = []

    def serve() -> None:
        conn, _ = server.accept()
        data = b""
        with conn, contextlib.suppress(OSError):  # a client that closes unread resets it
            conn.settimeout(30)
            while chunk := conn.recv(65536):
                data += chunk
                if answer and data.endswith(b"\r\n\r\n"):
                    conn.sendall(answer)
        got.append(data)

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        yield server.getsockname()[1], got
    finally:
        thread.join(30)
        server.close()


REQUEST = b"POST /collect HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n\r\n"


def test_the_budget_spent_before_a_step_stops_the_request_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The deadline is checked before the request is written and before each read of the
    answer: what is spent before (the connection, a proxy, the handshake) is not given again."""
    # Spent by the time the request would be written: nothing is written.
    monkeypatch.setattr(sender, "time", Clock(0.0, 0.5, 1.0))
    with answering_server(b"HTTP/1.1 200 OK\r\n\r\n") as (port, got):
        with pytest.raises(TimeoutError) as caught:
            sender.post("127.0.0.1", port, False, REQUEST, 1.0)
        assert str(caught.value) == "no answer within 1 s"
    assert got == [b""]
    # Spent by the time the answer would be read: written, but the answer is not taken.
    monkeypatch.setattr(sender, "time", Clock(0.0, 0.1, 0.2, 1.5))
    with (
        answering_server(b"HTTP/1.1 200 OK\r\n\r\n") as (port, got),
        pytest.raises(TimeoutError, match=r"^no answer within 1\.5 s$"),
    ):
        sender.post("127.0.0.1", port, False, REQUEST, 1.5)
    assert got == [REQUEST]


def test_the_budget_spent_before_the_handshake_stops_the_request_there(
    certificates: dict[str, tuple[str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", certificates["bundle"][0])
    monkeypatch.setattr(sender, "time", Clock(0.0, 0.5, 1.0))
    names: list[str | None] = []
    with tls_collector(certificates["localhost"], names) as collector:
        port = int(collector.url.rsplit(":", 1)[1])
        with pytest.raises(TimeoutError, match=r"^no answer within 1 s$"):
            sender.post("localhost", port, True, REQUEST, 1.0)
        assert collector.received() == []
    assert names == []  # no handshake begun


def test_a_connection_that_is_never_accepted_costs_the_budget(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A listener whose queue is full drops the connection attempt (the kernel answers nothing):
    the attempt is bounded by the time left, as every other step."""
    listener = socket.socket()
    with listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5):  # the queue's one place
            monkeypatch.setattr(sender, "time", Clock(0.0, 0.95))
            with pytest.raises(TimeoutError):
                sender.post("127.0.0.1", port, False, REQUEST, 1.0)


def test_the_connection_is_closed_when_the_answer_is_not_http() -> None:
    """The server sees the end of the connection at once, while the error is still held."""
    server = socket.create_server(("127.0.0.1", 0))
    ended = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            conn, _ = server.accept()
            with conn:
                conn.settimeout(30)
                conn.recv(65536)
                conn.sendall(b"SSH-2.0-OpenSSH\r\n")
                if conn.recv(65536) == b"":
                    ended.set()

    thread = threading.Thread(target=serve)
    thread.start()
    try:
        with pytest.raises(ValueError, match="not HTTP") as caught:
            sender.post("127.0.0.1", server.getsockname()[1], False, REQUEST, 30)
        assert ended.wait(10), "the connection is still open"
        del caught
    finally:
        server.close()
        thread.join(30)


# --- the id, and the locks around it ----------------------------------------------------------------


def test_a_request_that_carries_no_id_creates_none(home: Path) -> None:
    with Collector() as collector:
        job = job_for(home, collector.url, id_placeholder="")
        sender.run(job)
        (hit,) = collector.wait_for(1, timeout=30)
    assert hit.raw_request == job.raw
    assert entries(Path(job.log))[0]["outcome"] == "sent: HTTP 200"
    assert load_at(job.keyring_service, Path(job.id_file)).value is None
    assert not Path(job.id_file).exists()


def test_a_held_lock_is_waited_for_as_long_as_the_sender_allows(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`disable` holding the id's lock, or another sender creating the id, is waited for
    LOCK_WAIT and no longer; once an id exists, a sender never waits for a creator."""
    monkeypatch.setattr(sender, "LOCK_WAIT", 0.05)
    with Collector() as collector:
        job = job_for(home, collector.url)
        id_file = Path(job.id_file)
        make_dirs(id_file.parent, 0o700)
        locks = (id_lock(id_file), create_lock(id_file))
        for i, lock in enumerate(locks):  # no id yet
            with locked(lock):
                sender.run(job.replace(id=f"held-{i}"))
        sender.run(job.replace(id="made"))
        with locked(create_lock(id_file)):
            sender.run(job.replace(id="read"))
        assert len(collector.wait_for(2, timeout=30)) == 2
    outcomes = {e["id"]: e["outcome"] for e in entries(Path(job.log))}
    for i, lock in enumerate(locks):
        said = f"failed: LockTimeoutError: another process has held {lock} for 50 ms; "
        assert outcomes[f"held-{i}"].startswith(said), outcomes
    assert outcomes["made"] == outcomes["read"] == "sent: HTTP 200", outcomes


def test_an_id_placeholder_of_another_length_than_an_id_is_not_filled_in(home: Path) -> None:
    """The request's Content-Length counts the placeholder: an id of another length would
    make it wrong, so nothing is sent."""
    with Collector() as collector:
        job = job_for(home, collector.url)
        raw = job.raw.replace(job.id_placeholder.encode(), b"@cid@")
        sender.run(job.replace(raw=raw, id_placeholder="@cid@"))
        assert collector.received() == []
    (logged,) = entries(Path(job.log))
    assert logged["outcome"] == "failed: ValueError: the pseudonymous id could not be filled in"


# --- the reason a hit stops, in the log ------------------------------------------------------------


def test_local_mode_with_a_stronger_off_says_off(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Local mode chosen and the variable set: the hit is not kept for local mode, it is off;
    the log names the variable. Local mode alone names where it was chosen, cut to 300."""
    enabled = f'[telemetry]\nenabled = true\nnotice_version = "{SPEC.notice_version}"\n'
    (home / "config.toml").write_text(enabled + 'mode = "local"\n')
    outcomes = []
    with Collector() as collector:
        for i, variable in enumerate(("", "1")):
            monkeypatch.setenv(SPEC.disable_env, variable)
            job = job_for(home, collector.url, log=str(home / "state" / f"log-{i}"))
            sender.run(job)
            outcomes.append(entries(Path(job.log))[0]["outcome"])
        deep = home / ("d" * 200) / ("e" * 200)
        deep.mkdir(parents=True)
        (deep / "config.toml").write_text(enabled + 'mode = "local"\n')
        monkeypatch.delenv(SPEC.disable_env)
        job = job_for(home, collector.url, config_path=str(deep / "config.toml"))
        sender.run(job)
        cut = entries(Path(job.log))[0]["outcome"]
        assert collector.received() == []
    config = home / "config.toml"
    assert outcomes[0] == (
        "not sent: local mode was chosen before sending "
        f'(config: {config}: telemetry.mode = "local": nothing leaves this machine)'
    )
    assert outcomes[1] == f"not sent: disabled before sending (env: {SPEC.disable_env}='1')"
    assert cut.startswith("not sent: local mode was chosen before sending (config: ")
    assert len(cut) == 300


def test_a_purpose_turned_off_is_named_with_its_own_reason(home: Path) -> None:
    """The log gives the reason of the hit's own purpose, not the app's (another purpose may be
    on); a purpose the job's app does not declare is off, with the app's reason."""
    enabled = f'[telemetry]\nenabled = true\nnotice_version = "{SPEC.notice_version}"\n'
    (home / "config.toml").write_text(enabled + 'disabled_purposes = "usage"\n')
    outcomes = []
    with Collector() as collector:
        for i, purposes in enumerate((SPEC.purpose_names, ("service-health",))):
            job = job_for(
                home,
                collector.url,
                purpose="usage",
                purposes=purposes,
                log=str(home / "state" / f"log-{i}"),
            )
            sender.run(job)
            outcomes.append(entries(Path(job.log))[0]["outcome"])
        assert collector.received() == []
    config = home / "config.toml"
    assert outcomes == [
        "not sent: disabled before sending "
        f"(config: {config}: telemetry.disabled_purposes includes 'usage')",
        "not sent: disabled before sending "
        f"(config: {config}: telemetry.enabled = true for notice {SPEC.notice_version})",
    ]


class VirtualTime:
    """`time` for consent/_store/fileio.py: sleeping moves the clock on at once, so that a wait
    of seconds costs a test a few hundred lock attempts and no seconds."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def time(self) -> float:  # the wall clock (file times), left as it is
        return time.time()


def test_a_sender_gives_up_on_a_held_lock_after_five_seconds(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """However long `disable` (or another creator) holds the lock, the detached sender waits
    5 s of the clock, and then ends, sending nothing."""
    clock = VirtualTime()
    monkeypatch.setattr(fileio, "time", clock)
    with Collector() as collector:
        job = job_for(home, collector.url)
        id_file = Path(job.id_file)
        make_dirs(id_file.parent, 0o700)
        with locked(id_lock(id_file)):
            sender.run(job)
        assert collector.received() == []
    (logged,) = entries(Path(job.log))
    said = f"failed: LockTimeoutError: another process has held {id_lock(id_file)} for 5 s; "
    assert logged["outcome"].startswith(said), logged
    assert 1005.0 <= clock.now < 1005.1
