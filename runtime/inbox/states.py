"""The inbox's statuses, its state machine and its retry policy: the rules, with no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Literal, get_args

from core.errors import ValidationFailed

Status = Literal["received", "processing", "done", "failed", "dead"]
STATUSES: tuple[Status, ...] = get_args(Status)
Action = Literal["complete", "fail", "bury", "replay", "supersede"]
UNFINISHED: tuple[Status, ...] = ("received", "processing", "failed")


class InvalidTransition(ValidationFailed):
    """A status change the inbox does not allow (e.g. replaying an event being processed)."""


def transition(previous: Status, action: Action, *, exhausted: bool = False) -> Status:
    """The inbox's state machine: the status after ``action`` on a row in ``previous``.

    ``exhausted`` says the row has used its last attempt, so a failure buries it. ``supersede``
    closes a malformed row whose re-parsed event was stored under its own id. Completing or
    failing a row that another delivery already finished leaves it as it is: a duplicate message
    must never undo a finished event.
    """
    match (previous, action):
        case ("received" | "processing" | "failed", "complete"):
            return "done"
        case ("processing", "fail"):
            return "dead" if exhausted else "failed"
        case ("received" | "processing" | "failed", "bury"):
            return "dead"
        case ("done" | "dead", "complete" | "fail" | "bury"):
            return previous
        case ("received" | "failed", "fail"):
            return previous
        case ("failed" | "dead" | "done", "replay"):
            return "received"
        case ("dead", "supersede"):
            return "done"
        case _:
            raise InvalidTransition(f"cannot {action} an event that is {previous}")


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently a failing event is retried before it is dead."""

    max_attempts: int = 5
    base_delay: timedelta = timedelta(seconds=5)
    max_delay: timedelta = timedelta(hours=1)

    def delay(self, attempts: int) -> timedelta:
        """Backoff before the next attempt after ``attempts`` failed ones: base·2^(n-1), capped."""
        delay: timedelta = self.base_delay * (2 ** max(attempts - 1, 0))
        return min(delay, self.max_delay)
