"""Consent receipts: an append-only, hash-chained record of every change of consent.

One JSON line per change (enable, disable, a first-run notice shown, a question answered), in the
user state directory (mode 0600). Each record is shaped after ISO/IEC TS 27560:2023 (receipt id,
timestamp, controller and contact, notice version and date, purposes, the action and how it was
expressed) and holds two hashes:

- `record_sha256`: SHA-256 of the record's own canonical line without this key, so an edited
  record is named by itself;
- `previous_sha256`: SHA-256 of the previous record's exact line (its bytes, without the newline),
  so the file is a chain: a record changed or removed after the next one was written is found.

Receipts hold no id, never leave the machine and are kept when the id is deleted. Appends are
serialised with `fileio.locked`, so concurrent changes leave a valid chain. Nothing here is
imported on the disabled path.
"""

from __future__ import annotations

import errno
import hashlib
import os
import uuid

from consent._core.jsonline import dumps, loads
from consent._core.spec import AppSpec
from consent._core.value import Record
from consent._store.clock import utc_stamp
from consent._store.fileio import locked

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

# The shape of a record; bump when a key changes meaning.
# 2: one `purposes` entry per purpose (name, description, fields, events, changed) and
# `purposes_changed`.
SCHEMA = "consent-receipt/2 (ISO/IEC TS 27560:2023 shaped)"

# How a change was expressed -> (27560 consent status, the toolkit's state after it).
ACTIONS = {
    "given": "enabled",  # enable, or yes to the question
    "refused": "disabled",  # no to the question
    "withdrawn": "disabled",  # disable
    "notified": "notice shown",  # opt-out: the first-run notice was shown
    "local": "local only",  # `telemetry local`: hits are kept on this machine, never sent
}


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def line_hash(record: dict[str, Any]) -> str:
    """The SHA-256 of the line `append` wrote for `record`: what the next receipt's
    `previous_sha256` holds, and what the config records as the chain's head."""
    return sha256_hex(dumps(record).encode("ascii"))


def build(
    spec: AppSpec,
    *,
    action: str,
    method: str,
    expressed: str,
    previous: str | None,
    changed: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    """One receipt, with its own hash; `previous` is the hash of the previous line (or None).
    `changed`: the purposes this change applies to (None: every purpose)."""
    names = spec.purpose_names if changed is None else changed
    record: dict[str, Any] = {
        "schema": SCHEMA,
        "receipt_id": str(uuid.uuid4()),
        "timestamp": utc_stamp(),
        "app": {"name": spec.name, "display_name": spec.display_name, "version": spec.version},
        "controller": {"name": spec.controller, "contact": spec.contact},
        "notice": {
            "version": spec.notice_version,
            "date": spec.notice_date,
            "homepage": spec.homepage,
            "shown_by": f"{spec.commands} notice",
        },
        "legal_basis": spec.legal_basis,
        "purposes": [
            {
                "purpose": p.description,
                "name": p.name,
                "fields": list(spec.purpose_fields(p.name)),
                "events": [e.name for e in spec.purpose_events(p.name)],
                "changed": p.name in names,  # whether this change applies to the purpose
            }
            for p in spec.all_purposes
        ],
        "purposes_changed": list(names),
        "recipients": spec.recipients,
        "retention": spec.retention,
        "mode": spec.mode,
        "action": action,  # the consent status: given, refused, withdrawn, notified
        "state": ACTIONS[action],
        "method": method,  # command, prompt or first-run notice
        "expressed": expressed,  # e.g. "lumogon telemetry enable"
        "previous_sha256": previous,
    }
    record["record_sha256"] = sha256_hex(dumps(record).encode("ascii"))
    return record


def append(
    spec: AppSpec,
    path: str,
    *,
    action: str,
    method: str,
    expressed: str,
    changed: tuple[str, ...] | None = None,
    timeout: float | None = None,
) -> dict[str, Any]:
    """Append one receipt to the chain in `path`; raises OSError or ConsentError if it cannot.

    `timeout` bounds the wait for the chain's lock (a host command's run passes milliseconds).
    The file is opened like every kept file (consent/_store/safeopen.py): never a FIFO, a link
    or a second hard link.
    """
    from pathlib import Path

    from consent._store.fileio import make_dirs
    from consent._store.safeopen import open_regular

    directory = Path(os.path.dirname(path))
    make_dirs(directory, 0o700)
    wait = {} if timeout is None else {"timeout": timeout}
    with locked(directory / f".{os.path.basename(path)}.lock", **wait):
        fd = open_regular(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            last, ends_cleanly = _last_line(fd)
            previous = sha256_hex(last) if last is not None else None
            record = build(
                spec,
                action=action,
                method=method,
                expressed=expressed,
                previous=previous,
                changed=changed,
            )
            line = dumps(record).encode("ascii") + b"\n"
            # A line cut by a crash stays where it is (verify names it); the new one starts afresh.
            os.write(fd, line if ends_cleanly else b"\n" + line)
            os.fsync(fd)
        finally:
            os.close(fd)
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            from consent._store.safeopen import match_owner

            match_owner(path, os.stat(directory))  # `sudo` keeps $HOME: the file stays the user's
    return record


def _last_line(fd: int) -> tuple[bytes | None, bool]:
    """The last non-empty line (without its newline), and whether the file ends with one."""
    size = os.fstat(fd).st_size
    if size == 0:
        return None, True
    data = os.pread(fd, size, 0)
    lines = [ln for ln in data.split(b"\n") if ln]
    return (lines[-1] if lines else None), data.endswith(b"\n")


# The most of a receipts file that is read: thousands of changes of consent (a receipt is about
# 1.5 KB), so that a file grown by someone else cannot hold `status` for long.
MAX_BYTES = 16 * 1024 * 1024


def read(path: str) -> list[bytes]:
    """The file's lines (without newlines); empty lines are skipped. Missing file: []. Raises
    OSError naming `path` otherwise: anything but a regular file there (a directory, a FIFO, a
    link, dangling or not: safeopen.NotRegularFile, never opened through, never blocking), a
    file larger than MAX_BYTES, or one that cannot be read."""
    from consent._store.safeopen import read_regular

    try:
        data = read_regular(path, MAX_BYTES, follow=False)
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise type(exc)(exc.errno, exc.strerror or str(exc), path) from None
    if len(data) > MAX_BYTES:
        raise OSError(errno.EFBIG, f"is larger than {MAX_BYTES // (1024 * 1024)} MiB", path)
    return split(data)


def problem(path: str, exc: OSError) -> str:
    """Why the receipts at `path` cannot be read, for people: "<path> is a directory"."""
    return f"{path} {exc.strerror or exc}"


def split(data: bytes) -> list[bytes]:
    """The records' lines in a file's bytes (without newlines; empty lines skipped)."""
    return [ln for ln in data.split(b"\n") if ln]


def records(path: str) -> list[dict[str, Any]]:
    """Every receipt that parses, oldest first (`--verify` says whether they are intact)."""
    return parsed(read(path))


def parsed(lines: list[bytes]) -> list[dict[str, Any]]:
    """`records` on the lines of a receipts file."""
    out = []
    for line in lines:
        try:
            record = loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            out.append(record)
    return out


def latest_id(path: str) -> str | None:
    """The id of the newest receipt, or None (`status --json` carries it)."""
    found = records(path)
    rid = found[-1].get("receipt_id") if found else None
    return rid if isinstance(rid, str) else None


def _id_in(line: bytes) -> str:
    """The receipt id as written in a line that no longer parses (best effort, for the message)."""
    key = b'"receipt_id": "'
    at = line.find(key)
    return line[at + len(key) : at + len(key) + 36].decode("ascii", "replace") if at >= 0 else ""


class Verdict(Record):
    """The result of checking the chain: `bad` is the 1-based number of the first bad record;
    `missing` says what is missing from the chain's end (the config records a newer head)."""

    count: int
    bad: int | None = None
    receipt_id: str = ""
    problem: str = ""
    missing: str = ""

    @property
    def ok(self) -> bool:
        return self.bad is None and not self.missing


def verify(path: str, head: str | None = None) -> Verdict:
    """Check every record's own hash and every link; name the first record that does not match.

    `head`: the hash the config records for the newest receipt (consent/_store/choices.py
    writes it with every change). A chain that does not hold it was cut at its end: its newest
    receipts were deleted, or the file emptied or replaced. A chain that holds it and more is
    intact (a change whose config could not be written still appended its receipt)."""
    return anchored(read(path), head)


def anchored(lines: list[bytes], head: str | None) -> Verdict:
    """`verify` on the lines of a receipts file, already read."""
    verdict = check(lines)
    if not verdict.ok or not head or head in {sha256_hex(line) for line in lines}:
        return verdict
    if not lines:
        where = "the file is empty or missing"
    else:
        last = _id_in(lines[-1])
        where = f"the file ends at receipt {len(lines)}" + (f" ({last})" if last else "")
    return verdict.replace(
        missing=f"the config records receipt sha256:{head[:16]}… as the newest, but {where}: "
        "the newest receipts were removed (or the file was replaced)"
    )


def check(lines: list[bytes]) -> Verdict:
    """`verify` on the lines of a receipts file."""
    parsed: list[dict[str, Any]] = []
    for i, line in enumerate(lines, 1):
        try:
            record = loads(line)
        except ValueError:
            record = None
        if not isinstance(record, dict):
            return Verdict(len(lines), i, _id_in(line), "it is not a JSON record (edited or cut)")
        rid = str(record.get("receipt_id", ""))
        if dumps(record).encode("ascii") != line:
            return Verdict(len(lines), i, rid, "its bytes are not the canonical form written")
        own = record.pop("record_sha256", None)
        if own != sha256_hex(dumps(record).encode("ascii")):
            return Verdict(len(lines), i, rid, "its content does not match its own hash")
        parsed.append(record)
        expected = sha256_hex(lines[i - 2]) if i > 1 else None
        if record.get("previous_sha256") != expected:
            if i == 1:
                return Verdict(
                    len(lines), 1, rid, "it follows a receipt that is no longer in the file"
                )
            prev_id = str(parsed[i - 2].get("receipt_id", ""))
            return Verdict(
                len(lines),
                i - 1,
                prev_id,
                f"receipt {i} records a different hash for it: it was changed after receipt {i} "
                "was written, or a receipt between them was removed",
            )
    return Verdict(len(lines))
