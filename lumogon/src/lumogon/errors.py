"""lumogon's own errors: reading the Docker Engine and uploading a report (not telemetry).

```
LumogonError        message; .hint says what to do
├── ExchangeError   one HTTP exchange failed: no connection, no answer in time, too large
├── DockerError     the Docker Engine cannot be read, or answered something unusable
└── UploadError     the report could not be uploaded, or the service's answer is unusable
```
"""

from __future__ import annotations


class LumogonError(Exception):
    """Base class: `str(error)` is what a person reads, what happened and then what to do."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        self.message = message
        self.hint = hint
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class ExchangeError(LumogonError):
    """One request and its answer failed; `__cause__` holds the OS or HTTP error, if any."""


class DockerError(LumogonError):
    """The Docker Engine could not be reached or read."""


class UploadError(LumogonError):
    """The report could not be uploaded to the report service."""
