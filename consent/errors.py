"""The toolkit's exceptions: one base class and a few subclasses.

Foreign errors (OSError, TOML parse errors, keyring errors) are translated into
these where they enter, with messages that say what happened and what to do.
"""

from __future__ import annotations


class ConsentError(Exception):
    """Base class for every error the toolkit raises on purpose."""


class SpecError(ConsentError):
    """An app declared an invalid AppSpec (registry, names, destination)."""


class ConfigError(ConsentError):
    """The user config could not be read or written."""


class PolicyLockedError(ConsentError):
    """An admin policy file locks telemetry off; the user cannot enable it."""


class HitError(ConsentError):
    """A hit carries a key the registry does not declare, or breaks a protocol limit."""
