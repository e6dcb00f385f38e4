"""What can go wrong when talking to Canvas, named so a caller can act on it.

A missing user, course or section is a :class:`CanvasNotFound` carrying the kind and the SIS id
that was looked up, so the sync can turn it into an exception for a person. Canvas being down,
throttling past our retries, or a job that never finishes are :class:`CanvasUnavailable`; a
write whose outcome is unknown (a 5xx or dropped connection after a POST) is
:class:`AmbiguousWrite`, which only an operation that can check before re-creating may retry.
"""

from __future__ import annotations

from typing import Literal

from core.errors import BcaError, NotFoundError, ServiceUnavailable

CanvasKind = Literal[
    "user", "course", "section", "enrollment", "sis_import", "content_migration", "grading_standard"
]


class CanvasNotFound(NotFoundError):
    """A Canvas object looked up by SIS id (or Canvas id) does not exist."""

    def __init__(self, kind: CanvasKind, sis_id: str | None = None, canvas_id: int | None = None):
        self.sis_id = sis_id
        self.canvas_id = canvas_id
        key = {"sis_id": sis_id} if sis_id is not None else {"id": canvas_id}
        super().__init__(f"Canvas {kind}", **key)
        self.kind = kind


class CanvasUnavailable(ServiceUnavailable):
    """Canvas kept failing (5xx, 429, connection errors) after every retry."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        self.status = status
        super().__init__(message)


class AmbiguousWrite(CanvasUnavailable):
    """A write failed in a way that does not say whether Canvas applied it."""


class CanvasJobTimeout(CanvasUnavailable):
    """A Canvas background job (content migration, SIS import) did not finish in time."""


class CanvasRejected(BcaError):
    """Canvas refused a request as invalid (400/409/422); the message carries its reason."""


class CanvasAccessDenied(BcaError):
    """Canvas refused the token (401/403): a configuration problem, not a data problem."""


class CanvasJobFailed(BcaError):
    """A Canvas background job (a course copy) ended in failure."""
