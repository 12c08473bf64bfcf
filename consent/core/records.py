"""The `[telemetry]` table of the user config and of the admin policy, read into values.

Pure: a parsed TOML document in, a record or an error message out. Wrong types
are errors, never guesses: `enabled = "yes"` is not consent.
"""

from __future__ import annotations

from consent.core.names import MANAGED_KEYS, TABLE
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
    return ConsentRecord(enabled=enabled, **values)


def policy_locks(doc: dict[str, Any]) -> tuple[bool, str]:
    """Does an admin policy document lock telemetry off? (locks, problem).

    Only a clean `[telemetry]` table whose one key is `enabled = true`, or an empty document,
    leaves telemetry unlocked. Anything else locks: a policy file exists to restrict, so an
    intent that cannot be read exactly fails closed, and the problem names the key: a table or
    key spelled in another case, a key at the top level or beside `enabled`, a wrong type.
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
        if key != "enabled":
            return True, f"has the unknown key '{TABLE}.{key}' (only 'enabled' is read)"
    enabled = table.get("enabled")
    if enabled is None or enabled is True:
        return False, ""
    if enabled is False:
        return True, ""
    return True, f"'{TABLE}.enabled' must be true or false, found {enabled!r}"
