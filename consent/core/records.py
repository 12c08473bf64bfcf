"""The `[telemetry]` table of the user config and of the admin policy, read into values.

Pure: a parsed TOML document in, a record or an error message out. Wrong types
are errors, never guesses: `enabled = "yes"` is not consent.
"""

from __future__ import annotations

from consent.core.names import (
    MANAGED_KEYS,
    MODE_LOCAL,
    MODE_SEND,
    POLICY_KEYS,
    POLICY_MODE_KEY,
    POLICY_PURPOSES_KEY,
    TABLE,
)
from consent.core.value import Record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, Literal

    # The state of a file a source reads: absent, read, or present but unusable.
    FileState = Literal["missing", "ok", "error"]
else:
    FileState = str  # typing is not imported at run time (see consent/core/value.py)


class ConsentRecord(Record):
    """What the user config says about telemetry."""

    enabled: bool | None = None
    notice_version: str | None = None  # the notice version the decision covers
    decided_at: str | None = None
    decided_via: str | None = None  # how the decision was made: command, prompt, …
    notice_shown_version: str | None = None  # opt-out apps: the notice a person saw
    notice_shown_at: str | None = None
    notice_fields: str | None = None  # what the last notice seen or decided on covered,
    notice_events: str | None = None  # space-separated names (see consent.core.names)
    enabled_purposes: str | None = None  # space-separated purpose names; None: every purpose
    disabled_purposes: str | None = None  # space-separated purpose names
    mode: str | None = None  # MODE_LOCAL or MODE_SEND (the same as None)

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
    `policy_terms` reads (`disabled_purposes`, `mode`), or an empty document, leaves telemetry
    unlocked. Anything else locks: a policy file exists to restrict, so an intent that cannot be
    read exactly fails closed, and the problem names the key: a table or key spelled in another
    case, a key at the top level or beside them, a wrong type.
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
    if enabled is None or enabled is True:
        return False, ""
    if enabled is False:
        return True, ""
    return True, f"'{TABLE}.enabled' must be true or false, found {enabled!r}"


def policy_terms(
    doc: dict[str, Any], purposes: tuple[str, ...]
) -> tuple[tuple[str, ...], bool, str]:
    """What an admin policy says beyond `enabled`: (the purposes it locks off, whether it forces
    local mode, a problem). A problem locks everything (fail closed), as `policy_locks` does:
    `disabled_purposes` that is not a list of names (or one space-separated string), a name that
    `purposes` does not declare, or a `mode` other than "local" or "send"."""
    table = doc.get(TABLE)
    if not isinstance(table, dict):
        return (), False, ""  # policy_locks reports a table that is not a table
    locked: tuple[str, ...] = ()
    raw = table.get(POLICY_PURPOSES_KEY)
    key = f"'{TABLE}.{POLICY_PURPOSES_KEY}'"
    if raw is not None:
        names = raw.split() if isinstance(raw, str) else raw
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            return (), False, f"{key} must be a list of purpose names, found {raw!r}"
        unknown = [n for n in names if n not in purposes]
        if unknown:
            return (
                (),
                False,
                (
                    f"{key} names {', '.join(map(repr, unknown))}, which is not a purpose of this "
                    f"app (its purposes: {', '.join(purposes)})"
                ),
            )
        locked = tuple(p for p in purposes if p in names)
    mode = table.get(POLICY_MODE_KEY)
    if mode is not None and mode not in (MODE_LOCAL, MODE_SEND):
        return (
            locked,
            False,
            f"'{TABLE}.mode' must be {MODE_LOCAL!r} or {MODE_SEND!r}, found {mode!r}",
        )
    return locked, mode == MODE_LOCAL, ""
