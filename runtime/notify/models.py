"""What an operations notification is: a rule's name, a title and facts, counts and CRNs only.

Messages leave the machine (a Slack workspace, a Teams channel, a mailbox), so they are built
from counts, term codes, CRNs and course labels; never from a student's name, Banner ID, PIDM or
e-mail. Each has a stable id, derived from what it reports (a run's thread, an event id), so a
message derived twice (a redelivered event, a resumed run) is stored and posted once, and the
id sent as the ``Idempotency-Key`` lets a receiver treat repeats of a post as one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.settings import NotifyRule


class Message(BaseModel):
    """One notification: ``facts`` are (label, value) pairs shown as a table or a list."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(max_length=200, description="Stable: the same fact gives the same id.")
    rule: NotifyRule | Literal["test"]
    title: str
    facts: list[tuple[str, str]] = Field(default_factory=list)
    at: datetime = Field(description="When the fact happened (UTC).")

    def text(self) -> str:
        """The message as plain text: the title, then one ``label: value`` line per fact."""
        lines = [self.title, *(f"{label}: {value}" for label, value in self.facts)]
        lines.append(f"at: {self.at.isoformat(timespec='seconds')}")
        return "\n".join(lines)


def stable_id(rule: str, *parts: str) -> str:
    """A message id from what it reports, hashed: thread and event ids may embed identifiers."""
    digest = hashlib.sha256("\x1f".join(parts).encode()).hexdigest()[:32]
    return f"{rule}:{digest}"


def batch_key(messages: Sequence[Message]) -> str:
    """The idempotency key of one post: the message id, or a hash of a digest's ids."""
    if len(messages) == 1:
        return messages[0].id
    ids = "\n".join(sorted(m.id for m in messages))
    return "digest:" + hashlib.sha256(ids.encode()).hexdigest()[:32]
