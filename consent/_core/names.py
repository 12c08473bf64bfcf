"""The names and limits that more than one layer uses, each defined once.

A name that only one module uses lives in that module; these are the ones the CLI, the store,
the wire and the notice must agree on. Those a host command needs as it starts (the group, the
flag, the env suffixes and words, `STRICT_ENV`) live in consent/_start.py, and the files' names
in consent/_glance.py, which together decide every "off" run before anything else loads; this
module re-exports the ones the rest of consent reads from here.
"""

from __future__ import annotations

# Defined in consent/_glance.py, which a host command's start reads its files with: the table of the
# user config (and of an admin policy, a project file) that holds consent, the files' names, the
# modes, the policy's keys, the project search's limit.
from consent._glance import (
    CONFIG_NAME,
    MODE_LOCAL,
    MODE_OFF,
    MODE_SEND,
    POLICY_ENDPOINT_KEY,
    POLICY_KEYS,
    POLICY_MODE_KEY,
    POLICY_NAME,
    POLICY_PURPOSES_KEY,
    PROJECT_MAX_LEVELS,
    TABLE,
)

__all__ = [
    "CONFIG_NAME",
    "MODE_LOCAL",
    "MODE_OFF",
    "MODE_SEND",
    "POLICY_ENDPOINT_KEY",
    "POLICY_KEYS",
    "POLICY_MODE_KEY",
    "POLICY_NAME",
    "POLICY_PURPOSES_KEY",
    "PROJECT_MAX_LEVELS",
    "TABLE",
]

# The user config's key that anchors the consent receipts' chain (see MANAGED_KEYS).
HEAD_KEY = "latest_receipt_sha256"

# Its keys the toolkit writes, with their TOML types; every other key is the person's own.
MANAGED_KEYS: dict[str, type] = {
    "enabled": bool,
    "notice_version": str,  # the notice version the decision covers
    "decided_at": str,
    "decided_via": str,  # how the decision was made: command, prompt, …
    "notice_shown_version": str,  # opt-out apps: the notice a person saw
    "notice_shown_at": str,
    # What the notice a person last saw or decided on covered: the wire names of its fields and
    # the names of its events, space-separated (plain strings keep the config in the subset that
    # consent/_store/tomlfast.py reads), so that a changed notice can list what was added or removed.
    "notice_fields": str,
    "notice_events": str,
    # Consent per purpose (space-separated purpose names, for the same reason): the purposes the
    # person enabled and those they disabled. Without `enabled_purposes`, `enabled = true` covers
    # every purpose, as it did before purposes existed.
    "enabled_purposes": str,
    "disabled_purposes": str,
    "mode": str,  # MODE_LOCAL: hits are built and kept in the local log, never sent
    # In local mode, the purposes it keeps, when not those without a no (space-separated).
    "local_purposes": str,
    # The SHA-256 of the newest consent receipt's line: the head of the receipts' chain, so that
    # `receipts --verify` finds receipts removed from its end (consent/_store/receipts.py).
    HEAD_KEY: str,
}

# A person's word about sending a purpose's hits (consent/_core/words.py): yes or no.
YES = "yes"
NO = "no"

# The id that hits kept in local mode carry in place of the pseudonymous id: the same shape (a
# UUID4), so every other byte is the byte that would be sent, but it identifies no one and no id
# is created for it.
LOCAL_ID = "00000000-0000-4000-8000-000000000000"
# What the local log holds where a hit carried the pseudonymous id: the log never holds the id.
ID_IN_LOG = "(the pseudonymous id, filled in by the sender)"
# The outcome the local log records for a hit kept in local mode.
KEPT_LOCAL = "kept local: not sent"

# The macOS managed preferences a configuration profile installs: `<bundle id>.plist` here, and
# per user in `<user>/<bundle id>.plist` below it.
MANAGED_PREFERENCES = "/Library/Managed Preferences"
# Windows Group Policy: the policy location `HKLM\<AppSpec.policy_key>` (a registry key, read by
# consent/_store/sources.py, read_registry) stands among the policy files under this prefix.
REGISTRY_PREFIX = "HKLM\\"
# A packager's defaults: `{sys.prefix}/share/<app>/telemetry-defaults.toml` (docs/admin.md).
DEFAULTS_NAME = "telemetry-defaults.toml"
# The keys its `[telemetry]` table may hold; `mode` may only make the app stricter.
DEFAULTS_KEYS = ("mode", "disabled_purposes", "endpoint")
MODE_OPT_IN = "opt-in"
MODE_OPT_OUT = "opt-out"

# File names, inside the app's user data and state directories.
ID_FILE_NAME = "client-id"
LOG_NAME = "telemetry-log.jsonl"
RECEIPTS_NAME = "consent-receipts.jsonl"  # in the state dir; kept when the id is deleted

# The keyring entry of the pseudonymous id: service `<app>-telemetry`, this user name.
KEYRING_USER = "client-id"

# The detached sender's whole time budget for one request: connect (to the proxy, if any), the
# proxy's CONNECT, TLS, send, status line.
SENDER_TIMEOUT = 3.0

# The proxy variables the detached sender reads (consent/_wire/proxy.py). For an https
# destination the first of these that is set decides (lower case first, as curl and urllib; an
# empty or blank value names no proxy, so nothing is sent); then the bypass list, lower case first.
# HTTP_PROXY is never read: plain http goes only to loopback addresses, and those never go
# through a proxy.
HTTPS_PROXY_VARIABLES = ("https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY")
NO_PROXY_VARIABLES = ("no_proxy", "NO_PROXY")
PROXY_VARIABLES = (*HTTPS_PROXY_VARIABLES, *NO_PROXY_VARIABLES)

# The local log: its two generations together stay under this many bytes (consent/_store/log.py).
LOG_MAX_BYTES = 64 * 1024
