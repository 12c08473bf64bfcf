"""The gate (consent/_wire/gate.py), in this process with real files, a real collector and a
real sender: what the debug variable does, what is logged, what leaves, and that the sender is
detached into its own session."""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from consent._store.sources import resolve
from consent.testing.collector import Collector
from consent.testing.home import Home
from lumogon import SPEC


@pytest.mark.parametrize("value", ["maybe", "1", "TRUE"])
def test_a_true_or_unrecognised_debug_value_prints_and_never_sends(
    enabled_home: Path, capfd: pytest.CaptureFixture[str], value: str
) -> None:
    from consent._store.log import entries
    from consent._wire import gate
    from consent.testing.collector import Collector

    with Collector() as collector:
        environ = {SPEC.debug_env: value, SPEC.endpoint_env: collector.url}
        result = gate.submit(SPEC, "screenview", command="version", environ=environ)
        assert result.outcome == "printed", result
        assert collector.hits() == []
    err = capfd.readouterr().err
    assert "POST " in err and SPEC.debug_env in err
    (item,) = entries(enabled_home)
    assert item["outcome"] == "printed, not sent"


@pytest.mark.parametrize("value", ["0", "", "off"])
def test_a_false_debug_value_sends(enabled_home: Path, value: str) -> None:
    from consent._store.log import entries
    from consent._wire import gate
    from consent.testing.collector import Collector

    with Collector() as collector:
        environ = {SPEC.debug_env: value, SPEC.endpoint_env: collector.url}
        result = gate.submit(SPEC, "screenview", command="version", environ=environ)
        assert result.outcome == "handed", result
        assert result.detail.startswith(collector.url.rstrip("/"))
        (hit,) = collector.wait_for(1, timeout=30)
    deadline = time.monotonic() + 30
    while "outcome_at" not in entries(enabled_home)[0] and time.monotonic() < deadline:
        time.sleep(0.02)
    first = json.loads(enabled_home.read_bytes().splitlines()[0])
    assert first["outcome"] == "handed to sender" and first["event"] == "screenview"
    assert len(first["id"]) == 32 and int(first["id"], 16) >= 0  # a UUID4 without dashes
    assert first["time"].endswith("Z") and first["url"] == result.detail
    (item,) = entries(enabled_home)
    assert item["event"] == "screenview" and item["url"] == result.detail
    assert item["hit"]["cid"] == gate.ID_IN_LOG and item["hit"]["cd"] == "version"
    assert item["outcome"].startswith("sent: HTTP 2")
    assert "client_id" not in item  # the log never holds the id (see `disable`)
    assert "cid=" in hit.raw_request.decode("latin-1")
    assert gate.ID_IN_LOG not in hit.raw_request.decode("latin-1")


def test_a_refused_endpoint_is_logged_and_said(
    enabled_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from consent._store.log import entries
    from consent._wire import gate

    environ = {SPEC.endpoint_env: "http://10.1.2.3"}
    result = gate.submit(SPEC, "screenview", command="version", environ=environ)
    assert result.outcome == "refused" and SPEC.endpoint_env in result.detail
    assert capfd.readouterr().err == f"telemetry: {result.detail}; nothing was sent\n"
    (item,) = entries(enabled_home)
    assert item["outcome"].startswith(f"refused: {SPEC.endpoint_env}")
    assert item["event"] == "screenview"


def test_disabled_submits_nothing_and_names_the_source(enabled_home: Path) -> None:
    from consent._core import runs
    from consent._wire import gate

    result = gate.submit(SPEC, "screenview", environ={"DO_NOT_TRACK": "1"})
    assert result.outcome == "disabled" and result.detail == "DO_NOT_TRACK='1'"
    assert not enabled_home.exists()
    decision = resolve(SPEC, environ={})
    with runs.start_run(SPEC, decision):
        run = runs.current_run(SPEC)
        assert run is not None and (run.decision, run.command) == (decision, "")
        assert gate.run_decision(SPEC) == (decision, "")
    assert runs.current_run(SPEC) is None and gate.run_decision(SPEC) is None  # the run ended


def test_new_uuid4_is_a_random_version_4_uuid() -> None:
    import uuid

    from consent._wire.gate import new_uuid4

    seen = set()
    for _ in range(200):
        text = new_uuid4()
        parsed = uuid.UUID(text)
        assert str(parsed) == text and parsed.version == 4
        assert parsed.variant == uuid.RFC_4122
        seen.add(text)
    assert len(seen) == 200
    # The 122 random bits are random: each takes both values, and no random hex digit merely
    # copies another (version and variant are the only fixed bits).
    digits = [t.replace("-", "") for t in seen]
    fixed = {12: {0x4}, 16: {0x8, 0x9, 0xA, 0xB}}
    for i in range(32):
        values = {int(d[i], 16) for d in digits}
        if i == 12:
            assert values == fixed[12]
        elif i == 16:
            assert values == fixed[16]  # 10xx: two random bits
        else:
            for bit in (1, 2, 4, 8):
                assert {v & bit for v in values} == {0, bit}, (i, bit)
    free = [i for i in range(32) if i not in fixed]
    for a in free:
        for b in free:
            if a < b:
                assert any(d[a] != d[b] for d in digits), (a, b)


def test_the_sender_runs_in_its_own_session(tmp_path: Path) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("finds the sender through /proc")
    from consent.testing.collector import Collector

    with Collector(behaviour="blackhole") as collector:
        pid = start_a_sender(
            tmp_path, collector.url, f"session-{os.getpid()}-{time.monotonic_ns()}"
        )
        try:
            assert os.getsid(pid) == pid != os.getsid(0)  # its own session, led by itself
        finally:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def start_a_sender(tmp_path: Path, url: str, hit_id: str) -> int:
    """Spawn the real detached sender with a job for the collector at `url` (a blackhole keeps
    it alive) and return its pid, found through /proc within 30 s."""
    from consent._wire.gate import spawn_sender
    from consent._wire.job import Job

    port = int(url.rsplit(":", 1)[1].split("/", maxsplit=1)[0])
    job = Job(
        host="127.0.0.1", port=port, tls=False, raw=b"GET / HTTP/1.0\r\n\r\n",
        log=str(tmp_path / "log"), id=hit_id, id_placeholder="", keyring_service="x",
        id_file=str(tmp_path / "id"), app="lumogon", mode="opt-out",
        notice_version="nope", disable_env="X_DISABLE", config_path=str(tmp_path / "c"),
        policy_paths=(), timeout=30.0,
    )  # fmt: skip
    spawn_sender(job)
    pid = None
    deadline = time.monotonic() + 30
    while pid is None and time.monotonic() < deadline:
        pid = next(iter(sender_children()), None)
        time.sleep(0.02)
    assert pid is not None, "the sender never started"
    return pid


def sender_children() -> list[int]:
    """Live children of this process running the sender's bootstrap (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            cmd = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == os.getpid() and fields[0] != "Z" and b"consent._wire.sender" in cmd:
            found.append(int(entry.name))
    return found


ID_PHRASE = "(the pseudonymous id, filled in by the sender)"


@pytest.fixture
def handed(monkeypatch: pytest.MonkeyPatch) -> list[object]:
    """The jobs the gate hands to the sender, kept here instead of starting a process."""
    from consent._wire import gate

    jobs: list[object] = []
    monkeypatch.setattr(gate, "spawn_sender", jobs.append)
    return jobs


def test_the_hit_handed_over_is_the_logged_one_and_goes_by_tls(
    enabled_home: Path, handed: list[object]
) -> None:
    """Lumogon's own destination is https: the job says TLS, port 443, and its bytes are the
    request the log describes, the id left to the sender."""
    from consent._store.log import entries
    from consent._wire import gate
    from consent._wire.job import Job

    result = gate.submit(SPEC, "screenview", command="version", environ={})
    assert result.outcome == "handed"
    (job,) = handed
    assert isinstance(job, Job)
    assert job.tls is True and job.port == 443 and result.detail.startswith("https://")
    assert job.raw.count(job.id_placeholder.encode()) == 1 and job.purpose == "usage"
    (item,) = entries(enabled_home)
    assert item["id"] == job.id and item["url"] == result.detail
    assert item["purpose"] == "usage" and item["hit"]["cid"] == ID_PHRASE
    assert job.log == str(enabled_home)


def test_a_sender_that_cannot_start_is_an_error_in_the_log(
    enabled_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from consent._store.log import entries
    from consent._wire import gate

    def cannot(job: object) -> None:
        raise OSError(24, "Too many open files " + "x" * 400)

    monkeypatch.setattr(gate, "spawn_sender", cannot)
    result = gate.submit(SPEC, "screenview", command="version", environ={})
    assert result.outcome == "error"
    assert result.detail.startswith("failed: the sender could not be started (OSError: ")
    (item,) = entries(enabled_home)  # one entry: the failure merged into the hit's own
    assert item["outcome"] == result.detail[:300] and len(item["outcome"]) == 300
    assert item["event"] == "screenview" and item["time"].endswith("Z")
    assert item["outcome_at"].endswith("Z")  # when the failure happened

    def short(job: object) -> None:
        raise OSError(24, "Too many open files")

    monkeypatch.setattr(gate, "spawn_sender", short)
    failed = gate.submit(SPEC, "screenview", command="version", environ={})
    assert (
        failed.detail
        == "failed: the sender could not be started (OSError: [Errno 24] Too many open files)"
    )
    assert entries(enabled_home)[-1]["outcome"] == failed.detail


def test_a_hit_that_cannot_be_logged_is_not_handed_over(
    enabled_home: Path, handed: list[object]
) -> None:
    from consent._wire import gate

    enabled_home.mkdir(parents=True)  # a directory where the log should be
    for debug in ("", "1"):
        result = gate.submit(SPEC, "screenview", command="version", environ={SPEC.debug_env: debug})
        if debug:
            assert result.outcome == "printed"  # printed, and the log is only a record of it
        else:
            assert result.outcome == "error"
            assert result.detail == f"cannot write the log {enabled_home}; nothing was sent"
    assert handed == []


def test_local_mode_keeps_the_exact_request_and_starts_nothing(
    enabled_home: Path, handed: list[object]
) -> None:
    from consent._core.names import KEPT_LOCAL, LOCAL_ID
    from consent._store.log import entries
    from consent._wire import gate

    config = enabled_home.parents[2] / "config" / SPEC.name / "config.toml"
    config.write_text(config.read_text() + 'mode = "local"\n')
    result = gate.submit(SPEC, "screenview", command="version", environ={})
    assert result.outcome == "local" and result.detail.startswith("https://")
    assert handed == []
    (item,) = entries(enabled_home)
    assert item["local"] is True and item["outcome"] == KEPT_LOCAL
    assert item["hit"]["cid"] == LOCAL_ID and item["url"] == result.detail
    assert item["request"].startswith("POST ") and item["request"].endswith(item["payload"])
    assert f"cid={LOCAL_ID}" in item["payload"]
    values = {"el": "ok", "ev": 7}
    kept = gate.submit(SPEC, "upload", values=values, environ={}, recorded_by="lumogon report")
    assert kept.outcome == "local" and entries(enabled_home)[-1]["hit"]["ev"] == 7
    elsewhere = gate.submit(SPEC, "upload", values=values, environ={}, recorded_by="lumogon scan")
    assert elsewhere.outcome == "refused" and "'lumogon scan'" in elsewhere.detail
    assert len(entries(enabled_home)) == 2 and handed == []
    enabled_home.unlink()
    enabled_home.mkdir()  # the log cannot be written: the hit is dropped, and says so
    dropped = gate.submit(SPEC, "screenview", command="version", environ={})
    assert dropped.outcome == "error"
    assert dropped.detail == f"cannot write the log {enabled_home}; the hit was dropped"


def test_debug_prints_the_stored_id_and_logs_the_phrase(
    enabled_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Under the debug variable the printed request carries the real id (what would leave);
    the log never holds it."""
    from consent._store.identity import load
    from consent._store.log import entries
    from consent._store.paths import locations
    from consent._wire import gate

    result = gate.submit(SPEC, "screenview", command="version", environ={SPEC.debug_env: "1"})
    assert result.outcome == "printed"
    stored = load(SPEC, locations(SPEC)).value
    assert stored is not None
    err = capfd.readouterr().err
    assert f"cid={stored}" in err
    (item,) = entries(enabled_home)
    assert item["hit"]["cid"] == ID_PHRASE and stored not in enabled_home.read_text()


def test_debug_prints_to_a_text_only_stderr(
    enabled_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A host may replace sys.stderr by a text stream (no .buffer): the request is printed
    there, whole and on its own line."""
    import io
    from urllib.parse import parse_qsl

    from consent._store.log import entries
    from consent._wire import gate

    stream = io.StringIO()
    monkeypatch.setattr(sys, "stderr", stream)
    result = gate.submit(SPEC, "screenview", command="version", environ={SPEC.debug_env: "1"})
    assert result.outcome == "printed"
    text = stream.getvalue()
    said = f"telemetry: {SPEC.debug_env} is set: printing this request instead of sending it\n"
    assert text.startswith(said)
    after = text.split("printing this request instead of sending it\n", 1)[1]
    route, request = after.split("\n", 1)  # how it would connect, then the request
    assert route.startswith("telemetry: it would connect directly to ")
    assert request.startswith("POST ") and "\r\n\r\n" in request
    # The body, then one newline: exactly the pairs the log describes (the id aside).
    body = request.split("\r\n\r\n", 1)[1]
    assert body.endswith("\n") and body.count("\n") == 1
    (item,) = entries(enabled_home)
    printed = dict(parse_qsl(body[:-1], keep_blank_values=True, strict_parsing=True))
    assert printed.pop("cid") and item["hit"].pop("cid") == ID_PHRASE
    assert printed == item["hit"] and printed["cd"] == "version"


def test_debug_prints_the_exact_bytes_where_the_text_layer_translates_newlines(
    enabled_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A stderr whose text layer turns \\n into \\r\\n (a Windows console does): the request is
    written beneath it, byte for byte, so its CR LF stays CR LF."""
    import io

    from consent._wire import gate

    raw = io.BytesIO()
    stream = io.TextIOWrapper(raw, encoding="utf-8", newline="\r\n", write_through=True)
    monkeypatch.setattr(sys, "stderr", stream)
    result = gate.submit(SPEC, "screenview", command="version", environ={SPEC.debug_env: "1"})
    assert result.outcome == "printed"
    written = raw.getvalue()
    assert b"\r\r\n" not in written
    after = written.split(b"printing this request instead of sending it\r\n", 1)[1]
    route, request = after.split(b"\r\n", 1)  # how it would connect, then the request
    assert route.startswith(b"telemetry: it would connect directly to ")
    assert request.startswith(b"POST /collect HTTP/1.1\r\nHost: ") and request.endswith(b"\n")


def test_a_decision_that_does_not_know_the_purpose_drops_the_event(
    enabled_home: Path, handed: list[object]
) -> None:
    """The verdict is per purpose: a decision without an entry for the event's purpose (made for
    another registry) drops it, however enabled the rest of it is (fail closed)."""
    from consent._wire import gate

    on = resolve(SPEC, environ={})
    assert on.enabled and on.verdict("usage") == "send"
    sent = gate.submit(SPEC, "screenview", command="version", decision=on, environ={})
    assert sent.outcome == "handed", sent
    blind = on.replace(purposes=tuple(p for p in on.purposes if p.purpose != "usage"))
    assert blind.enabled and blind.verdict("usage") == "drop"
    result = gate.submit(SPEC, "screenview", command="version", decision=blind, environ={})
    assert result.outcome == "disabled"
    assert len(handed) == 1


def test_a_purpose_turned_off_is_named_in_the_outcome(
    enabled_home: Path, handed: list[object]
) -> None:
    from consent._wire import gate

    config = enabled_home.parents[2] / "config" / SPEC.name / "config.toml"
    config.write_text(config.read_text() + 'disabled_purposes = "usage"\n')
    result = gate.submit(SPEC, "screenview", command="version", environ={})
    assert result.outcome == "disabled" and result.detail.startswith("purpose 'usage': ")
    health = gate.submit(  # the other purpose still sends
        SPEC,
        "upload",
        values={"el": "ok", "ev": 1},
        environ={},
        recorded_by="lumogon report",
    )
    assert health.outcome == "handed" and len(handed) == 1


def test_a_refused_event_is_an_outcome_never_an_exception(enabled_home: Path) -> None:
    from consent._wire import gate

    result = gate.submit(SPEC, "no-such-event", environ={})
    assert result.outcome == "refused" and "no-such-event" in result.detail
    broken = gate.submit(SPEC, "screenview", decision=object(), environ={})  # type: ignore[arg-type]
    assert broken.outcome == "error" and broken.detail.startswith("AttributeError: ")


def test_strict_mode_records_each_refusal_and_raises(enabled_home: Path, tmp_path: Path) -> None:
    from consent._errors import HitError
    from consent._wire import gate

    record = tmp_path / "strict.jsonl"
    record.write_text('{"earlier": true}\n')
    environ = {"CONSENT_STRICT_LOG": str(record)}
    for event in ("first-unknown", "second-unknown"):
        with pytest.raises(HitError):
            gate.submit(SPEC, event, environ=environ)
    lines = [json.loads(line) for line in record.read_text().splitlines()]
    assert lines[0] == {"earlier": True}
    assert [(x["app"], x["event"], x["field"]) for x in lines[1:]] == [
        (SPEC.name, "first-unknown", ""),
        (SPEC.name, "second-unknown", ""),
    ]
    assert all("unknown" in x["reason"] for x in lines[1:])
    assert record.read_text().endswith("}\n")


def test_the_sender_holds_none_of_the_hosts_descriptors(tmp_path: Path) -> None:
    """A pipe the host holds (its stdout to a pager, say) must reach EOF when the host exits,
    not when the sender does: the sender inherits no descriptor of the host."""
    if not sys.platform.startswith("linux"):
        pytest.skip("reads the sender's descriptors through /proc")
    from consent.testing.collector import Collector

    read_end, write_end = os.pipe()
    os.set_inheritable(write_end, True)  # as a host's stdout or a pager pipe is
    inode = os.fstat(write_end).st_ino
    try:
        with Collector(behaviour="blackhole") as collector:
            pid = start_a_sender(tmp_path, collector.url, "fds")
            try:
                held = set()
                for fd in Path(f"/proc/{pid}/fd").iterdir():
                    try:
                        held.add(os.readlink(fd))
                    except OSError:
                        continue
                assert f"pipe:[{inode}]" not in held, held
            finally:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_hit_in_flight_when_the_person_or_an_admin_turns_it_off_never_leaves(
    consent_home: Home, monkeypatch: pytest.MonkeyPatch, handed: list[object]
) -> None:
    """The job the gate hands over carries everything the sender decides again with, just
    before it connects (consent/_wire/sender.py, `_refusal`): a purpose turned off, an admin's
    lock, a packager's file broken since, the disable variable, a proxy variable that cannot be
    used. Each stops a hit already handed over; the same job, nothing changed, is sent."""
    from consent._wire import gate
    from consent._wire.job import Job
    from consent._wire.sender import run

    spec = SPEC.replace(system_root=str(consent_home.system_root))
    monkeypatch.setattr(sys, "prefix", str(consent_home.root / "prefix"))  # the defaults' home
    consent_home.enable(spec)
    config = consent_home.locations(spec).config_file
    defaults = Path(consent_home.locations(spec).defaults_path)
    with Collector() as collector:

        def handed_job(extra: dict[str, str] | None = None) -> Job:
            environ = {spec.endpoint_env: collector.url, **(extra or {})}
            assert gate.submit(spec, "screenview", command="version", environ=environ).outcome == (
                "handed"
            )
            job = handed.pop()
            assert isinstance(job, Job) and not handed
            return job

        run(handed_job())  # nothing changed: it leaves
        assert len(collector.wait_for(1, timeout=30)) == 1
        changes: list[tuple[Callable[[], object], Callable[[], object]]] = [
            (
                lambda: config.write_text(config.read_text() + 'disabled_purposes = "usage"\n'),
                lambda: consent_home.enable(spec),
            ),
            (
                lambda: consent_home.write_system_policy(spec, "[telemetry]\nenabled = false\n"),
                lambda: consent_home.system_policy_file(spec).unlink(),
            ),
            (
                lambda: _write(defaults, "[telemetry]\nmode = 1\n"),
                defaults.unlink,
            ),
            (
                lambda: monkeypatch.setenv(spec.disable_env, "1"),
                lambda: monkeypatch.delenv(spec.disable_env),
            ),
        ]
        for change, undo in changes:
            job = handed_job()
            change()
            run(job)
            undo()
        # The proxy variables go along as the host had them (a loopback collector is reached
        # directly, so the job itself shows it): the sender routes by them, never by its own.
        proxied = handed_job({"HTTPS_PROXY": " ", "no_proxy": "x", "HTTP_PROXY": "y"})
        assert proxied.proxy_env == (("HTTPS_PROXY", " "), ("no_proxy", "x"))
        # A packager's endpoint, which the override variable would beat, is where it goes.
        _write(defaults, f'[telemetry]\nendpoint = "{collector.url}/pkg"\n')
        packaged = gate.submit(spec, "screenview", command="version", environ={})
        assert packaged.detail == f"{collector.url}/pkg/collect", packaged
        (job,) = handed
        assert isinstance(job, Job) and job.raw.startswith(b"POST /pkg/collect ")
        outcomes = [str(e["outcome"]) for e in consent_home.log(spec)]
        assert outcomes[0].startswith("sent: HTTP 2"), outcomes
        assert all(o.startswith("not sent: disabled before sending") for o in outcomes[1:5])
        assert len(outcomes) == 7 and len(collector.received()) == 1


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_record_event_counts_the_runs_command_and_raises_only_in_strict_mode(
    enabled_home: Path, handed: list[object], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Inside a command's run an event must be one the command may record (lumogon's `upload`
    lists `report`); whatever goes wrong inside, the host goes on, except in strict mode."""
    from consent._wire import gate
    from consent.testing.runs import command_run

    values = {"el": "ok", "ev": 1}
    with command_run(SPEC, "lumogon scan", decision=resolve(SPEC, environ={})):
        assert gate.record_event(SPEC, "upload", values) is None  # refused, silently
    assert handed == []
    with command_run(SPEC, "lumogon report", decision=resolve(SPEC, environ={})):
        gate.record_event(SPEC, "upload", values)
    assert len(handed) == 1
    gate.record_event(None, "upload", values)  # type: ignore[arg-type]  # no spec: still no raise
    monkeypatch.setenv(gate.STRICT_ENV, str(tmp_path / "strict.jsonl"))
    with pytest.raises(AttributeError):
        gate.record_event(None, "upload", values)  # type: ignore[arg-type]
    assert len(handed) == 1


def test_a_disabled_run_checks_its_events_only_under_debug_or_strict_mode(
    enabled_home: Path, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Turned off, an event is still checked as it would be built (its command, its values, the
    run's command) when an author asks to see misuse; refused, it is said exactly once, naming
    event and field; otherwise a disabled run stays silent and lean."""
    from consent._errors import HitError
    from consent._wire import gate

    off = {"DO_NOT_TRACK": "1"}
    strict = {**off, gate.STRICT_ENV: str(tmp_path / "strict.jsonl")}
    good, bad = {"el": "ok", "ev": 1}, {"el": "maybe", "ev": 1}
    for event, command, values, by in [
        ("screenview", "version", None, ""),
        ("upload", None, good, "lumogon report"),
    ]:
        done = gate.submit(
            SPEC, event, command=command, values=values, recorded_by=by, environ=strict
        )
        assert done.outcome == "disabled", done
    with pytest.raises(HitError, match="'maybe'"):
        gate.submit(SPEC, "upload", values=bad, recorded_by="lumogon report", environ=strict)
    with pytest.raises(HitError, match="'lumogon scan'"):
        gate.submit(SPEC, "upload", values=good, recorded_by="lumogon scan", environ=strict)
    assert capfd.readouterr().err == ""
    debug = {**off, SPEC.debug_env: "1"}
    field = gate.submit(SPEC, "upload", values=bad, environ=debug)
    event = gate.submit(SPEC, "no-such-event", environ=debug)
    assert (field.outcome, event.outcome) == ("refused", "refused")
    assert capfd.readouterr().err == (
        f"telemetry: refused event 'upload', field 'el': {field.detail}. "
        "Nothing of this event was sent\n"
        f"telemetry: refused event 'no-such-event': {event.detail}. "
        "Nothing of this event was sent\n"
    )
    assert gate.submit(SPEC, "upload", values=bad, environ=off).outcome == "disabled"
    assert gate.submit(SPEC, "no-such-event", environ={}).outcome == "refused"
    assert capfd.readouterr().err == ""  # outside both modes: silent


def test_debug_never_waits_on_a_sender_holding_the_id(
    enabled_home: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """A sender in flight holds the id's lock: the debug run prints the request at once with
    the stand-in id instead of waiting for the sender's lock (up to 5 s)."""
    from consent._store.fileio import locked_shared, make_dirs
    from consent._store.identity import id_lock
    from consent._store.paths import locations
    from consent._wire import gate

    id_file = locations(SPEC).id_file
    make_dirs(id_file.parent, 0o700)
    started = time.monotonic()
    with locked_shared(id_lock(id_file)):
        result = gate.submit(SPEC, "screenview", command="version", environ={SPEC.debug_env: "1"})
    waited = time.monotonic() - started
    assert result.outcome == "printed", result
    assert waited < 2.5  # 50 times the host's bound, half of what a sender waits (5 s)
    err = capfd.readouterr().err
    cid = err.split("cid=", 1)[1][:36]
    assert len(cid) == 36 and cid.count("-") == 4 and not id_file.exists()


def test_warnings_and_the_debug_request_reach_a_block_buffered_stderr_at_once(
    enabled_home: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A host's stderr may be a file (block-buffered): what the gate says is on disk when it
    returns, in order, however long the host then runs."""
    from consent._wire import gate

    path = tmp_path / "stderr"
    with open(path, "w", encoding="utf-8") as stream:
        monkeypatch.setattr(sys, "stderr", stream)
        refused = gate.submit(
            SPEC, "screenview", command="version", environ={SPEC.endpoint_env: "http://10.1.2.3"}
        )
        said = f"telemetry: {refused.detail}; nothing was sent\n".encode()
        assert path.read_bytes() == said
        debug = {SPEC.debug_env: "1"}
        assert gate.submit(SPEC, "screenview", command="version", environ=debug).outcome == (
            "printed"
        )
        written = path.read_bytes()
        assert written.startswith(said) and written.endswith(b"\n")
        assert written.split(b"telemetry: ")[-1].split(b"\n", 1)[1].startswith(b"POST /collect ")
        assert b"\r\n\r\n" in written


def test_the_popen_fallback_leaves_nothing_to_warn_about(tmp_path: Path) -> None:
    """Popen's way (no posix_spawn, a std stream closed) hands the bytes over and closes its
    end of the pipe; never waiting, it still leaves nothing that warns at exit (a host run with
    -W error or -X dev must not print a ResourceWarning)."""
    import gc
    import warnings

    from consent._wire import gate

    where = tmp_path / "got"
    gc.collect()  # what earlier tests left (a socket in a cycle) warns now, not below
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        argv = ["/bin/sh", "-c", f"cat > {where}.tmp && mv {where}.tmp {where}"]
        gate._popen_detached(argv, b"job")
        gc.collect()
    ours = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    # Popen's "subprocess N is still running", or the pipe's "unclosed file <...BufferedWriter"
    assert [m for m in ours if "subprocess" in m or "BufferedWriter" in m] == []
    deadline = time.monotonic() + 30
    while not where.exists():  # its stdin reached EOF: the host's end is closed
        assert time.monotonic() < deadline, "the child never saw the end of its input"
        time.sleep(0.01)
    assert where.read_bytes() == b"job"
