"""The names and limits that more than one layer uses, each defined once.

A name that only one module uses lives in that module; these are the ones the CLI, the store,
the wire and the notice must agree on.
"""

from __future__ import annotations

# The command group every app gets, and the flag that disables telemetry for one run.
GROUP_NAME = "telemetry"
FLAG = "--disable-analytics"

# The cross-tool variable that disables telemetry, beside the app's own `<PREFIX>_DISABLE_ANALYTICS`.
DO_NOT_TRACK = "DO_NOT_TRACK"

# The table of the user config (and of an admin policy) that holds consent.
TABLE = "telemetry"
# Its keys the toolkit writes, with their TOML types; every other key is the person's own.
MANAGED_KEYS: dict[str, type] = {
    "enabled": bool,
    "notice_version": str,  # the notice version the decision covers
    "decided_at": str,
    "decided_via": str,  # how the decision was made: command, prompt, …
    "notice_shown_version": str,  # opt-out apps: the notice a person saw
    "notice_shown_at": str,
}

# File names, inside the app's user config, site config, data and state directories.
CONFIG_NAME = "config.toml"
POLICY_NAME = "telemetry.toml"
ID_FILE_NAME = "client-id"
LOG_NAME = "telemetry-log.jsonl"

# The keyring entry of the pseudonymous id: service `<app>-telemetry`, this user name.
KEYRING_USER = "client-id"

# The detached sender's whole time budget for one request: connect, TLS, send, status line.
SENDER_TIMEOUT = 3.0

# The local log: its two generations together stay under this many bytes (consent/store/log.py).
LOG_MAX_BYTES = 64 * 1024
