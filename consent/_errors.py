"""The toolkit's exceptions: one base class and a few subclasses that carry data.

```
ConsentError                 message; .path and .hint when they apply
├── SpecError                an AppSpec (registry, names, destination) is invalid
├── ConfigError              a file of the toolkit's cannot be read or written (.path)
│   └── LockTimeoutError     another process held a lock too long (.path, .waited)
├── PolicyLockedError        an admin policy file locks telemetry off (.path)
├── HitError                 a hit breaks the registry or a protocol limit (.event, .field)
├── EndpointError            an endpoint URL is not allowed (.url, .variable)
└── UsageError               a command was given an argument it cannot take (.param)
```

Foreign errors (OSError, TOML parse errors, keyring errors) are translated into these where
they enter. `str(error)` is the whole message a person reads: what happened, then the hint
(what to do).
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    import os

    PathLike = str | os.PathLike[str]


class ConsentError(Exception):
    """Base class for every error the toolkit raises on purpose."""

    def __init__(self, message: str, *, path: PathLike | None = None, hint: str = "") -> None:
        self.message = message
        self.path = None if path is None else str(path)
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class SpecError(ConsentError):
    """An app declared an invalid AppSpec (registry, names, destination)."""


class ConfigError(ConsentError):
    """A file the toolkit keeps (config, lock, log, id) could not be read or written."""


class LockTimeoutError(ConfigError):
    """Another process held the lock at `path` for longer than `waited` seconds."""

    def __init__(self, message: str, *, path: PathLike, waited: float, hint: str = "") -> None:
        super().__init__(message, path=path, hint=hint)
        self.waited = waited


class PolicyLockedError(ConsentError):
    """An admin policy file (`path`) locks telemetry off; the user cannot enable it."""


class HitError(ConsentError):
    """A hit carries a key or value the registry does not declare, or breaks a protocol limit."""

    def __init__(self, message: str, *, event: str = "", field: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.event = event
        self.field = field


class EndpointError(ConsentError):
    """An endpoint URL (`url`, from `variable` when it is an override) is not allowed."""

    def __init__(self, message: str, *, url: str, variable: str = "", hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.url = url
        self.variable = variable


class UsageError(ConsentError):
    """A command was given an argument it cannot take; `param` names the parameter (`PURPOSES`,
    `--format`). Each CLI adapter reports it as its framework reports usage errors."""

    def __init__(self, message: str, *, param: str, hint: str = "") -> None:
        super().__init__(message, hint=hint)
        self.param = param
