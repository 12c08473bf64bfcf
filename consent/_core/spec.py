"""What an app declares: its identity, destination and the registry of fields and events.

The registry is the contract. The sender refuses undeclared keys, the privacy
notice and `show-payload` are rendered from it, and the notice version is a hash
of its canonical form, so changing what is collected re-opens the question.
"""

from __future__ import annotations

from consent._core.value import Record, derived

# The command group every app gets, and the names derived from an app's (its own variables,
# `LUMOGON_DISABLE_ANALYTICS`, …) are consent/_start.py's.
from consent._start import GROUP_NAME, AppNames
from consent._start import flag_help as _flag_help


def flag_help(spec: AppSpec) -> str:
    """The help of `--disable-analytics`, the same under every adapter."""
    return _flag_help(spec.commands)


# consent._errors is imported where a SpecError is raised: a valid spec (every host command's)
# never needs it, and creating its seven classes costs a start-up about 1 M instructions.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from collections.abc import Set as AbstractSet
    from typing import Literal

    Mode = Literal["opt-out", "opt-in"]
    # The names of PROTOCOLS (below), for the type checker: a new protocol is one entry there.
    Protocol = Literal["legacy", "ga4", "otlp"]
    # Where a field's value comes from; the notice explains each kind in words.
    FieldKind = Literal["constant", "app_version", "client_id", "hit_type", "command", "runtime"]
else:  # typing is not imported at run time (see consent/_core/value.py)
    Mode = Protocol = FieldKind = str
    # What collections.abc re-exports, from the module every interpreter has loaded at start-up.
    from _collections_abc import Callable
    from _collections_abc import Set as AbstractSet

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

    A `constant` field's `value` is a str or an int; in a JSON destination (GA4) an int goes out
    as a JSON number. A `runtime` field declares what it may carry: `allowed=("ok", "failed")`
    or `allowed={"ok", "failed"}` (a fixed set of strings, kept in sorted order when given as a
    set; booleans are sent as "true"/"false") or `allowed=range(0, 10_001)` (integers, sent as
    JSON numbers in a JSON destination). A value outside the declaration refuses the whole event.
    """

    wire: str
    description: str
    example: str
    kind: FieldKind
    value: str | int | None = None  # the value of a constant field
    obtained: str = ""  # how the value is obtained; derived from `kind` when empty
    allowed: tuple[str, ...] | range | AbstractSet[str] | None = (
        None  # what a runtime field may carry
    )

    def __post_init__(self) -> None:
        allowed = self.allowed
        if isinstance(allowed, (set, frozenset)):
            # A set has no order of its own: sorted, the notice lists it the same way every run
            # (and the notice version does not depend on the hash seed).
            object.__setattr__(self, "allowed", tuple(sorted(allowed, key=str)))

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

    def admits(self, value: object) -> tuple[str | int | None, str]:
        """(the wire value of `value`, "") if the declaration admits it, else (None, why not).
        The wire value of an integer field is the int itself; of any other field, its text."""
        allowed = self.allowed
        if isinstance(allowed, range):
            if type(value) is not int:
                return None, f"{type(value).__name__} given where {self.allowed_text()} is declared"
            if value not in allowed:
                return None, f"{value} is not {self.allowed_text()}"
            return value, ""
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


# --- what each wire protocol requires of a spec ---------------------------------------------------


class Required(Record):
    """A field every hit of a protocol carries: this wire name, of this kind."""

    wire: str
    kind: FieldKind
    why: str  # what the protocol does with it (the SpecError says it)
    value: str | None = None  # the value a constant must have; DESTINATION_ID: the destination's id


DESTINATION_ID = "<the destination's tracking_id>"


class WireProtocol(Record):
    """What one wire protocol requires of a spec, so that every hit it builds is one the protocol
    takes. Checked with the rest of the spec at its first use (`AppSpec.check`,
    `protocol_problems`): a spec the protocol would refuse is never used. A new protocol is one entry in PROTOCOLS (and its encoder, consent/_wire/http.py).
    """

    name: str  # Destination.protocol
    label: str  # in messages: "GA4"
    title: str  # in the notice: "GA4 Measurement Protocol"
    path: str  # where hits go below the destination's origin
    typed: bool  # a JSON body: integer values go out as JSON numbers (else every value is text)
    is_name: Callable[[str], bool]  # a valid wire name (and event name, unless is_event_name)
    name_rule: str  # the same in words
    value_limit: int  # the longest value a runtime field may declare, in UTF-8 bytes
    required: tuple[Required, ...]  # on every hit; not counted as params
    hit_types: tuple[str, ...] = ()  # the hit types it takes; empty: any valid name
    reserved: frozenset[str] = frozenset()  # hit types (event names) it refuses
    needs: tuple[tuple[str, tuple[str, ...]], ...] = ()  # a hit type -> the fields its hits need
    companions: tuple[tuple[str, str], ...] = ()  # a hit carrying the first needs the second
    integers: tuple[tuple[str, int, int | None], ...] = ()  # (wire, lowest, highest) of int fields
    max_params: int = 0  # params per hit beyond the required fields; 0: no limit
    id_ok: Callable[[str], bool] = bool  # is Destination.tracking_id one it takes?
    id_rule: str = "not empty"
    api_secret: bool = False  # the destination needs an api_secret
    regions: tuple[str, ...] = ()  # the `region`s it offers besides the default
    sunset: str = ""  # who stopped processing its hits, and when ("" while they are processed)
    is_event_name: Callable[[str], bool] | None = None  # event names, when not as wire names
    endpoint: bool = False  # the destination names its endpoint= and headers= itself
    # What else the protocol asks of a spec, beyond what the entries above state.
    more: Callable[[AppSpec], list[str]] | None = None


def _is_ua_name(s: str) -> bool:
    # A custom dimension or metric (cd<n>, cm<n>) has an index from 1 to 200.
    if s[:2] in ("cd", "cm") and s[2:].isdigit():
        return 1 <= int(s[2:]) <= 200
    return _is_legacy_wire(s)


def _anything(s: str) -> bool:
    return True


# OTLP's rules live in consent/_core/otlp.py, loaded only by a spec that sends there: an app that
# sends elsewhere never imports it, not even on its disabled path.
def _is_otlp_key(s: str) -> bool:
    from consent._core.otlp import is_attribute_key

    return is_attribute_key(s)


def _is_otlp_event(s: str) -> bool:
    from consent._core.otlp import is_event_name

    return is_event_name(s)


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


def _is_ua_id(s: str) -> bool:
    parts = s.split("-")
    return (
        len(parts) == 3 and parts[0] == "UA" and all(p.isdigit() and p.isascii() for p in parts[1:])
    )


LEGACY_HIT_TYPES = (
    "pageview", "screenview", "event", "transaction", "item", "social", "exception", "timing",
)  # fmt: skip

# Event names GA4 refuses (Google's Event Builder list of 2023, less screen_view and ad_impression,
# which Google's own tool allows since 2025); the local collector refuses the same.
GA4_RESERVED_EVENTS = frozenset(
    (
        "ad_activeview", "ad_click", "ad_exposure", "ad_query", "adunit_exposure",
        "app_clear_data", "app_install", "app_update", "app_remove", "error", "first_open",
        "first_visit", "in_app_purchase", "notification_dismiss", "notification_foreground",
        "notification_open", "notification_receive", "os_update", "session_start",
        "user_engagement",
    )
)  # fmt: skip

# From Google's references: the Measurement Protocol v1 (v, tid, cid, t, what each hit type
# needs) and the GA4 Measurement Protocol (client_id, events[].name, 25 params, reserved names).
# The local collector (consent/testing/collector/ua.py, ga4.py) checks hits by the same rules.
PROTOCOLS: dict[str, WireProtocol] = {
    "legacy": WireProtocol(
        "legacy",
        "legacy",
        "Universal Analytics Measurement Protocol v1",
        "/collect",
        False,
        _is_ua_name,
        "lower-case letters and digits, at most 16; cd<n> and cm<n> from 1 to 200",
        150,  # the smallest limit of a text parameter that may carry one (cd<n>, ec)
        (
            Required("v", "constant", "the protocol version", "1"),
            Required("tid", "constant", "the property that records the hit", DESTINATION_ID),
            Required("cid", "client_id", "the client id that every hit needs"),
            Required("t", "hit_type", "the hit type"),
        ),
        hit_types=LEGACY_HIT_TYPES,
        needs=(("screenview", ("cd",)), ("event", ("ec", "ea"))),
        companions=(("av", "an"), ("aid", "an"), ("aiid", "an")),
        integers=(("ev", 0, None), ("qt", 0, 14_400_000)),
        id_ok=_is_ua_id,
        id_rule="a Universal Analytics tracking id, UA-<digits>-<digits>",
        sunset="Google stopped processing Universal Analytics hits on 2023-07-01 (on 2024-07-01 "
        "for Universal Analytics 360 properties)",
    ),
    "ga4": WireProtocol(
        "ga4",
        "GA4",
        "GA4 Measurement Protocol",
        "/mp/collect",
        True,
        _is_ga4_name,
        "letters, digits and '_', starting with a letter, at most 40, no ga_, google_ or "
        "firebase_ prefix",
        100,  # a param's string value
        (
            Required("client_id", "client_id", "the body's client_id, which GA4 requires"),
            Required("name", "hit_type", "each event's name"),
        ),
        reserved=GA4_RESERVED_EVENTS,
        max_params=25,
        id_rule="the measurement id, G-…",
        api_secret=True,
        regions=("eu",),
    ),
    "otlp": WireProtocol(
        "otlp",
        "OTLP",
        "OpenTelemetry OTLP/HTTP logs",
        "/v1/logs",  # LOGS_PATH of consent/_core/otlp.py
        True,
        _is_otlp_key,
        "letters, digits, '_', '-' and '.' from a letter on, outside service., telemetry., "
        "host., user., client. and the other namespaces that identify a machine, a person or an "
        "address (consent/_core/otlp.py)",
        150,
        (),  # each event is one log record; its fields are attributes, none required
        id_ok=_anything,  # the destination has no tracking id: `more` says so if one is given
        is_event_name=_is_otlp_event,
        endpoint=True,
        more=_otlp_problems,
    ),
}


# Set by the pytest plugin (consent/testing/plugin.py) to warn, when a spec is built, that its
# protocol's service no longer processes hits; None elsewhere: an app's users see nothing of it.
sunset_warning: Callable[[AppSpec, WireProtocol], None] | None = None


class Destination(Record):
    """Where hits go and under which protocol (a name of PROTOCOLS).

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
        found = PROTOCOLS.get(self.protocol)
        return found.path if found is not None else "/"

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


# The specs built and not checked yet (by id), while the pytest plugin (consent/testing/plugin.py)
# asks for them: it checks each after every test. None otherwise, so that a program keeps none.
UNCHECKED: dict[int, AppSpec] | None = None


class AppSpec(Record, AppNames):
    """Everything an app declares to get the consent layer. Immutable; checked at its first use
    or by `check()` (a `SpecError` names every problem at once), not when built."""

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
    # Derived when first used (`check`): the registry by wire name and the events by name; and
    # the notice version once computed.
    _lookup: tuple[dict[str, Field], dict[str, Event]] | None = derived(init=False)
    _notice_version: str | None = derived(init=False)

    def __post_init__(self) -> None:
        # Building a spec stores its arguments and nothing more: an app builds its spec on every
        # run (unless it names it lazily) and most runs never use it. The whole check, the
        # protocol's included, runs when the spec is first used (`check`: to decide, to build a
        # hit, a notice or a question), and after each test in the pytest plugin, so that a bad
        # spec fails its author's tests and never a person's command.
        object.__setattr__(self, "_lookup", None)
        object.__setattr__(self, "_notice_version", None)
        if UNCHECKED is not None:
            UNCHECKED[id(self)] = self
        if sunset_warning is not None:  # set only under the pytest plugin: at the line that builds
            found = PROTOCOLS.get(self.destination.protocol)
            if found is not None and found.sunset:
                sunset_warning(self, found)

    def check(self) -> None:
        """Check the whole spec, once: a SpecError names every problem at once. Runs by itself
        the first time the spec is used; an app or a test may call it to check earlier (the
        pytest plugin then leaves the answer to the caller)."""
        if UNCHECKED is not None:
            UNCHECKED.pop(id(self), None)
        self._checked()

    def _checked(self) -> tuple[dict[str, Field], dict[str, Event]]:
        lookup = self._lookup
        if lookup is None:
            _validate(self, protocol_problems(self))
            # Lookups by name are constant time: the notice and show-payload look every event
            # up (bench/growth.py measures them up to 1,000 fields and events).
            lookup = ({f.wire: f for f in self.fields}, {e.name: e for e in self.events})
            object.__setattr__(self, "_lookup", lookup)
            if UNCHECKED is not None:
                # Only a good spec leaves the list: a bad one that a host command used (and that
                # refused to run, silently) still fails the test that built it.
                UNCHECKED.pop(id(self), None)
        return lookup

    def __repr__(self) -> str:
        return f"AppSpec(name={self.name!r}, version={self.version!r}, mode={self.mode!r})"

    # -- lookups -----------------------------------------------------------
    def field(self, wire: str) -> Field:
        return self._checked()[0][wire]

    def event(self, name: str) -> Event:
        event = self._checked()[1].get(name)
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

    # -- derived names (the variables and `commands` are consent/_start.py `AppNames`') --------

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
            self._checked()  # a notice, a question and a decision all start here
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


def _canonical_allowed(
    allowed: tuple[str, ...] | range | AbstractSet[str] | None,
) -> tuple[object, ...]:
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


def _validate(spec: AppSpec, problems: list[str]) -> None:
    if not _is_app_name(spec.name):
        problems.append(f"name {spec.name!r} must be lower-case letters, digits, '-' or '_'")
    if not _is_env_prefix(spec.env_prefix):
        problems.append(f"env_prefix {spec.env_prefix!r} must be upper-case like 'LUMOGON'")
    if spec.mode not in ("opt-out", "opt-in"):
        problems.append(f"mode {spec.mode!r} must be 'opt-out' or 'opt-in'")
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
    elif dest.region and dest.base_url != GLOBAL_URL:
        problems.append("region='eu' chooses the endpoint; do not also set base_url")
    return problems


def _field_problems(spec: AppSpec) -> list[str]:
    problems: list[str] = []
    found = PROTOCOLS.get(spec.destination.protocol)
    limit = found.value_limit if found is not None else 100
    seen: set[str] = set()
    for f in spec.fields:
        if f.wire in seen:
            problems.append(f"field {f.wire!r} is declared twice")
        seen.add(f.wire)
        if not f.description.strip():
            problems.append(f"field {f.wire!r} has no description")
        if not f.example.strip():
            problems.append(f"field {f.wire!r} has no example")
        if f.kind not in _KIND_TEXT:
            problems.append(f"field {f.wire!r} has unknown kind {f.kind!r}")
        if (f.kind == "constant") != (f.value is not None):
            problems.append(f"field {f.wire!r}: exactly the constant fields carry a value")
        elif f.value is not None and type(f.value) not in (str, int):
            problems.append(f"field {f.wire!r}: a constant's value is a str or an int")
        problems += _allowed_problems(f, limit)
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


def _allowed_problems(f: Field, limit: int) -> list[str]:
    allowed = f.allowed
    if f.kind != "runtime":
        return (
            [f"field {f.wire!r}: only runtime fields declare allowed values"]
            if allowed is not None
            else []
        )
    how = 'allowed=("ok", "failed"), allowed={"ok", "failed"} or allowed=range(0, 10_001)'
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
        return [
            f"runtime field {f.wire!r}: allowed must be a non-empty tuple or set of str, or a range"
        ]
    problems = []
    if len(set(values)) != len(values):
        problems.append(f"runtime field {f.wire!r}: allowed names a value twice")
    if widest > limit:
        problems.append(f"runtime field {f.wire!r}: an allowed value is over {limit} bytes")
    example = int(f.example) if isinstance(allowed, range) and _is_int(f.example) else f.example
    if f.admits(example)[0] is None:
        problems.append(f"runtime field {f.wire!r}: its example {f.example!r} is not allowed")
    return problems


def protocol_problems(spec: AppSpec) -> list[str]:
    """What the destination's protocol needs (PROTOCOLS) that the spec does not give, each
    saying what to add. Cheap enough to run on every build: one pass over the fields, then a
    lookup per rule and one pass over the events; no hashing."""
    dest = spec.destination
    p = PROTOCOLS.get(dest.protocol)
    if p is None:
        *rest, last = (repr(n) for n in PROTOCOLS)
        return [f"protocol {dest.protocol!r} must be {', '.join(rest)} or {last}"]
    problems: list[str] = []
    if not p.id_ok(dest.tracking_id):
        problems.append(f"the {p.label} destination's id {dest.tracking_id!r} must be {p.id_rule}")
    if p.api_secret and not dest.api_secret:
        problems.append(f"a {p.label} destination needs an api_secret")
    if dest.region and dest.region not in p.regions:
        offered = " or ".join(q.label for q in PROTOCOLS.values() if dest.region in q.regions)
        problems.append(f"region applies to {offered or 'no'} destinations only")
    if not p.endpoint and (dest.endpoint or dest.headers):
        takes = " or ".join(q.label for q in PROTOCOLS.values() if q.endpoint)
        problems.append(f"endpoint and headers apply to {takes} destinations only")
    if p.more is not None:
        problems += p.more(spec)
    by_wire: dict[str, Field] = {}
    by_kind: dict[str, str] = {}
    misnamed = []
    for f in spec.fields:
        by_wire.setdefault(f.wire, f)
        by_kind.setdefault(f.kind, f.wire)
        if not p.is_name(f.wire):
            misnamed.append(repr(f.wire))
    if misnamed:
        one = len(misnamed) == 1
        which = f"field {misnamed[0]} is not a" if one else f"fields {', '.join(misnamed)} are not"
        problems.append(f"{which} valid {p.name} name{'' if one else 's'} ({p.name_rule})")
    common = set(spec.common)
    for r in p.required:
        problems += _required_problems(
            spec, p, r, by_wire.get(r.wire), by_kind=by_kind, common=common
        )
    required = {r.wire for r in p.required}
    for e in spec.events:
        carried = common.union(e.fields)
        problems += _event_problems(p, e, carried, len(carried - required))
    for wire, low, high in p.integers:
        declared = by_wire.get(wire)
        if declared is not None and not _is_integer_field(declared, low, high, p.typed):
            upto = f" to {high}" if high is not None else " or more"
            problems.append(
                f"field {wire!r}: the {p.label} protocol takes an integer from {low}{upto} "
                "here: declare an int constant (value=1) or allowed=range(…)"
            )
    return problems


def _required_problems(
    spec: AppSpec,
    p: WireProtocol,
    r: Required,
    f: Field | None,
    *,
    by_kind: dict[str, str],
    common: set[str],
) -> list[str]:
    if f is None:
        other = by_kind.get(r.kind) if r.kind != "constant" else None
        if other is not None:
            return [f"{p.label}: the {r.kind} field must be named {r.wire!r}, not {other!r}"]
        want = spec.destination.tracking_id if r.value == DESTINATION_ID else r.value
        value = f", {want!r}" if want is not None else ""
        example = repr(want) if want is not None else "'…'"
        return [
            f"{p.label}: every hit needs {r.wire!r} ({r.why}): declare "
            f"Field({r.wire!r}, '…', {example}, {r.kind!r}{value}) and name it in `common`"
        ]
    if f.kind != r.kind:
        return [f"{p.label}: field {r.wire!r} ({r.why}) must be of kind {r.kind!r}, not {f.kind!r}"]
    out = []
    want = spec.destination.tracking_id if r.value == DESTINATION_ID else r.value
    if want is not None and str(f.value) != want:
        whose = ", the destination's id" if r.value == DESTINATION_ID else ""
        out.append(f"{p.label}: field {r.wire!r} is {f.value!r}; it must be {want!r}{whose}")
    if r.wire not in common:
        lacking = [e.name for e in spec.events if r.wire not in e.fields]
        if lacking:
            out.append(
                f"{p.label}: every hit needs {r.wire!r} ({r.why}); name it in `common` "
                f"(the event{'s' if len(lacking) > 1 else ''} {', '.join(map(repr, lacking))} "
                "lack it)"
            )
    return out


def _event_problems(p: WireProtocol, e: Event, carried: set[str], params: int) -> list[str]:
    out = []
    kind = e.hit_type
    if p.hit_types:
        if kind not in p.hit_types:
            out.append(
                f"event {e.name!r}: {kind!r} is not a {p.label} hit type; "
                f"one of {', '.join(p.hit_types)}"
            )
    elif p.is_event_name is not None:
        if not p.is_event_name(kind):
            out.append(f"event {e.name!r}: {kind!r} is not a valid {p.label} event name")
    elif not p.is_name(kind):
        out.append(f"event {e.name!r}: {kind!r} is not a valid {p.label} name ({p.name_rule})")
    if kind in p.reserved:
        out.append(f"event {e.name!r}: {p.label} reserves the name {kind!r}; choose another")
    needed = [w for t, wires in p.needs if t == kind for w in wires]
    needed += [second for first, second in p.companions if first in carried]
    lacking = [w for w in needed if w not in carried]
    if lacking:
        out.append(
            f"event {e.name!r}: a {p.label} {kind!r} hit needs {', '.join(map(repr, lacking))}; "
            "declare and add to the event's fields"
        )
    if p.max_params and params > p.max_params:
        out.append(
            f"event {e.name!r} carries {params} params; a {p.label} event takes at most "
            f"{p.max_params}"
        )
    return out


def _is_integer_field(f: Field, low: int, high: int | None, typed: bool) -> bool:
    if f.kind == "constant":
        value = f.value
        if type(value) is str and not typed and _is_int(value):
            value = int(value)
        return type(value) is int and value >= low and (high is None or value <= high)
    allowed = f.allowed
    if f.kind == "runtime" and isinstance(allowed, range) and allowed:  # no len(): it may be huge
        return min(allowed[0], allowed[-1]) >= low and (
            high is None or max(allowed[0], allowed[-1]) <= high
        )
    return False


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
