"""The sender's start (consent/_wire/gate.py, `spawn_detached`): posix_spawn against the
subprocess.Popen it replaces on the host's path. Both start the same probe with the same bytes,
and the probe reports what a detached sender sees: its session and group, its stdin's bytes,
stdout and stderr on devnull, the descriptors it holds (an inheritable one the host has open
included), its environment and its signal dispositions and mask. The two must agree."""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from consent._wire import gate

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="the probe reads /proc/self"
)

PROBE = r"""
import json, os, sys
status = dict(
    line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line
)
null = os.stat(os.devnull)
seen = {
    "cwd": os.getcwd(),
    "session_leader": os.getsid(0) == os.getpid(),
    "group_leader": os.getpgrp() == os.getpid(),
    "stdin": sys.stdin.buffer.read().decode("latin-1"),
    "stdout_null": os.path.samestat(os.fstat(1), null),
    "stderr_null": os.path.samestat(os.fstat(2), null),
    "fds": sorted(int(n) for n in os.listdir("/proc/self/fd")),
    "env": dict(os.environ),
    "signals": {k: status[k].strip() for k in ("SigBlk", "SigIgn", "SigCgt")},
}
with open(sys.argv[1] + ".tmp", "w") as fh:
    json.dump(seen, fh)
os.replace(sys.argv[1] + ".tmp", sys.argv[1])
"""
# Bytes of every value a pipe carries, and more than one pipe write's atomic size.
DATA = bytes(range(256)) * 40


def _seen(where: Path) -> dict[str, object]:
    deadline = time.monotonic() + 30
    while not where.exists():
        assert time.monotonic() < deadline, "the probe never reported"
        time.sleep(0.01)
    seen: dict[str, object] = json.loads(where.read_text())
    # The listing's own descriptor is the lowest free one; it is not inherited.
    fds = seen["fds"]
    assert isinstance(fds, list)
    seen["fds"] = fds[:-1]
    return seen


def _both(tmp_path: Path) -> tuple[dict[str, object], dict[str, object]]:
    spawned, popened = tmp_path / "spawned.json", tmp_path / "popened.json"
    gate.spawn_detached([sys.executable, "-c", PROBE, str(spawned)], DATA)
    gate._popen_detached([sys.executable, "-c", PROBE, str(popened)], DATA)
    return _seen(spawned), _seen(popened)


def _open_fds() -> set[int]:
    return {int(n) for n in os.listdir("/proc/self/fd")}


def test_posix_spawn_and_popen_give_the_child_the_same_world(tmp_path: Path) -> None:
    # An inheritable descriptor in the host (what a shell's `3>file` passes down) must not
    # reach the sender, whose life is longer than the host's.
    passed_r, passed_w = os.pipe()
    os.set_inheritable(passed_w, True)
    before = _open_fds()
    try:
        spawned, popened = _both(tmp_path)
        assert _open_fds() == before  # neither leaves a descriptor behind in the host
    finally:
        os.close(passed_r)
        os.close(passed_w)
    assert popened["cwd"] == "/"
    assert spawned["cwd"] == os.getcwd()  # posix_spawn cannot chdir: the bootstrap leaves
    # Popen passes the C library's environment; posix_spawn is given os.environ, which the
    # gate and the sender read. They differ only by what was put there beside os.environ
    # (os.putenv: pytest's COLUMNS and LINES here).
    assert spawned["env"] == dict(os.environ)
    env = popened["env"]
    assert isinstance(env, dict)
    assert {k: v for k, v in env.items() if k in os.environ} == spawned["env"]
    # glibc's posix_spawn leaves the two signals it keeps for itself (the kernel's 32 up to the
    # SIGRTMIN Python reports) ignored in the child; the C library sets them up again in a
    # program that uses them (thread cancellation, set*id across threads; the sender uses
    # neither). Every other disposition must agree.
    own = sum(1 << (n - 1) for n in range(32, getattr(signal, "SIGRTMIN", 32)))
    for seen in (spawned, popened):
        del seen["cwd"], seen["env"]
        signals = seen["signals"]
        assert isinstance(signals, dict)
        signals["SigIgn"] = int(signals["SigIgn"], 16) & ~own
    assert spawned == popened
    assert spawned["stdin"] == DATA.decode("latin-1")
    assert spawned["session_leader"] and spawned["group_leader"]
    assert spawned["stdout_null"] and spawned["stderr_null"]
    assert spawned["fds"] == [0, 1, 2]


def test_without_setsid_in_posix_spawn_it_falls_back_to_popen(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = []

    def unsupported(*args: object, **kwargs: object) -> int:
        calls.append(args)
        raise NotImplementedError("setsid is not supported")

    monkeypatch.setattr(os, "posix_spawn", unsupported)
    before = _open_fds()
    gate.spawn_detached([sys.executable, "-c", PROBE, str(tmp_path / "seen.json")], DATA)
    assert len(calls) == 1 and _open_fds() == before
    seen = _seen(tmp_path / "seen.json")
    assert seen["cwd"] == "/" and seen["session_leader"] and seen["fds"] == [0, 1, 2]
    assert seen["stdin"] == DATA.decode("latin-1")


def test_a_host_with_its_stdin_closed_still_hands_the_bytes_over(tmp_path: Path) -> None:
    """The pipe then takes descriptor 0 in the host: subprocess handles that case, and the host
    keeps no end of that pipe. With every std stream open, the pipe's lowest possible ends (3
    and 4) still go by posix_spawn, and an inheritable descriptor 3 is not passed on."""
    seen = [tmp_path / f"seen{i}.json" for i in range(3)]
    host = (
        "import os, sys\n"
        "from consent._wire import gate\n"
        "def is_open(fd):\n"
        "    try: os.fstat(fd)\n"
        "    except OSError: return 0\n"
        "    return 1\n"
        "def spawn(i, data):\n"
        "    gate.spawn_detached([sys.executable, '-c', sys.argv[1], sys.argv[2 + i]], data)\n"
        "r, w = os.pipe(); os.close(r); os.close(w)\n"
        "assert (r, w) == (3, 4), (r, w)  # the pipe the spawn makes next\n"
        "spawn(0, b'first')\n"
        "print(len(gate.STARTED), is_open(3), is_open(4))\n"
        "fd = os.open(os.devnull, os.O_RDONLY)\n"
        "assert fd == 3, fd\n"
        "os.set_inheritable(fd, True)  # a shell's `3<file`\n"
        "spawn(1, b'second')\n"
        "os.close(fd)\n"
        "os.close(0)\n"
        "spawn(2, b'job bytes')\n"
        "print(len(gate.STARTED), is_open(0), is_open(3))\n"
    )
    proc = subprocess.run(
        [sys.executable, "-c", host, PROBE, *map(str, seen)],
        capture_output=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    # posix_spawn twice, then subprocess; no end of any pipe left open in the host
    assert proc.stdout.split(b"\n")[:2] == [b"1 0 0", b"2 0 0"]
    for where, data in zip(seen, ("first", "second", "job bytes"), strict=True):
        got = _seen(where)
        assert got["stdin"] == data and got["session_leader"] and got["fds"] == [0, 1, 2]


def test_where_the_descriptors_cannot_be_listed_popen_starts_the_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """posix_spawn needs the host's descriptors listed, to close the inheritable ones: Linux's
    /proc/self/fd, macOS's /dev/fd (here a link to the former). A platform with neither, or a
    listing that fails (no /proc mounted), goes through subprocess instead. Each way hands the
    bytes over and leaves no descriptor behind."""
    del gate.STARTED[:]
    before = _open_fds()

    def started(name: str) -> bytes:
        where = tmp_path / name
        gate.spawn_detached(["/bin/sh", "-c", f"cat > {where}.tmp && mv {where}.tmp {where}"], b"x")
        deadline = time.monotonic() + 30
        while not where.exists():
            assert time.monotonic() < deadline, "the child never got its input"
            time.sleep(0.01)
        return where.read_bytes()

    monkeypatch.setattr(sys, "platform", "darwin")
    assert started("darwin") == b"x" and len(gate.STARTED) == 1  # by posix_spawn
    os.waitpid(gate.STARTED[0], 0)  # (reaped here: the next spawn forgets it)
    monkeypatch.setattr(sys, "platform", "sunos5")
    # by subprocess
    assert started("sunos5") == b"x" and gate.STARTED == []
    monkeypatch.undo()

    def unlisted(path: object) -> list[str]:
        raise PermissionError(13, "no /proc here")

    monkeypatch.setattr(os, "listdir", unlisted)
    assert started("unlisted") == b"x" and gate.STARTED == []
    monkeypatch.undo()
    assert _open_fds() == before


def test_a_real_sender_leaves_the_hosts_directory(tmp_path: Path) -> None:
    """posix_spawn starts the child where the host is; the bootstrap's first lines leave, so
    that a sender waiting on the network never keeps the host's directory busy."""
    from consent.testing.collector import Collector
    from tests.wire.test_gate import start_a_sender

    here = tmp_path / "host"
    here.mkdir()
    old = os.getcwd()
    with Collector(behaviour="blackhole") as collector:
        os.chdir(here)
        try:
            pid = start_a_sender(
                tmp_path, collector.url, f"cwd-{os.getpid()}-{time.monotonic_ns()}"
            )
        finally:
            os.chdir(old)
        try:
            deadline = time.monotonic() + 30
            while os.readlink(f"/proc/{pid}/cwd") != "/":
                assert time.monotonic() < deadline, "the sender stayed in the host's directory"
                time.sleep(0.01)
        finally:
            os.kill(pid, 9)
            os.waitpid(pid, 0)


@pytest.mark.parametrize("number", [errno.EBADF, errno.ENOENT])
def test_a_descriptor_closed_meanwhile_falls_back_and_any_other_error_is_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, number: int
) -> None:
    """EBADF: a descriptor listed for closing was closed by another thread before the spawn
    (macOS then fails it, having started nothing): Popen starts the child instead. Any other
    failure is the gate's to log (consent/_wire/gate.py, `_send`), never hidden by a retry."""

    def failing(*args: object, **kwargs: object) -> int:
        raise OSError(number, os.strerror(number))

    monkeypatch.setattr(os, "posix_spawn", failing)
    before = _open_fds()
    where = tmp_path / "seen.json"
    argv = [sys.executable, "-c", PROBE, str(where)]
    if number == errno.EBADF:
        gate.spawn_detached(argv, DATA)
        assert _seen(where)["stdin"] == DATA.decode("latin-1")
    else:
        with pytest.raises(FileNotFoundError):
            gate.spawn_detached(argv, DATA)
        assert not where.exists()
    assert _open_fds() == before


def test_a_child_that_is_not_python_sees_the_same_signal_dispositions(tmp_path: Path) -> None:
    """A Python child ignores SIGPIPE and SIGXFSZ whatever it was given; a shell shows what it
    was given. Python ignores both in the host, and Popen gives the child their defaults again
    (restore_signals): so must posix_spawn, for what the sender may itself start."""
    status = "grep -E '^Sig(Blk|Ign)' /proc/self/status > {0}.tmp && mv {0}.tmp {0}"
    spawned, popened = tmp_path / "spawned", tmp_path / "popened"
    gate.spawn_detached(["/bin/sh", "-c", status.format(spawned)], b"")
    gate._popen_detached(["/bin/sh", "-c", status.format(popened)], b"")
    own = sum(1 << (n - 1) for n in range(32, getattr(signal, "SIGRTMIN", 32)))
    seen = []
    for where in (spawned, popened):
        deadline = time.monotonic() + 30
        while not where.exists():
            assert time.monotonic() < deadline, "the shell never reported"
            time.sleep(0.01)
        lines = dict(line.split(":") for line in where.read_text().split("\n") if line)
        seen.append({k: int(v, 16) & ~own for k, v in lines.items()})
    assert seen[0] == seen[1]
    assert not seen[0]["SigIgn"] & (1 << (signal.SIGPIPE - 1))  # the host ignores it: not passed on


def test_finished_senders_are_reaped_at_the_next_spawn(tmp_path: Path) -> None:
    """A long-running host that records many events leaves no zombie behind for each: the
    senders that have ended are reaped when it starts the next one, without waiting."""

    def state(pid: int) -> str:
        try:
            return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return "gone"

    del gate.STARTED[:]
    for _ in range(2):
        gate.spawn_detached([sys.executable, "-c", "pass"], b"")
    first = list(gate.STARTED)
    assert len(first) == 2
    deadline = time.monotonic() + 30
    while any(state(pid) != "Z" for pid in first):  # ended, not yet reaped: zombies
        assert time.monotonic() < deadline, "the children never ended"
        time.sleep(0.01)
    gate.spawn_detached([sys.executable, "-c", "pass"], b"")
    assert [state(pid) for pid in first] == ["gone", "gone"]
    assert gate.STARTED == [pid for pid in gate.STARTED if pid not in first] != []


def test_a_sender_the_host_reaped_itself_is_forgotten_at_the_next_spawn() -> None:
    """A host that waits for any child (os.wait, a subprocess helper) may reap a sender first:
    the next spawn forgets it instead of failing on it, and still starts its own child."""
    del gate.STARTED[:]
    gate.spawn_detached(["/bin/sh", "-c", ":"], b"")
    (first,) = gate.STARTED
    os.waitpid(first, 0)  # the host's own wait took it
    gate.spawn_detached(["/bin/sh", "-c", ":"], b"")
    (second,) = gate.STARTED
    assert second != first
    os.waitpid(second, 0)
    del gate.STARTED[:]
