"""The `[telemetry]` table of the user config and of the admin policy, read into values.

Pure: a parsed TOML document in, a record or an error message out. Wrong types
are errors, never guesses: `enabled = "yes"` is not consent.
"""

from __future__ import annotations

from consent._core.names import (
    DEFAULTS_KEYS,
    MANAGED_KEYS,
    MODE_LOCAL,
    MODE_OFF,
    MODE_OPT_IN,
    MODE_OPT_OUT,
    MODE_SEND,
    POLICY_ENDPOINT_KEY,
    POLICY_KEYS,
    POLICY_MODE_KEY,
    POLICY_PURPOSES_KEY,
    TABLE,
)
from consent._core.value import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    # The state of a file a source reads: absent, read, or present but unusable.
    FileState = Literal["missing", "ok", "error"]
else:
    FileState = str  # typing is not imported at run time (see consent/_core/value.py)


class ConsentRecord(Record):
    """What the user config says about telemetry."""

    enabled: bool | None = None
    notice_version: str | None = None  # the notice version the decision covers
    decided_at: str | None = None
    decided_via: str | None = None  # how the decision was made: command, prompt, …
    notice_shown_version: str | None = None  # opt-out apps: the notice a person saw
    notice_shown_at: str | None = None
    notice_fields: str | None = None  # what the last notice seen or decided on covered,
    notice_events: str | None = None  # space-separated names (see consent._core.names)
    enabled_purposes: str | None = None  # space-separated purpose names; None: every purpose
    disabled_purposes: str | None = None  # space-separated purpose names
    mode: str | None = None  # MODE_LOCAL or MODE_SEND (the same as None)
    local_purposes: str | None = None  # local mode keeps these purposes (space-separated)
    latest_receipt_sha256: str | None = None  # the newest consent receipt's hash (HEAD_KEY)

    @property
    def enabled_set(self) -> frozenset[str] | None:
        """The purposes `enabled = true` covers; None when the config predates purposes (all)."""
        if self.enabled_purposes is None:
            return None
        return frozenset(self.enabled_purposes.split())

    @property
    def disabled_set(self) -> frozenset[str]:
        return frozenset((self.disabled_purposes or "").split())

    @property
    def local(self) -> bool:
        return self.mode == MODE_LOCAL


_STR_KEYS = tuple(k for k, kind in MANAGED_KEYS.items() if kind is str)


def consent_record(doc: dict[str, Any]) -> ConsentRecord:
    """Read the user's `[telemetry]` table; raises ValueError naming the bad key."""
    table = doc.get(TABLE)
    if table is None:
        return ConsentRecord()
    if not isinstance(table, dict):
        raise ValueError(f"'{TABLE}' must be a table, found {type(table).__name__}")
    enabled = table.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        raise ValueError(f"'{TABLE}.enabled' must be true or false, found {enabled!r}")
    values: dict[str, str | None] = {}
    for key in _STR_KEYS:
        value = table.get(key)
        if value is not None and not isinstance(value, str):
            raise ValueError(f"'{TABLE}.{key}' must be a string, found {value!r}")
        values[key] = value
    mode = values.get("mode")
    if mode is not None and mode not in (MODE_LOCAL, MODE_SEND):
        raise ValueError(f"'{TABLE}.mode' must be {MODE_LOCAL!r} or {MODE_SEND!r}, found {mode!r}")
    return ConsentRecord(enabled=enabled, **values)


def policy_locks(doc: dict[str, Any]) -> tuple[bool, str]:
    """Does an admin policy document lock telemetry off? (locks, problem).

    Only a clean `[telemetry]` table whose keys are `enabled = true` and the managed settings
    `policy_terms` reads (`disabled_purposes`, `mode`, `endpoint`), or an empty document, leaves
    telemetry unlocked; `enabled = false` and `mode = "off"` lock. Anything else locks too: a
    policy file exists to restrict, so an intent that cannot be read exactly fails closed, and
    the problem names the key: a table or key spelled in another case, a key at the top level
    or beside them, a wrong type.
    """
    for key in doc:
        if key != TABLE:
            if key.lower() == TABLE:
                return True, f"has a table '{key}' (the policy table is '{TABLE}', lower case)"
            return True, f"has the key '{key}' outside the '{TABLE}' table"
    table = doc.get(TABLE)
    if table is None:
        return False, ""
    if not isinstance(table, dict):
        return True, f"'{TABLE}' must be a table, found {type(table).__name__}"
    for key in table:
        if key not in POLICY_KEYS:
            known = ", ".join(f"'{k}'" for k in POLICY_KEYS)
            return True, f"has the unknown key '{TABLE}.{key}' (only {known} are read)"
    enabled = table.get("enabled")
    if enabled is not None and not isinstance(enabled, bool):
        return True, f"'{TABLE}.enabled' must be true or false, found {enabled!r}"
    return enabled is False or table.get(POLICY_MODE_KEY) == MODE_OFF, ""


class PolicyTerms(Record):
    """What one admin policy document says, read exactly (see `policy_terms`)."""

    locks: bool  # everything is locked off: `enabled = false`, `mode = "off"`, or a problem
    problem: str = ""  # why the document cannot be read exactly (it then locks)
    lock_key: str = ""  # the key that locks: "telemetry.enabled" or "telemetry.mode"
    locked_purposes: tuple[str, ...] = ()  # `disabled_purposes`
    local: bool = False  # `mode = "local"`
    endpoint: str = ""  # `endpoint`, checked: https, or http on a loopback address
    # Every key the document sets, as ("telemetry.<key>", its value as TOML spells it): what
    # `status` and `telemetry policy` show as managed by the organisation.
    settings: tuple[tuple[str, str], ...] = ()


def policy_terms(doc: dict[str, Any], purposes: tuple[str, ...]) -> PolicyTerms:
    """Everything an admin policy document says. A problem locks everything (fail closed):
    the shapes `policy_locks` refuses, `disabled_purposes` that is not a list of names (or one
    space-separated string), a name that `purposes` does not declare, a `mode` other than
    "off", "local" or "send", an `endpoint` that is not a string, not a URL, or not https (plain
    http only on a loopback address)."""
    locks, problem = policy_locks(doc)
    table = doc.get(TABLE)
    if problem or not isinstance(table, dict):
        return PolicyTerms(locks, problem)
    settings = tuple((f"{TABLE}.{k}", _toml_value(v)) for k, v in table.items())
    lock_key = ""
    if locks:
        off = table.get(POLICY_MODE_KEY) == MODE_OFF
        lock_key = f"{TABLE}.{POLICY_MODE_KEY if off else 'enabled'}"
    locked, problem = _locked_purposes(table, purposes)
    mode = table.get(POLICY_MODE_KEY)
    if not problem and mode is not None and mode not in (MODE_OFF, MODE_LOCAL, MODE_SEND):
        modes = ", ".join(repr(m) for m in (MODE_OFF, MODE_LOCAL, MODE_SEND))
        problem = f"'{TABLE}.{POLICY_MODE_KEY}' must be one of {modes}, found {mode!r}"
    endpoint = ""
    if not problem:
        endpoint, problem = _endpoint(table.get(POLICY_ENDPOINT_KEY))
    if problem:
        return PolicyTerms(True, problem, settings=settings)
    return PolicyTerms(locks, "", lock_key, locked, mode == MODE_LOCAL, endpoint, settings)


def _locked_purposes(
    table: dict[str, Any], purposes: tuple[str, ...]
) -> tuple[tuple[str, ...], str]:
    raw = table.get(POLICY_PURPOSES_KEY)
    if raw is None:
        return (), ""
    key = f"'{TABLE}.{POLICY_PURPOSES_KEY}'"
    names = raw.split() if isinstance(raw, str) else raw
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        return (), f"{key} must be a list of purpose names, found {raw!r}"
    unknown = [n for n in names if n not in purposes]
    if unknown:
        return (), (
            f"{key} names {', '.join(map(repr, unknown))}, which is not a purpose of this "
            f"app (its purposes: {', '.join(purposes)})"
        )
    return tuple(p for p in purposes if p in names), ""


def _endpoint(raw: object) -> tuple[str, str]:
    """(the managed endpoint, a problem): the same rule as the override variable's."""
    if raw is None:
        return "", ""
    key = f"'{TABLE}.{POLICY_ENDPOINT_KEY}'"
    if not isinstance(raw, str):
        return "", f"{key} must be a URL string, found {raw!r}"
    from consent._core.endpoint import parse_endpoint
    from consent._errors import EndpointError

    try:
        parse_endpoint(raw)
    except EndpointError as exc:
        return "", f"{key} {exc}; nothing is sent"
    return raw.strip(), ""


def _toml_value(value: object) -> str:
    """A value as TOML spells it, for people: true, "local", ["usage"]."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)


class DefaultsTerms(Record):
    """What a packager's `telemetry-defaults.toml` says, read exactly (see `defaults_terms`)."""

    problem: str = ""  # why it cannot be read exactly (then nothing is sent: fail closed)
    mode: str = ""  # "opt-in", "opt-out" or "" (not set)
    off_purposes: tuple[str, ...] = ()  # `disabled_purposes`: off until a person enables them
    endpoint: str = ""  # `endpoint`, checked: https, or http on a loopback address
    settings: tuple[tuple[str, str], ...] = ()  # every key it sets, as TOML spells its value


def defaults_terms(doc: dict[str, Any], purposes: tuple[str, ...]) -> DefaultsTerms:
    """Everything a packager's defaults document says: its `[telemetry]` table may set `mode`
    ("opt-in" or "opt-out"; the rules use it only to make an app stricter), `disabled_purposes`
    and `endpoint` (the same rules as the policy's keys). Anything else cannot be read exactly,
    and the problem names the key: another table or key, a wrong type, another mode."""
    for key in doc:
        if key != TABLE:
            return DefaultsTerms(f"has the key '{key}' outside the '{TABLE}' table")
    table = doc.get(TABLE)
    if table is None:
        return DefaultsTerms()
    if not isinstance(table, dict):
        return DefaultsTerms(f"'{TABLE}' must be a table, found {type(table).__name__}")
    settings = tuple((f"{TABLE}.{k}", _toml_value(v)) for k, v in table.items())
    for key in table:
        if key not in DEFAULTS_KEYS:
            known = ", ".join(f"'{k}'" for k in DEFAULTS_KEYS)
            problem = f"has the unknown key '{TABLE}.{key}' (only {known} are read)"
            return DefaultsTerms(problem, settings=settings)
    mode = table.get(POLICY_MODE_KEY)
    if mode is not None and mode not in (MODE_OPT_IN, MODE_OPT_OUT):
        problem = f"'{TABLE}.{POLICY_MODE_KEY}' must be 'opt-in' or 'opt-out', found {mode!r}"
        return DefaultsTerms(problem, settings=settings)
    off, problem = _locked_purposes(table, purposes)
    endpoint = ""
    if not problem:
        endpoint, problem = _endpoint(table.get(POLICY_ENDPOINT_KEY))
    if problem:
        return DefaultsTerms(problem, settings=settings)
    return DefaultsTerms("", mode or "", off, endpoint, settings)


def project_terms(doc: dict[str, Any]) -> tuple[bool, str, bool]:
    """What a per-project file (`.<app>/telemetry.toml`) says: (disables, problem, an enable it
    ignores). It can only restrict: `[telemetry] enabled = false` disables, `enabled = true` is
    ignored (the caller warns), no `enabled` says nothing. Anything else cannot be read exactly
    and disables (fail closed): another key or table, a wrong type."""
    for key in doc:
        if key != TABLE:
            return True, f"has the key '{key}' outside the '{TABLE}' table", False
    table = doc.get(TABLE)
    if table is None:
        return False, "", False
    if not isinstance(table, dict):
        return True, f"'{TABLE}' must be a table, found {type(table).__name__}", False
    for key in table:
        if key != "enabled":
            return True, f"has the key '{TABLE}.{key}' (only '{TABLE}.enabled' is read)", False
    enabled = table.get("enabled")
    if enabled is False:
        return True, "", False
    if enabled is True:
        return False, "", True
    if enabled is None:
        return False, "", False
    return True, f"'{TABLE}.enabled' must be true or false, found {enabled!r}", False
