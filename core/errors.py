"""The error vocabulary shared by tools, the CLI and the API.

Each error carries a message written for the person who reads it: the CLI prints it as one line,
the API returns it as a JSON detail, the guard hands it to the model. The exit code tells a
script what to do next: 2 means the input was wrong (fix the command or setting and retry), 1
means the world was not as needed (a service down, data missing), so the same command may work
later.
"""

from __future__ import annotations

from typing import Any


class BcaError(Exception):
    """Base of every error this project raises on purpose."""

    exit_code = 2


class ConfigurationError(BcaError):
    """A setting, URL or policy file is malformed."""


class ServiceUnavailable(BcaError):
    """A database, broker or Canvas endpoint cannot be reached."""

    exit_code = 1


class NotFoundError(BcaError):
    """A looked-up object does not exist; names what was looked up."""

    def __init__(self, kind: str, **key: Any) -> None:
        self.kind = kind
        self.key = key
        shown = ", ".join(f"{k}={v!r}" for k, v in key.items())
        super().__init__(f"{kind} not found: {shown}")


class ValidationFailed(BcaError):
    """Input was understood but breaks a rule; the message says which and what would pass."""
