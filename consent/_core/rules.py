"""The decision: pure, from what the sources say to enabled or not, and why.

No I/O here. `sources.gather` reads; this module only reasons, so every rule of
docs/configuration.md is testable with plain values. Any disable vote wins and the strongest
disabling source is named; enabling needs an explicit, current reason.
"""

from __future__ import annotations

from consent._core.envgrammar import EnvReading, shown
from consent._core.names import MODE_OPT_IN, MODE_OPT_OUT, NO, YES
from consent._core.records import ConsentRecord, FileState
from consent._core.spec import IMPLICIT_PURPOSE, Mode
from consent._core.value import Record
from consent._start import FLAG

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    from consent._core.words import Words

    Verdict = Literal["send", "keep", "drop"]

    SourceName = Literal["policy", "flag", "env", "project", "config", "packager", "default"]
    DecidedSource = Literal[
        "policy", "flag", "env", "project", "config", "packager", "notice", "default", "error"
    ]
    VoteValue = Literal["disable", "enable"] | None
    Pending = Literal["notice", "question"] | None
else:  # typing is not imported at run time (see consent/_core/value.py)
    SourceName = DecidedSource = Verdict = str
    VoteValue = Pending = str | None

# What becomes of a hit: sent, kept in the local log (never sent), or dropped.
SEND: Verdict = "send"
KEEP: Verdict = "keep"
DROP: Verdict = "drop"


class PolicyReading(Record):
    path: str
    state: FileState
    locks: bool
    problem: str = ""
    locked_purposes: tuple[str, ...] = ()  # `disabled_purposes`: purposes locked off
    local: bool = False  # `mode = "local"`: nothing may leave the machine
    lock_key: str = ""  # the key that locks: "telemetry.enabled" or "telemetry.mode"
    endpoint: str = ""  # `endpoint`: the organisation's collector (checked when read)
    settings: tuple[tuple[str, str], ...] = ()  # every key it sets, with its value as TOML
    target: str = ""  # the file read, when a link at `path` led there (a trusted one)


class PackagerReading(Record):
    """A packager's defaults for the installation (`{sys.prefix}/share/<app>/telemetry-
    defaults.toml`): weaker than the person's config, it only changes the app's default."""

    path: str
    state: FileState
    problem: str = ""  # it cannot be read exactly: nothing is sent (fail closed)
    mode: str = ""  # "opt-in" turns an opt-out app opt-in; "opt-out" never loosens one
    off_purposes: tuple[str, ...] = ()  # off until a person enables them
    endpoint: str = ""  # the distribution's collector (checked when read)
    settings: tuple[tuple[str, str], ...] = ()


class ProjectReading(Record):
    """The per-project opt-out: every `.<app>/telemetry.toml` from the working directory up.
    Any one that disables (or cannot be read) decides; the others cannot enable."""

    path: str  # the file that disables, else the nearest found, or "" when none was
    state: FileState
    disables: bool
    problem: str = ""
    enable_ignored: bool = False  # `path` says `enabled = true`, which a project file cannot do
    searched: str = ""  # where the search started and stopped, for the trace
    # The files nearer than `path` (or, when none disables, farther) that do not opt out: the
    # search went on past them; and those of them whose `enabled = true` is ignored.
    passed: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()


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
    purposes: tuple[str, ...] = ()  # the app's purposes; empty: the one implicit purpose
    project: ProjectReading | None = None
    # The endpoint override variable, (its name, its value), when it is set.
    endpoint_override: tuple[str, ...] = ()
    packager: PackagerReading | None = None


class Managed(Record):
    """One setting an organisation's policy file manages: `status` names it and its file."""

    key: str  # "telemetry.mode", …
    value: str  # as TOML spells it
    path: str
    note: str = ""  # e.g. why an unreadable file counts as `enabled = false`
    target: str = ""  # the file read, when `path` is a (trusted) link to it


class SourceVote(Record):
    """What one source said (an entry of `Decision.trace`): its vote, "disable", "enable" or None
    (no vote), a sentence, and where it came from (`origin`: name, value, path)."""

    source: SourceName
    vote: VoteValue
    detail: str
    origin: dict[str, str]


class DecidedBy(Record):
    """The source that decided, a sentence saying how, and where it came from (`origin`)."""

    source: DecidedSource
    detail: str
    origin: dict[str, str]


class PurposeDecision(Record):
    """The decision for one purpose: are its hits sent, kept local, or dropped, and why."""

    purpose: str
    verdict: Verdict  # SEND, KEEP (local mode: built and kept in the local log) or DROP
    decided_by: DecidedBy  # what enabled it (also when kept local) or the strongest disabler
    pending: Pending = None

    @property
    def enabled(self) -> bool:
        """Its hits may be sent."""
        return self.verdict == SEND

    @property
    def local(self) -> bool:
        """Its hits are built and kept in the local log, never sent."""
        return self.verdict == KEEP


class Decision(Record):
    """`enabled`: some purpose's hits may be sent. `purposes`: the decision per purpose (the gate
    decides each event by its purpose). `local_by`: local mode is in force, set by this source;
    then no purpose is enabled and the hits of those consented to are kept local."""

    enabled: bool
    decided_by: DecidedBy
    trace: tuple[SourceVote, ...]
    warnings: tuple[str, ...]
    notice_version: str
    # What a person could do in an interactive run: see the notice (opt-out) or answer (opt-in).
    pending: Pending = None
    purposes: tuple[PurposeDecision, ...] = ()
    local_by: DecidedBy | None = None
    # What the organisation's policy files set (empty: nothing is managed).
    managed: tuple[Managed, ...] = ()
    # Where hits go when not to the app's destination: a policy's managed `endpoint` (source
    # "policy", which the override variable cannot change), the override variable ("env"), or
    # the packager's default ("packager", when the variable is not set).
    endpoint: DecidedBy | None = None
    # The default in force: the app's mode, or "opt-in" where a packager made it stricter.
    mode: str = ""
    # What the packager's defaults set (empty: none, or not read).
    defaults: tuple[Managed, ...] = ()

    @property
    def endpoint_url(self) -> str:
        """The managed endpoint, or "" (the wire then takes the override or the destination)."""
        e = self.endpoint
        return e.origin.get("url", "") if e is not None and e.source == "policy" else ""

    @property
    def default_url(self) -> str:
        """The packager's endpoint when it is the one hits go to, or "" (see `endpoint`)."""
        e = self.endpoint
        return e.origin.get("url", "") if e is not None and e.source == "packager" else ""

    def for_purpose(self, name: str) -> PurposeDecision | None:
        for p in self.purposes:
            if p.purpose == name:
                return p
        return None

    def verdict(self, purpose: str) -> Verdict:
        """What becomes of a hit of `purpose`: SEND, KEEP (local) or DROP. The one answer the
        gate, the sender's re-check, show-payload, status and a host command's start all ask;
        a purpose this decision does not know is dropped (fail closed)."""
        for p in self.purposes:
            if p.purpose == purpose:
                return p.verdict
        return DROP

    @property
    def local(self) -> bool:
        """Are the hits of some purpose kept local in this run?"""
        return any(p.local for p in self.purposes)


def decide(inputs: Inputs) -> Decision:
    votes: list[SourceVote] = []
    warnings: list[str] = []
    first: list[DecidedBy] = []  # policies that lock everything, strongest first
    deciders: list[DecidedBy] = []  # the other sources that disable every purpose

    for vote, decided in _policy_votes(inputs, warnings):
        votes.append(vote)
        if decided:
            first.append(decided)
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
    project = _project_vote(inputs, warnings)
    votes.append(project)
    if project.vote == "disable":
        deciders.append(DecidedBy("project", project.detail, project.origin))
    endpoint = _endpoint(inputs, warnings, first)

    config_vote, config_decided, _ = _config_vote(inputs, warnings)
    votes.append(config_vote)
    if config_decided is not None:
        deciders.append(config_decided)
    packager_vote, packager_decided, inputs = _packager(inputs, warnings)
    votes.append(packager_vote)
    if packager_decided is not None:
        deciders.append(packager_decided)
    default_vote = _default_vote(inputs)
    votes.append(default_vote)

    version = inputs.notice_version
    local_by = _local_by(inputs)
    words = _words(inputs)
    purposes = tuple(
        _purpose(
            inputs,
            name,
            first=first,
            deciders=deciders,
            default_vote=default_vote,
            local_by=local_by,
            words=words,
        )
        for name in inputs.purposes or (IMPLICIT_PURPOSE,)
    )
    on = [p for p in purposes if p.verdict == SEND]
    kept = [p for p in purposes if p.verdict == KEEP]
    if on:
        decided_by = on[0].decided_by
    elif kept and local_by is not None:
        decided_by = local_by
    else:
        decided_by = purposes[0].decided_by
    pending = next((p.pending for p in purposes if p.pending is not None), None)
    return Decision(
        bool(on),
        decided_by,
        tuple(votes),
        tuple(warnings),
        version,
        pending,
        purposes,
        local_by,
        _managed(inputs),
        endpoint,
        inputs.mode,
        _defaults(inputs),
    )


def _managed(inputs: Inputs) -> tuple[Managed, ...]:
    out: list[Managed] = []
    for p in inputs.policies or ():
        if p.state == "error" or p.problem:
            note = f"{p.problem}; treated as an admin lock (fail closed)"
            out.append(Managed("telemetry.enabled", "false", p.path, note))
        elif p.state == "ok":
            out += [Managed(key, value, p.path, target=p.target) for key, value in p.settings]
    return tuple(out)


def _endpoint(inputs: Inputs, warnings: list[str], first: list[DecidedBy]) -> DecidedBy | None:
    """Where hits go, if not to the app's destination. A policy's endpoint wins over the
    override variable (which is then ignored, with a warning); policies that name different
    endpoints cannot be read as one intent and lock (fail closed)."""
    managed = [p for p in inputs.policies or () if p.state == "ok" and not p.problem and p.endpoint]
    if len({p.endpoint for p in managed}) > 1:
        named = "; ".join(f"{p.path}: {p.endpoint}" for p in managed)
        detail = (
            f"admin policies name different endpoints ({named}); treated as an admin lock "
            "(fail closed)"
        )
        warnings.append(detail)
        first.append(DecidedBy("policy", detail, {"key": "telemetry.endpoint"}))
        return None
    override = inputs.endpoint_override
    if managed:
        p = managed[0]
        origin = {"path": p.path, "key": "telemetry.endpoint", "url": p.endpoint}
        if len(override) == 2 and override[1].strip() != p.endpoint:
            warnings.append(
                f"{override[0]}={shown(override[1])} is ignored: the admin policy {p.path} "
                f"sets telemetry.endpoint = {p.endpoint}"
            )
        return DecidedBy("policy", f"{p.path}: telemetry.endpoint = {p.endpoint}", origin)
    if len(override) == 2 and override[1].strip():
        name, value = override
        detail = f"{name}={shown(value)}"
        return DecidedBy("env", detail, {"name": name, "url": value.strip()})
    pk = inputs.packager
    if pk is not None and pk.state == "ok" and not pk.problem and pk.endpoint:
        detail = f"{pk.path}: telemetry.endpoint = {pk.endpoint} (packager default)"
        origin = {"path": pk.path, "key": "telemetry.endpoint", "url": pk.endpoint}
        return DecidedBy("packager", detail, origin)
    return None


def _project_vote(inputs: Inputs, warnings: list[str]) -> SourceVote:
    """The per-project files: any one can disable, none can enable."""
    pr = inputs.project
    if pr is None:
        return SourceVote("project", None, "not consulted", {})
    origin = {"path": pr.path, "key": "telemetry.enabled"} if pr.path else {}
    ignored = (*pr.ignored, *((pr.path,) if pr.enable_ignored else ()))
    for path in dict.fromkeys(ignored):
        warnings.append(
            f"{path}: telemetry.enabled = true is ignored: a project file can only turn "
            f"telemetry off (use `{_commands(inputs)} enable` for your own choice)"
        )
    passed = f" (past {', '.join(pr.passed)}, which do not opt out)" if pr.passed else ""
    if pr.state == "missing":
        return SourceVote("project", None, f"no project file {pr.searched}".rstrip(), origin)
    if pr.state == "error" or pr.problem:
        where = f"{pr.path}{':' if pr.state == 'ok' else ''} " if pr.path else ""
        detail = f"{where}{pr.problem}; treated as a project opt-out (fail closed){passed}"
        warnings.append(f"project file {detail}")
        return SourceVote("project", "disable", detail, origin)
    if pr.disables:
        detail = f"{pr.path}: telemetry.enabled = false (this project opts out){passed}"
        return SourceVote("project", "disable", detail, origin)
    if pr.enable_ignored:
        detail = f"{pr.path}: telemetry.enabled = true is ignored (a project can only opt out)"
        return SourceVote("project", None, detail + passed, origin)
    return SourceVote("project", None, f"{pr.path} does not opt out{passed}", origin)


def _words(inputs: Inputs) -> Words | None:
    """What the person said, as the config records it (None: no config that can be read)."""
    c = inputs.config
    if c is None or c.state != "ok":
        return None
    # Loaded only here: a run with no config to read (awaiting the notice) never needs it.
    from consent._core.words import words_of

    return words_of(c.record, inputs.purposes or (IMPLICIT_PURPOSE,))


def _purpose(
    inputs: Inputs,
    name: str,
    *,
    first: list[DecidedBy],
    deciders: list[DecidedBy],
    default_vote: SourceVote,
    local_by: DecidedBy | None,
    words: Words | None,
) -> PurposeDecision:
    """One purpose's verdict, the one place it is reasoned (docs/configuration.md):

    1. a stronger source drops it, strongest first: a policy lock (of everything or of this
       purpose), the flag, a variable, a project opt-out, an unreadable config;
    2. the person's local mode keeps the purposes it keeps (built and kept in the local log,
       never sent) and drops the others (refused while in local mode);
    3. the person's no drops it;
    4. a standing yes for the current notice or, for an opt-out app, the current notice shown
       to a person (unless a packager's default keeps the purpose off until it is enabled),
       sends it, unless a policy's local mode keeps it;
    5. anything else drops it, with what a person could do pending (notice or question).
    """
    version = inputs.notice_version
    locks = [d for d in (_purpose_lock(p, name) for p in inputs.policies or ()) if d is not None]
    said, decided, stale = _purpose_config(inputs, name, words)
    stronger = [*first, *locks, *deciders]
    if stronger:
        by = stronger[0]
        if by.source == "packager" and said == NO and decided is not None:
            by = decided  # a packager's file is weaker than the person's own no: name that
        return PurposeDecision(name, DROP, by)
    off = _packager_off(inputs, name)  # a packager's default: off until the person enables it
    enabler: DecidedBy | None = None
    if said == YES and decided is not None:
        enabler = decided
    elif said != NO and default_vote.vote == "enable" and off is None:
        enabler = DecidedBy("default", default_vote.detail, default_vote.origin)
    mode = _config_local(inputs)
    if words is not None and words.local and mode is not None:
        # The person chose local mode: the purposes it keeps are kept (a refused one too, when
        # local mode was chosen after the no), never sent.
        if name in words.kept:
            return PurposeDecision(name, KEEP, enabler or mode)
        return PurposeDecision(name, DROP, decided or mode)
    if said == NO and decided is not None:
        return PurposeDecision(name, DROP, decided)
    if enabler is not None:
        return PurposeDecision(name, KEEP if local_by is not None else SEND, enabler)
    origin = {"notice_version": version}
    if stale:
        detail = f"{stale}; awaiting notice {version}"
        pending: Pending = "notice" if inputs.mode == "opt-out" else "question"
        return PurposeDecision(name, DROP, DecidedBy("notice", detail, origin), pending)
    if off is not None:
        return PurposeDecision(name, DROP, off)
    if inputs.mode == "opt-out":
        detail = f"awaiting notice {version}: it has not yet been shown to a person"
        return PurposeDecision(name, DROP, DecidedBy("notice", detail, origin), "notice")
    pk = inputs.packager
    if pk is not None and pk.mode == MODE_OPT_IN and pk.state == "ok" and not pk.problem:
        detail = (
            f'opt-in by the packager default {pk.path} (telemetry.mode = "opt-in"): no consent '
            f"recorded for notice {version}"
        )
        origin = {"path": pk.path, "key": "telemetry.mode", "notice_version": version}
        return PurposeDecision(name, DROP, DecidedBy("packager", detail, origin), "question")
    detail = f"opt-in: no consent recorded for notice {version}"
    return PurposeDecision(name, DROP, DecidedBy("default", detail, origin), "question")


def _packager_off(inputs: Inputs, name: str) -> DecidedBy | None:
    """Is `name` off by the packager's default (`disabled_purposes`)?"""
    pk = inputs.packager
    if pk is None or pk.state != "ok" or pk.problem or name not in pk.off_purposes:
        return None
    key = "telemetry.disabled_purposes"
    detail = (
        f"{pk.path}: {key} includes {name!r} (packager default): off until you enable it "
        f"(`{_commands(inputs)} enable {name}`)"
    )
    return DecidedBy("packager", detail, {"path": pk.path, "key": key})


def _packager(inputs: Inputs, warnings: list[str]) -> tuple[SourceVote, DecidedBy | None, Inputs]:
    """The packager's defaults: (the vote, a decider when they cannot be read, the inputs with
    the mode in force). They only make the app stricter: `mode = "opt-in"` turns an opt-out
    app opt-in, `mode = "opt-out"` changes nothing (and warns for an opt-in app). A file that
    cannot be read exactly sends nothing (fail closed): it is part of the installation."""
    pk = inputs.packager
    if pk is None:
        return SourceVote("packager", None, "not consulted", {}), None, inputs
    origin = {"path": pk.path, "key": "telemetry.mode"}
    if pk.state == "missing":
        return (
            SourceVote("packager", None, f"no packager default at {pk.path}", origin),
            None,
            inputs,
        )
    if pk.state == "error" or pk.problem:
        sep = ":" if pk.state == "ok" else ""
        detail = f"{pk.path}{sep} {pk.problem}; nothing is sent until it is fixed (fail closed)"
        warnings.append(
            f"packager default {detail}. It is part of this installation of {inputs.app}: "
            "reinstall it, or tell whoever packaged it"
        )
        return (
            SourceVote("packager", "disable", detail, origin),
            DecidedBy("packager", detail, origin),
            inputs,
        )
    parts = []
    stricter = pk.mode == MODE_OPT_IN and inputs.mode == MODE_OPT_OUT
    if stricter:
        parts.append(
            f'telemetry.mode = "opt-in": asks before sending ({inputs.app}\'s own default is '
            "opt-out)"
        )
    elif pk.mode == MODE_OPT_OUT and inputs.mode == MODE_OPT_IN:
        parts.append('telemetry.mode = "opt-out" is ignored')
        warnings.append(
            f'{pk.path}: telemetry.mode = "opt-out" is ignored: a packager default can only make '
            f"telemetry stricter, and {inputs.app} asks before sending (opt-in)"
        )
    elif pk.mode:
        parts.append(f'telemetry.mode = "{pk.mode}", as {inputs.app}\'s own default')
    # From here on the reading's `mode` is set only where the packager changed the app's.
    inputs = inputs.replace(
        mode=MODE_OPT_IN if stricter else inputs.mode,
        packager=pk if stricter else pk.replace(mode=""),
    )
    if pk.off_purposes:
        parts.append(f"telemetry.disabled_purposes: {', '.join(pk.off_purposes)} off until enabled")
    if pk.endpoint:
        parts.append(f"telemetry.endpoint = {pk.endpoint}")
    detail = f"{pk.path}: {'; '.join(parts)}" if parts else f"{pk.path} changes no default"
    return SourceVote("packager", None, detail, origin), None, inputs


def _defaults(inputs: Inputs) -> tuple[Managed, ...]:
    pk = inputs.packager
    if pk is None or pk.state == "missing":
        return ()
    if pk.state == "error" or pk.problem:
        note = f"{pk.problem}; nothing is sent until it is fixed (fail closed)"
        return (Managed("", "", pk.path, note),)
    return tuple(Managed(key, value, pk.path) for key, value in pk.settings)


def _purpose_lock(p: PolicyReading, name: str) -> DecidedBy | None:
    if p.state != "ok" or p.locks or p.problem or name not in p.locked_purposes:
        return None
    key = "telemetry.disabled_purposes"
    detail = f"{p.path}: {key} includes {name!r} (admin lock)"
    return DecidedBy("policy", detail, {"path": str(p.path), "key": key})


def _local_by(inputs: Inputs) -> DecidedBy | None:
    """The source that puts this run in local mode: a policy first, then the person's config."""
    for p in inputs.policies or ():
        if p.state == "ok" and p.local and not p.locks and not p.problem:
            detail = (
                f'{p.path}: telemetry.mode = "local" (admin policy): nothing leaves this machine'
            )
            return DecidedBy("policy", detail, {"path": str(p.path), "key": "telemetry.mode"})
    return _config_local(inputs)


def _config_local(inputs: Inputs) -> DecidedBy | None:
    """The person's config, when it chooses local mode."""
    c = inputs.config
    if c is not None and c.state == "ok" and c.record.local:
        detail = f'{c.path}: telemetry.mode = "local": nothing leaves this machine'
        return DecidedBy("config", detail, {"path": str(c.path), "key": "telemetry.mode"})
    return None


def _purpose_config(
    inputs: Inputs, name: str, words: Words | None
) -> tuple[str, DecidedBy | None, str]:
    """The person's word for one purpose: (YES for the current notice, NO, or ""; its source;
    a note when the yes was for another notice). A config that cannot be read is already a
    decider for every purpose."""
    c = inputs.config
    if c is None or c.state != "ok" or words is None:
        return "", None, ""
    r = c.record
    when = ", ".join(printable(x) for x in (r.decided_via, r.decided_at) if x)
    when = f" ({when})" if when else ""
    if r.enabled is False:  # a no for every purpose
        detail = f"{c.path}: telemetry.enabled = false{when}"
        return (
            NO,
            DecidedBy("config", detail, {"path": str(c.path), "key": "telemetry.enabled"}),
            "",
        )
    word = words.word(name)
    if word == NO:
        key = "telemetry.disabled_purposes"
        detail = f"{c.path}: {key} includes {name!r}{when}"
        return NO, DecidedBy("config", detail, {"path": str(c.path), "key": key}), ""
    if word != YES:
        return "", None, ""
    covered = r.enabled_set
    key = "telemetry.enabled" if covered is None else "telemetry.enabled_purposes"
    origin = {"path": str(c.path), "key": key, "notice_version": r.notice_version or ""}
    if words.yes(name, inputs.notice_version):
        what = "telemetry.enabled = true" if covered is None else f"{key} includes {name!r}"
        detail = f"{c.path}: {what} for notice {r.notice_version}{when}"
        return YES, DecidedBy("config", detail, origin), ""
    if r.notice_version:
        stale = (
            f"consent given for notice {printable(r.notice_version)}, "
            f"current is {inputs.notice_version}"
        )
    else:
        stale = "telemetry.enabled = true names no notice version"
    return "", None, stale


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
            key = p.lock_key or "telemetry.enabled"
            what = 'telemetry.mode = "off"' if key == "telemetry.mode" else f"{key} = false"
            origin = {"path": str(p.path), "key": key}
            detail = f"{p.path}: {what} (admin lock)"
            vote = SourceVote("policy", "disable", detail, origin)
            out.append((vote, DecidedBy("policy", detail, origin)))
        elif p.locked_purposes or p.local or p.endpoint:
            parts = []
            if p.locked_purposes:
                names = ", ".join(p.locked_purposes)
                parts.append(f"telemetry.disabled_purposes locks {names} (admin lock)")
            if p.local:
                parts.append('telemetry.mode = "local": nothing leaves this machine')
            if p.endpoint:
                parts.append(f"telemetry.endpoint = {p.endpoint}: hits go there, if sent")
            detail = f"{p.path}: {'; '.join(parts)}"
            out.append((SourceVote("policy", None, detail, origin), None))
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
        # A no for every purpose, which each purpose's verdict weighs against local mode.
        detail = f"{c.path}: telemetry.enabled = false{when}"
        return SourceVote("config", "disable", detail, origin), None, ""
    scope = _scope(r)
    if r.enabled is True:
        origin = {**origin, "notice_version": r.notice_version or ""}
        if r.notice_version == inputs.notice_version:
            detail = (
                f"{c.path}: telemetry.enabled = true for notice {r.notice_version}{scope}{when}"
            )
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
    if scope:
        return SourceVote("config", None, f"{c.path}:{scope}{when}", origin), None, ""
    return SourceVote("config", None, f"{c.path} records no decision", origin), None, ""


def _scope(r: ConsentRecord) -> str:
    """The purposes a config names, for the trace: " (purposes: usage; disabled: …)"."""
    parts = []
    if r.enabled_set is not None:
        parts.append("purposes: " + (", ".join(map(printable, sorted(r.enabled_set))) or "none"))
    if r.disabled_set:
        parts.append("disabled: " + ", ".join(map(printable, sorted(r.disabled_set))))
    return f" ({'; '.join(parts)})" if parts else ""


def _default_vote(inputs: Inputs) -> SourceVote:
    version = inputs.notice_version
    origin = {"mode": inputs.mode, "notice_version": version}
    if inputs.mode == "opt-in":
        pk = inputs.packager
        by = " (the packager's default)" if pk is not None and pk.mode == MODE_OPT_IN else ""
        return SourceVote("default", None, f"opt-in{by}: off until a person agrees", origin)
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
