"""What an app declares: its identity, destination and the registry of fields and events.

The registry is the contract. The sender refuses undeclared keys, the privacy
notice and `show-payload` are rendered from it, and the notice version is a hash
of its canonical form, so changing what is collected re-opens the question.
"""

from __future__ import annotations

from consent._core.value import Record, derived

# The command group every app gets, the flag that disables telemetry for one run, and the
# suffixes of the app's own variables (`LUMOGON_DISABLE_ANALYTICS`, …) are consent/_start.py's.
from consent._start import DEBUG_SUFFIX, DISABLE_SUFFIX, ENDPOINT_SUFFIX, GROUP_NAME
from consent._start import flag_help as _flag_help


def flag_help(spec: AppSpec) -> str:
    """The help of `--disable-analytics`, the same under every adapter."""
    return _flag_help(spec.commands)


# consent._errors is imported where a SpecError is raised: a valid spec (every host command's)
# never needs it, and creating its seven classes costs a start-up about 1 M instructions.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Literal

    Mode = Literal["opt-out", "opt-in"]
    Protocol = Literal["legacy", "ga4", "otlp"]
    # Where a field's value comes from; the notice explains each kind in words.
    FieldKind = Literal["constant", "app_version", "client_id", "hit_type", "command", "runtime"]
else:  # typing is not imported at run time (see consent/_core/value.py)
    Mode = Protocol = FieldKind = str

_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_UPPER = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
_DIGITS = frozenset("0123456789")
_GA4_RESERVED_PREFIXES = ("ga_", "google_", "firebase_")


# Plain character checks rather than regexes: compiling a pattern costs ~0.2 ms per
# run of every host command, and the spec is validated on every run.
def _is_app_name(s: str) -> bool:
    return 0 < len(s) <= 64 and s[0] in _LOWER and set(s) <= _LOWER | _DIGITS | {"-", "_"}


def _is_env_prefix(s: str) -> bool:
    return 0 < len(s) <= 32 and s[0] in _UPPER and set(s) <= _UPPER | _DIGITS | {"_"}


def _is_ga4_name(s: str) -> bool:
    letters = _LOWER | _UPPER
    return (
        0 < len(s) <= 40
        and s[0] in letters
        and set(s) <= letters | _DIGITS | {"_"}
        and not s.startswith(_GA4_RESERVED_PREFIXES)
    )


def _is_legacy_wire(s: str) -> bool:
    return 0 < len(s) <= 16 and s[0] in _LOWER and set(s) <= _LOWER | _DIGITS


_KIND_TEXT: dict[str, str] = {
    "constant": "a fixed value built into {app}",
    "app_version": "the version of {app} that is running",
    "client_id": "a random UUID4 created on this machine when the first hit is sent; "
    "never derived from hardware, user, host or path",
    "hit_type": "the kind of event, fixed per event",
    "command": "the path of the command that ran, taken from {app}'s own command tree; "
    "arguments, option values and paths are never included",
    "runtime": "supplied by {app} when the event is recorded",
}


class Field(Record):
    """One key that may appear on the wire.

    A `runtime` field declares what it may carry: `allowed=("ok", "failed")` (a fixed set of
    strings; booleans are sent as "true"/"false") or `allowed=range(0, 10_001)` (integers).
    A value outside the declaration refuses the whole event.
    """

    wire: str
    description: str
    example: str
    kind: FieldKind
    value: str | None = None  # the value of a constant field
    obtained: str = ""  # how the value is obtained; derived from `kind` when empty
    allowed: tuple[str, ...] | range | None = None  # what a runtime field may carry

    def allowed_text(self) -> str:
        """The declared values in words: `one of "ok", "failed"` or `an integer from 0 to 10000`."""
        allowed = self.allowed
        if isinstance(allowed, range):
            step = f" in steps of {allowed.step}" if allowed.step != 1 else ""
            return (
                f"an integer from {allowed.start} to {allowed[-1]}{step}" if allowed else "nothing"
            )
        if allowed is None:
            return ""
        return "one of " + ", ".join(f'"{v}"' for v in allowed)

    def admits(self, value: object) -> tuple[str | None, str]:
        """(the wire text of `value`, "") if the declaration admits it, else (None, why not)."""
        allowed = self.allowed
        if isinstance(allowed, range):
            if type(value) is not int:
                return None, f"{type(value).__name__} given where {self.allowed_text()} is declared"
            if value not in allowed:
                return None, f"{value} is not {self.allowed_text()}"
            return str(value), ""
        if allowed is None:
            return None, "the field declares no allowed values"
        if type(value) is bool:
            text = "true" if value else "false"
        elif type(value) is str:
            text = value
        else:
            return None, f"{type(value).__name__} given where {self.allowed_text()} is declared"
        if text not in allowed:
            return None, f"{_shown(text)} is not {self.allowed_text()}"
        return text, ""


def _shown(text: str) -> str:
    """A refused value, quoted and cut short (it may be anything the host passed)."""
    return repr(text if len(text) <= 40 else text[:40] + "…")


class Event(Record):
    """Something an app may report, with the fields it carries beyond the common ones.

    `purpose` names the declared `Purpose` the event serves; consent is given per purpose. In a
    spec that declares no purposes it may stay empty: the event serves the implicit one."""

    name: str
    description: str
    hit_type: str
    fields: tuple[str, ...] = ()
    # The commands that may record it, as paths below the app ("deploy", "cloud db");
    # empty: any command, and code outside a command run.
    commands: tuple[str, ...] = ()
    purpose: str = ""

    def recorded_by(self, command: str | None, app: str) -> bool:
        """May the run of `command` (a full path, "acme deploy"; None outside a run) record it?"""
        if not self.commands:
            return True
        if command is None:
            return False
        return command.removeprefix(app).strip() in self.commands


class Purpose(Record):
    """Why some events are collected; a person enables or disables each purpose on its own."""

    name: str  # lower-case letters, digits and '-': typed by people (`telemetry enable usage`)
    description: str


# The purpose of every event of a spec that declares none: one switch, as before purposes existed.
IMPLICIT_PURPOSE = "telemetry"


GLOBAL_URL = "https://www.google-analytics.com"
# Google's documented GA4 endpoint for collection and processing in the EU (no hyphen in region1).
EU_URL = "https://region1.google-analytics.com"
REGIONS = ("", "eu")


class Destination(Record):
    """Where hits go and under which protocol.

    Google Analytics: `Destination("ga4", "G-…", api_secret=…, region="eu")` or the legacy
    `Destination("legacy", "UA-…")`. OpenTelemetry, an organisation's own endpoint:
    `Destination("otlp", endpoint="https://otel.example.com/v1/logs", headers={"X-Key": "…"})`
    (static headers sent with every hit; show-payload and the notice show them)."""

    protocol: Protocol
    tracking_id: str = ""  # legacy: UA-XXXX-Y; ga4: the measurement id G-XXXXXXX
    base_url: str = GLOBAL_URL
    api_secret: str = ""  # ga4 only; not a secret in a distributed CLI, but required
    region: str = ""  # ga4 only: "eu" sends to EU_URL
    endpoint: str = ""  # otlp only: the full URL, ending with /v1/logs
    headers: tuple[tuple[str, str], ...] = ()  # otlp only; a dict is taken too

    def __post_init__(self) -> None:
        headers = self.headers
        if not isinstance(headers, tuple) and hasattr(headers, "items"):
            object.__setattr__(self, "headers", tuple(headers.items()))

    @property
    def path(self) -> str:
        if self.protocol == "otlp":
            return "/v1/logs"  # consent/_core/otlp.py, LOGS_PATH
        return "/collect" if self.protocol == "legacy" else "/mp/collect"

    @property
    def origin(self) -> str:
        """The base URL hits go to: `base_url`, or Google's EU endpoint for region "eu"; for
        OTLP, the endpoint without its /v1/logs."""
        if self.protocol == "otlp":
            from consent._core.otlp import split_endpoint

            return split_endpoint(self.endpoint)[0]
        if self.region == "eu" and self.base_url == GLOBAL_URL:
            return EU_URL
        return self.base_url

    @property
    def region_text(self) -> str:
        """Where the endpoint processes the data, in words (the notice says it)."""
        if self.protocol == "otlp":
            return (
                f"wherever {self.origin} is hosted (the organisation's own OpenTelemetry endpoint)"
            )
        if self.origin == EU_URL:
            return "the EU (Google's regional endpoint region1.google-analytics.com)"
        if self.origin == GLOBAL_URL:
            return "not limited to a region: Google's global endpoint www.google-analytics.com"
        return f"wherever {self.origin} is hosted (a self-hosted or custom endpoint)"


class AppSpec(Record):
    """Everything an app declares to get the consent layer. Immutable; validated when built
    (a `SpecError` names every problem at once)."""

    name: str
    display_name: str
    version: str
    env_prefix: str
    mode: Mode
    destination: Destination
    fields: tuple[Field, ...]
    common: tuple[str, ...]
    events: tuple[Event, ...]
    purpose: str
    access: str
    # Who is responsible, and on what terms (GDPR Art. 13): each is required and shown in the
    # notice; an empty one is a SpecError. Where a fact is unknown, say so in words.
    controller: str = ""  # who decides about the data, e.g. "The Acme team at Acme Ltd"
    contact: str = ""  # an email address or URL where a person can exercise their rights
    legal_basis: str = ""  # the basis, and a sentence of why
    retention: str = ""  # a concrete period, e.g. "14 months, the analytics property's setting"
    recipients: str = ""  # who processes the data on the controller's behalf, and where
    notice_date: str = ""  # the date of this notice, YYYY-MM-DD; part of the notice version
    homepage: str = ""  # shown in the notice when given
    group: str = GROUP_NAME  # the name of the command group `install` adds
    # Why events are collected, one entry per purpose a person may choose separately. Empty: one
    # implicit purpose (IMPLICIT_PURPOSE, described by `purpose`) that every event serves.
    purposes: tuple[Purpose, ...] = ()
    # macOS: the preference domain of the managed preferences a configuration profile installs
    # for the app (`/Library/Managed Preferences/<bundle_id>.plist`); "" means the app's name.
    bundle_id: str = ""
    # Windows: Group Policy is read from HKLM\SOFTWARE\Policies\<vendor>\<name> (`policy_key`);
    # "" means the app's display name (its name, if the display name cannot name a key).
    vendor: str = ""
    # Where the operating system's fixed policy locations are looked up: "" is the real root
    # (`/etc/xdg/<app>/telemetry.toml`, …). Tests pass a temporary directory here, in code:
    # no variable a user sets can move the organisation's policy (docs/admin.md).
    system_root: str = ""
    # Derived when built: the registry by wire name, and the notice version once computed.
    _by_wire: dict[str, Field] = derived(init=False)
    _by_event: dict[str, Event] = derived(init=False)
    _notice_version: str | None = derived(init=False)

    def __post_init__(self) -> None:
        _validate(self)
        object.__setattr__(self, "_by_wire", {f.wire: f for f in self.fields})
        # Lookups by name are constant time: the notice and show-payload look every event up
        # (bench/growth.py measures them up to 1,000 fields and events).
        object.__setattr__(self, "_by_event", {e.name: e for e in self.events})
        object.__setattr__(self, "_notice_version", None)

    def __repr__(self) -> str:
        return f"AppSpec(name={self.name!r}, version={self.version!r}, mode={self.mode!r})"

    # -- lookups -----------------------------------------------------------
    def field(self, wire: str) -> Field:
        return self._by_wire[wire]

    def event(self, name: str) -> Event:
        event = self._by_event.get(name)
        if event is not None:
            return event
        from consent._errors import SpecError

        known = ", ".join(e.name for e in self.events)
        raise SpecError(f"{self.name} declares no event {name!r}; declared events: {known}")

    @property
    def all_purposes(self) -> tuple[Purpose, ...]:
        """The declared purposes, or the one implicit purpose of a spec that declares none."""
        return self.purposes or (Purpose(IMPLICIT_PURPOSE, self.purpose),)

    @property
    def purpose_names(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.purposes) or (IMPLICIT_PURPOSE,)

    def event_purpose(self, event: Event) -> str:
        """The purpose `event` serves (the implicit one when the spec declares none)."""
        return event.purpose or IMPLICIT_PURPOSE

    def purpose_events(self, purpose: str) -> tuple[Event, ...]:
        return tuple(e for e in self.events if self.event_purpose(e) == purpose)

    def purpose_fields(self, purpose: str) -> tuple[str, ...]:
        """Wire names that the hits of `purpose` carry, in declaration order."""
        wires = {w for e in self.purpose_events(purpose) for w in self.event_fields(e)}
        return tuple(f.wire for f in self.fields if f.wire in wires)

    def event_fields(self, event: Event) -> tuple[str, ...]:
        """Wire names a hit of `event` carries, in declaration order."""
        if not self.common:
            return event.fields
        common = set(self.common)
        return self.common + tuple(w for w in event.fields if w not in common)

    def obtained(self, f: Field) -> str:
        if f.obtained:
            return f.obtained
        text = _KIND_TEXT[f.kind].format(app=self.display_name)
        return f"{text}: {f.value!r}" if f.kind == "constant" else text

    # -- derived names -----------------------------------------------------
    @property
    def disable_env(self) -> str:
        return self.env_prefix + DISABLE_SUFFIX

    @property
    def debug_env(self) -> str:
        return self.env_prefix + DEBUG_SUFFIX

    @property
    def endpoint_env(self) -> str:
        return self.env_prefix + ENDPOINT_SUFFIX

    @property
    def commands(self) -> str:
        """How a person types the group's commands: `acme telemetry`."""
        return f"{self.name} {self.group}"

    @property
    def policy_key(self) -> str:
        """The registry key, under HKEY_LOCAL_MACHINE, that Group Policy sets for the app."""
        vendor = self.vendor or (self.display_name if _is_key_name(self.display_name) else "")
        return f"SOFTWARE\\Policies\\{vendor or self.name}\\{self.name}"

    @property
    def keyring_service(self) -> str:
        return f"{self.name}-telemetry"

    @property
    def notice_version(self) -> str:
        cached: str | None = self._notice_version
        if cached is None:
            cached = notice_version(self)
            object.__setattr__(self, "_notice_version", cached)
        return cached


def canonical_registry(spec: AppSpec) -> tuple[object, ...]:
    """The facts whose change must re-open consent: fields, events, destination, purposes.

    Nested tuples of strings (and None), so that repr() is a canonical, stable text.
    """
    dest = spec.destination
    return (
        (
            "fields",
            tuple(
                (
                    f.wire,
                    f.description,
                    f.example,
                    f.kind,
                    f.value,
                    spec.obtained(f),
                    *_canonical_allowed(f.allowed),
                )
                for f in sorted(spec.fields, key=lambda f: f.wire)
            ),
        ),
        ("common", tuple(sorted(spec.common))),
        (
            "events",
            tuple(
                (
                    e.name,
                    e.description,
                    e.hit_type,
                    tuple(sorted(e.fields)),
                    *((("commands", tuple(sorted(e.commands))),) if e.commands else ()),
                )
                for e in sorted(spec.events, key=lambda e: e.name)
            ),
        ),
        (
            "destination",
            (dest.protocol, dest.origin, dest.path, dest.tracking_id)
            # The names of an OTLP destination's static headers (their values, an ingest key,
            # may change without changing what is collected); other destinations have none,
            # so their notice version stays what it was.
            + (
                (("headers", tuple(sorted(k.lower() for k, _ in dest.headers))),)
                if dest.headers
                else ()
            ),
        ),
        ("purpose", spec.purpose),
        ("access", spec.access),
        ("retention", spec.retention),
        ("controller", spec.controller),
        ("contact", spec.contact),
        ("legal_basis", spec.legal_basis),
        ("recipients", spec.recipients),
        ("notice_date", spec.notice_date),
        ("homepage", spec.homepage),
        # Only a spec that declares purposes adds them, so that the notice version of a spec
        # written before purposes existed stays what it was (its consent keeps counting).
        *(
            (
                (
                    "purposes",
                    tuple(sorted((p.name, p.description) for p in spec.purposes)),
                ),
                ("event_purposes", tuple(sorted((e.name, e.purpose) for e in spec.events))),
            )
            if spec.purposes
            else ()
        ),
    )


def _canonical_allowed(allowed: tuple[str, ...] | range | None) -> tuple[object, ...]:
    # Left out when absent, so that registries without runtime fields keep their version.
    if allowed is None:
        return ()
    if isinstance(allowed, range):
        return (("allowed", "range", allowed.start, allowed.stop, allowed.step),)
    return (("allowed", tuple(allowed)),)


def notice_version(spec: AppSpec) -> str:
    return _sha256(repr(canonical_registry(spec)).encode("utf-8"))[:10]


def _sha256(data: bytes) -> str:
    # The builtin sha256 module loads in a fraction of a millisecond; hashlib pulls in
    # OpenSSL (about 5 ms), which every host command would pay for.
    try:
        from _sha2 import sha256  # type: ignore[import-not-found, unused-ignore]  # 3.12+
    except ImportError:
        try:
            from _sha256 import sha256  # type: ignore[import-not-found, no-redef, unused-ignore]
        except ImportError:
            from hashlib import sha256
    digest: str = sha256(data).hexdigest()
    return digest


def _validate(spec: AppSpec) -> None:
    problems: list[str] = []
    if not _is_app_name(spec.name):
        problems.append(f"name {spec.name!r} must be lower-case letters, digits, '-' or '_'")
    if not _is_env_prefix(spec.env_prefix):
        problems.append(f"env_prefix {spec.env_prefix!r} must be upper-case like 'LUMOGON'")
    if spec.mode not in ("opt-out", "opt-in"):
        problems.append(f"mode {spec.mode!r} must be 'opt-out' or 'opt-in'")
    if spec.destination.protocol not in ("legacy", "ga4", "otlp"):
        problems.append(f"protocol {spec.destination.protocol!r} must be 'legacy', 'ga4' or 'otlp'")
    if spec.destination.protocol == "ga4" and not spec.destination.api_secret:
        problems.append("a GA4 destination needs an api_secret")
    if spec.destination.protocol == "otlp":
        problems += _otlp_problems(spec)
    elif spec.destination.endpoint or spec.destination.headers:
        problems.append("endpoint and headers apply to OTLP destinations only")
    if not spec.purpose.strip() or not spec.access.strip():
        problems.append("purpose and access must say why data is collected and who sees it")
    if spec.bundle_id and not all(c.isalnum() or c in ".-_" for c in spec.bundle_id):
        problems.append(f"bundle_id {spec.bundle_id!r} must be letters, digits, '.', '-', '_'")
    if spec.vendor and not _is_key_name(spec.vendor):
        problems.append(
            f"vendor {spec.vendor!r} names a registry key: up to 64 letters, digits, spaces, "
            "'.', '-', '_'"
        )
    if spec.system_root and not _is_absolute(spec.system_root):
        problems.append(f"system_root {spec.system_root!r} must be an absolute path")
    problems += _notice_problems(spec)
    problems += _field_problems(spec)
    problems += _purpose_problems(spec)
    if problems:
        from consent._errors import SpecError

        raise SpecError(f"invalid AppSpec for {spec.name!r}: " + "; ".join(problems))


def _otlp_problems(spec: AppSpec) -> list[str]:
    """What an OTLP spec must declare for every hit of it to be a valid ExportLogsServiceRequest
    to the endpoint it names (its field names are checked with the other fields)."""
    from consent._core.otlp import INT64, endpoint_problems, header_problems

    dest = spec.destination
    problems = endpoint_problems(dest.endpoint) + header_problems(dest.headers)
    if dest.tracking_id or dest.api_secret or dest.region:
        problems.append(
            "an OTLP destination takes endpoint= and headers= only "
            "(tracking_id, api_secret and region are Google Analytics settings)"
        )
    if not spec.version.strip():
        problems.append("version is required: it is sent as the resource's service.version")
    for f in spec.fields:
        wide = (
            isinstance(f.allowed, range)
            and f.allowed
            and not (f.allowed[0] in INT64 and f.allowed[-1] in INT64)
        )
        if wide:
            problems.append(f"runtime field {f.wire!r}: OTLP integers are 64-bit (intValue)")
    return problems


# The entries a privacy notice must carry (GDPR Art. 13), with what each must say.
REQUIRED_ENTRIES = {
    "controller": "who decides about the data",
    "contact": "an email address or URL where a person can exercise their rights",
    "legal_basis": "the legal basis and a sentence of why",
    "retention": "a concrete period, e.g. '14 months'",
    "recipients": "who processes the data on the controller's behalf, and where",
    "notice_date": "the date of the notice, YYYY-MM-DD",
}
_PERIOD_UNITS = ("day", "week", "month", "year")


def _is_date(s: str) -> bool:
    parts = s.split("-")
    return (
        len(s) == 10
        and [len(p) for p in parts] == [4, 2, 2]
        and all(set(p) <= _DIGITS for p in parts)
        and 1 <= int(parts[1]) <= 12
        and 1 <= int(parts[2]) <= 31
    )


def _notice_problems(spec: AppSpec) -> list[str]:
    problems: list[str] = []
    for entry, what in REQUIRED_ENTRIES.items():
        if not str(getattr(spec, entry)).strip():
            problems.append(f"{entry} is required: {what}")
    contact = spec.contact
    if contact.strip() and "@" not in contact and "://" not in contact:
        problems.append(f"contact {contact!r} must hold an email address or a URL")
    retention = spec.retention.lower()
    if retention.strip() and not (
        set(retention) & _DIGITS and any(u in retention for u in _PERIOD_UNITS)
    ):
        problems.append(f"retention {spec.retention!r} must be a concrete period, e.g. '14 months'")
    if spec.notice_date.strip() and not _is_date(spec.notice_date):
        problems.append(f"notice_date {spec.notice_date!r} must be a date, YYYY-MM-DD")
    dest = spec.destination
    if dest.region not in REGIONS:
        problems.append(f"region {dest.region!r} must be 'eu' or empty")
    elif dest.region and dest.protocol != "ga4":
        problems.append("region applies to GA4 destinations only")
    elif dest.region and dest.base_url != GLOBAL_URL:
        problems.append("region='eu' chooses the endpoint; do not also set base_url")
    return problems


def _field_problems(spec: AppSpec) -> list[str]:
    problems: list[str] = []
    protocol = spec.destination.protocol
    wire_rule = _is_ga4_name if protocol == "ga4" else _is_legacy_wire
    event_rule = _is_ga4_name if protocol == "ga4" else None
    if protocol == "otlp":
        from consent._core.otlp import is_attribute_key, is_event_name

        wire_rule, event_rule = is_attribute_key, is_event_name
    seen: set[str] = set()
    for f in spec.fields:
        if f.wire in seen:
            problems.append(f"field {f.wire!r} is declared twice")
        seen.add(f.wire)
        if not wire_rule(f.wire):
            why = (
                ": letters, digits, '_', '-' and '.' from a letter on, outside service., "
                "telemetry., host., user., client. and the other namespaces that identify a "
                "machine, a person or an address (consent/_core/otlp.py)"
                if protocol == "otlp"
                else ""
            )
            problems.append(f"field {f.wire!r} is not a valid {protocol} name{why}")
        if not f.description.strip():
            problems.append(f"field {f.wire!r} has no description")
        if not f.example.strip():
            problems.append(f"field {f.wire!r} has no example")
        if f.kind not in _KIND_TEXT:
            problems.append(f"field {f.wire!r} has unknown kind {f.kind!r}")
        if (f.kind == "constant") != (f.value is not None):
            problems.append(f"field {f.wire!r}: exactly the constant fields carry a value")
        problems += _allowed_problems(f, spec.destination.protocol)
    if spec.destination.protocol == "ga4":
        # GA4 has fixed places for these two: the body's client_id and each event's name.
        for f in spec.fields:
            if f.kind == "client_id" and f.wire != "client_id":
                problems.append(
                    f"GA4: the client_id field must be named 'client_id', not {f.wire!r}"
                )
            if f.kind == "hit_type" and f.wire != "name":
                problems.append(f"GA4: the hit_type field must be named 'name', not {f.wire!r}")
    kinds = [f.kind for f in spec.fields]
    for needed in ("client_id", "hit_type"):
        if kinds.count(needed) != 1:
            problems.append(f"the registry needs exactly one field of kind {needed!r}")
    for wire in spec.common:
        if wire not in seen:
            problems.append(f"common field {wire!r} is not declared")
    names: set[str] = set()
    for event in spec.events:
        if event.name in names:
            problems.append(f"event {event.name!r} is declared twice")
        names.add(event.name)
        if not event.description.strip():
            problems.append(f"event {event.name!r} has no description")
        if event_rule is not None and not event_rule(event.hit_type):
            problems.append(
                f"event {event.name!r}: {event.hit_type!r} is not a valid "
                + ("OTLP event name" if protocol == "otlp" else "GA4 name")
            )
        for wire in event.fields:
            if wire not in seen:
                problems.append(f"event {event.name!r} carries undeclared field {wire!r}")
        for command in event.commands:
            words = command.split() if isinstance(command, str) else []
            if not words or " ".join(words) != command:
                problems.append(
                    f"event {event.name!r}: command {command!r} must be command names "
                    "below the app, separated by single spaces, like 'deploy' or 'cloud db'"
                )
    if not spec.events:
        problems.append("the registry declares no events")
    if not _is_app_name(spec.group):
        problems.append(f"group {spec.group!r} must be lower-case letters, digits, '-' or '_'")
    return problems


def _allowed_problems(f: Field, protocol: str) -> list[str]:
    allowed = f.allowed
    if f.kind != "runtime":
        return (
            [f"field {f.wire!r}: only runtime fields declare allowed values"]
            if allowed is not None
            else []
        )
    how = 'allowed=("ok", "failed") or allowed=range(0, 10_001)'
    if allowed is None:
        return [f"runtime field {f.wire!r} must declare what it may carry: {how}"]
    if isinstance(allowed, range):
        if not allowed:  # not len(): a range wider than sys.maxsize has no len
            return [f"runtime field {f.wire!r}: allowed is an empty range"]
        widest = max(len(str(allowed[0])), len(str(allowed[-1])))
        values: tuple[str, ...] = ()
    elif isinstance(allowed, tuple) and allowed and all(type(v) is str for v in allowed):
        values = allowed
        widest = max(len(v.encode("utf-8")) for v in values)
    else:
        return [f"runtime field {f.wire!r}: allowed must be a non-empty tuple of str or a range"]
    problems = []
    if len(set(values)) != len(values):
        problems.append(f"runtime field {f.wire!r}: allowed names a value twice")
    limit = 100 if protocol == "ga4" else 150  # the smallest value limit of either protocol
    if widest > limit:
        problems.append(f"runtime field {f.wire!r}: an allowed value is over {limit} bytes")
    example = int(f.example) if isinstance(allowed, range) and _is_int(f.example) else f.example
    if f.admits(example)[0] is None:
        problems.append(f"runtime field {f.wire!r}: its example {f.example!r} is not allowed")
    return problems


def _is_int(text: str) -> bool:
    return text.lstrip("-").isdigit()


def _is_purpose_name(s: str) -> bool:
    return 0 < len(s) <= 32 and s[0] in _LOWER and set(s) <= _LOWER | _DIGITS | {"-"}


def _purpose_problems(spec: AppSpec) -> list[str]:
    problems: list[str] = []
    declared: set[str] = set()
    for p in spec.purposes:
        if p.name in declared:
            problems.append(f"purpose {p.name!r} is declared twice")
        declared.add(p.name)
        if not _is_purpose_name(p.name):
            problems.append(f"purpose {p.name!r} must be lower-case letters, digits or '-'")
        if not p.description.strip():
            problems.append(f"purpose {p.name!r} has no description")
    for event in spec.events:
        if not spec.purposes:
            if event.purpose and event.purpose != IMPLICIT_PURPOSE:
                problems.append(
                    f"event {event.name!r} names the undeclared purpose {event.purpose!r} "
                    "(the spec declares no purposes)"
                )
        elif not event.purpose:
            problems.append(f"event {event.name!r} names no purpose; declared: {sorted(declared)}")
        elif event.purpose not in declared:
            problems.append(
                f"event {event.name!r} names the undeclared purpose {event.purpose!r}; "
                f"declared: {sorted(declared)}"
            )
    return problems


def command_event(spec: AppSpec) -> Event | None:
    """The event that records a command run: the one carrying a field of kind 'command'."""
    commands = {f.wire for f in spec.fields if f.kind == "command"}
    for event in spec.events:
        if commands.intersection(event.fields):
            return event
    return None


def _is_key_name(s: str) -> bool:
    """Can `s` be one registry key's name (and an ADMX namespace part)?"""
    return 0 < len(s) <= 64 and s.strip() == s and all(c.isalnum() or c in " .-_" for c in s)


def _is_absolute(path: str) -> bool:
    """POSIX `/…`, or a Windows drive path `C:\\…` (core does no I/O, so not os.path)."""
    return path.startswith("/") or (len(path) > 2 and path[1] == ":" and path[2] in "\\/")
