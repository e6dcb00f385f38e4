"""An inbox row as read, and the ids and re-parsers of bodies that did not parse."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Row

from agents.events import Event, parse_event
from core.errors import ValidationFailed
from runtime.inbox.states import Status


@dataclass(frozen=True)
class InboxRecord:
    """One row of the inbox, as read."""

    event_id: str
    kind: str | None
    subject_key: str | None
    occurred_at: datetime
    received_at: datetime
    source: str
    payload: dict[str, Any] | None
    raw_body: bytes | None
    status: Status
    attempts: int
    last_error: str | None
    next_attempt_at: datetime
    claimed_by: str | None
    lease_until: datetime | None
    updated_at: datetime

    @classmethod
    def from_row(cls, row: Row[Any]) -> InboxRecord:
        """Build a record from a selected row of ``inbox_events``."""
        return cls(**row._asdict())

    def event(self) -> Event:
        """The typed event; raises :class:`ValidationFailed` for a malformed (raw-only) row."""
        if self.payload is None:
            raise ValidationFailed(f"event {self.event_id} is malformed: {self.last_error}")
        try:
            return parse_event(self.payload)
        except ValidationError as exc:
            raise ValidationFailed(f"event {self.event_id} no longer parses: {exc}") from None

    def summary(self) -> dict[str, Any]:
        """A JSON-ready view for listings (no payload, no raw body)."""
        return {
            "event_id": self.event_id,
            "kind": self.kind,
            "subject_key": self.subject_key,
            "source": self.source,
            "status": self.status,
            "attempts": self.attempts,
            "occurred_at": self.occurred_at.isoformat(),
            "received_at": self.received_at.isoformat(),
            "next_attempt_at": self.next_attempt_at.isoformat(),
            "last_error": self.last_error,
        }


Reparser = Callable[[str, bytes], Event]
"""Turns a stored raw body from a source (``canvas``, ``bep``, ``ethos``...) into an event."""


def malformed_id(source: str, raw_body: bytes) -> str:
    """A stable id for a body that could not be parsed: the same bad body is stored once."""
    return f"malformed:{source}:{hashlib.sha256(raw_body).hexdigest()[:32]}"
