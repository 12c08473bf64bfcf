"""The decision: pure, from what the sources say to enabled or not, and why.

No I/O here. `sources.gather` reads; this module only reasons, so every rule of
docs/configuration.md is testable with plain values. Any disable vote wins and the strongest
disabling source is named; enabling needs an explicit, current reason.
"""

from __future__ import annotations

from consent.core.envgrammar import EnvReading, shown
from consent.core.names import FLAG
from consent.core.records import ConsentRecord, FileState
from consent.core.spec import Mode
from consent.core.value import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    SourceName = Literal["policy", "flag", "env", "config", "default"]
    DecidedSource = Literal["policy", "flag", "env", "config", "notice", "default", "error"]
    VoteValue = Literal["disable", "enable"] | None
    Pending = Literal["notice", "question"] | None
else:  # typing is not imported at run time (see consent/core/value.py)
    SourceName = DecidedSource = str
    VoteValue = Pending = str | None


class PolicyReading(Record):
    path: str
    state: FileState
    locks: bool
    problem: str = ""


class ConfigReading(Record):
    path: str
    state: FileState
    record: ConsentRecord = ConsentRecord()
    problem: str = ""


class Inputs(Record):
    """What the sources said. None means "not consulted" (a cheaper source already disabled)."""

    app: str
    mode: Mode
    notice_version: str
    flag: bool
    env: tuple[EnvReading, ...]
    policies: tuple[PolicyReading, ...] | None
    config: ConfigReading | None
    commands: str = ""  # how a person types the consent commands, `acme telemetry`


class SourceVote(Record):
    source: SourceName
    vote: VoteValue
    detail: str
    origin: dict[str, str]


class DecidedBy(Record):
    source: DecidedSource
    detail: str
    origin: dict[str, str]


class Decision(Record):
    enabled: bool
    decided_by: DecidedBy
    trace: tuple[SourceVote, ...]
    warnings: tuple[str, ...]
    notice_version: str
    # What a person could do in an interactive run: see the notice (opt-out) or answer (opt-in).
    pending: Pending = None


def decide(inputs: Inputs) -> Decision:
    votes: list[SourceVote] = []
    warnings: list[str] = []
    deciders: list[DecidedBy] = []  # disabling sources, strongest first

    for vote, decided in _policy_votes(inputs, warnings):
        votes.append(vote)
        if decided:
            deciders.append(decided)
    flag = SourceVote(
        "flag",
        "disable" if inputs.flag else None,
        f"{FLAG} given (this run only)" if inputs.flag else f"{FLAG} not given",
        {"name": FLAG},
    )
    votes.append(flag)
    if inputs.flag:
        deciders.append(DecidedBy("flag", flag.detail, flag.origin))
    for reading in inputs.env:
        vote = _env_vote(reading, warnings)
        votes.append(vote)
        if vote.vote == "disable":
            deciders.append(DecidedBy("env", vote.detail, vote.origin))

    config_vote, config_decided, stale = _config_vote(inputs, warnings)
    votes.append(config_vote)
    if config_decided is not None:
        deciders.append(config_decided)
    default_vote = _default_vote(inputs)
    votes.append(default_vote)

    trace = tuple(votes)
    version = inputs.notice_version
    if deciders:
        return Decision(False, deciders[0], trace, tuple(warnings), version)
    if config_vote.vote == "enable":
        return Decision(
            True, DecidedBy("config", config_vote.detail, config_vote.origin), trace,
            tuple(warnings), version,
        )  # fmt: skip
    if default_vote.vote == "enable":
        return Decision(
            True, DecidedBy("default", default_vote.detail, default_vote.origin), trace,
            tuple(warnings), version,
        )  # fmt: skip
    origin = {"notice_version": version}
    if stale:
        detail = f"{stale}; awaiting notice {version}"
        pending: Pending = "notice" if inputs.mode == "opt-out" else "question"
        return Decision(
            False, DecidedBy("notice", detail, origin), trace, tuple(warnings), version, pending
        )
    if inputs.mode == "opt-out":
        detail = f"awaiting notice {version}: it has not yet been shown to a person"
        return Decision(
            False, DecidedBy("notice", detail, origin), trace, tuple(warnings), version, "notice"
        )
    detail = f"opt-in: no consent recorded for notice {version}"
    return Decision(
        False, DecidedBy("default", detail, origin), trace, tuple(warnings), version, "question"
    )


def printable(text: str) -> str:
    """A string read from a file, safe to print: control characters become escapes."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def _policy_votes(inputs: Inputs, warnings: list[str]) -> list[tuple[SourceVote, DecidedBy | None]]:
    if inputs.policies is None:
        return [
            (
                SourceVote("policy", None, "not consulted: an earlier check already disables", {}),
                None,
            )
        ]
    if not inputs.policies:
        return [(SourceVote("policy", None, "no policy location on this platform", {}), None)]
    out: list[tuple[SourceVote, DecidedBy | None]] = []
    for p in inputs.policies:
        origin = {"path": str(p.path), "key": "telemetry.enabled"}
        if p.state == "missing":
            out.append((SourceVote("policy", None, f"no policy file at {p.path}", origin), None))
        elif p.state == "error" or p.problem:
            detail = f"{p.path} {p.problem}; treated as an admin lock (fail closed)"
            if p.state == "ok":
                detail = f"{p.path}: {p.problem}; treated as an admin lock (fail closed)"
            warnings.append(f"admin policy {detail}")
            vote = SourceVote("policy", "disable", detail, origin)
            out.append((vote, DecidedBy("policy", detail, origin)))
        elif p.locks:
            detail = f"{p.path}: telemetry.enabled = false (admin lock)"
            vote = SourceVote("policy", "disable", detail, origin)
            out.append((vote, DecidedBy("policy", detail, origin)))
        else:
            detail = f"{p.path} does not lock telemetry"
            out.append((SourceVote("policy", None, detail, origin), None))
    return out


def _env_vote(reading: EnvReading, warnings: list[str]) -> SourceVote:
    origin = {"name": reading.name, "value": reading.raw if reading.raw is not None else ""}
    if reading.reading == "unset":
        if reading.raw is None:
            return SourceVote("env", None, f"{reading.name} is not set", {"name": reading.name})
        return SourceVote("env", None, f"{reading.name} is empty", origin)
    if reading.reading == "false":
        return SourceVote(
            "env", None, f"{reading.name}={shown(reading.raw)} does not disable", origin
        )
    if reading.reading == "true":
        return SourceVote("env", "disable", f"{reading.name}={shown(reading.raw)}", origin)
    warnings.append(
        f"{reading.name}={shown(reading.raw)} is not understood, so telemetry is disabled; "
        f"use 1/true/yes/on to disable or 0/false/no/off to allow"
    )
    return SourceVote(
        "env", "disable", f"{reading.name}={shown(reading.raw)} (not understood)", origin
    )


def _config_vote(inputs: Inputs, warnings: list[str]) -> tuple[SourceVote, DecidedBy | None, str]:
    """(the vote, the decider when it disables, a note when consent is for an older notice)."""
    c = inputs.config
    if c is None:
        return (
            SourceVote("config", None, "not consulted: an earlier check already disables", {}),
            None,
            "",
        )
    origin = {"path": str(c.path), "key": "telemetry.enabled"}
    if c.state == "missing":
        return SourceVote("config", None, f"no config file at {c.path}", origin), None, ""
    if c.state == "error":
        detail = f"{c.path} {c.problem}; no consent can be read from it"
        warnings.append(
            f"the config {detail}. Run `{_commands(inputs)} disable` or `enable` to write a "
            f"valid one; the current file will be kept as a backup"
        )
        return (
            SourceVote("config", "disable", detail, origin),
            DecidedBy("error", detail, origin),
            "",
        )
    r = c.record
    when = ", ".join(printable(x) for x in (r.decided_via, r.decided_at) if x)
    when = f" ({when})" if when else ""
    if r.enabled is False:
        detail = f"{c.path}: telemetry.enabled = false{when}"
        return (
            SourceVote("config", "disable", detail, origin),
            DecidedBy("config", detail, origin),
            "",
        )
    if r.enabled is True:
        origin = {**origin, "notice_version": r.notice_version or ""}
        if r.notice_version == inputs.notice_version:
            detail = f"{c.path}: telemetry.enabled = true for notice {r.notice_version}{when}"
            return SourceVote("config", "enable", detail, origin), None, ""
        if r.notice_version:
            stale = (
                f"consent given for notice {printable(r.notice_version)}, "
                f"current is {inputs.notice_version}"
            )
        else:
            stale = "telemetry.enabled = true names no notice version"
            warnings.append(
                f"{c.path}: telemetry.enabled = true without a notice version is not consent; "
                f"run `{_commands(inputs)} enable` to record it"
            )
        return SourceVote("config", None, f"{c.path}: {stale}", origin), None, stale
    return SourceVote("config", None, f"{c.path} records no decision", origin), None, ""


def _default_vote(inputs: Inputs) -> SourceVote:
    version = inputs.notice_version
    origin = {"mode": inputs.mode, "notice_version": version}
    if inputs.mode == "opt-in":
        return SourceVote("default", None, "opt-in: off until a person agrees", origin)
    r = inputs.config.record if inputs.config is not None and inputs.config.state == "ok" else None
    if r is not None and r.notice_shown_version == version:
        at = f" on {printable(r.notice_shown_at)}" if r.notice_shown_at else ""
        detail = f"opt-out: notice {version} was shown{at}"
        return SourceVote(
            "default", "enable", detail, {**origin, "shown_at": r.notice_shown_at or ""}
        )
    return SourceVote("default", None, f"opt-out: on once notice {version} has been shown", origin)


def _commands(inputs: Inputs) -> str:
    return inputs.commands or f"{inputs.app} telemetry"
