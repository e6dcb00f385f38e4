"""The circuit breaker: after N consecutive failed model calls, template mode for a cool-down.

It is a pure function of the newest attempts in the :class:`~agents.drafting.records.DraftLog`,
so every process that shares the log (worker processes, the API) agrees on it, and ``/health``
can show the state without asking a worker. After the cool-down the next draft tries the model
again (half-open); one more failure reopens it at once, since the newest attempts are still
all failures.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict

from agents.drafting.records import DraftRecord


class BreakerPolicy(BaseModel):
    """When the breaker opens and for how long."""

    model_config = ConfigDict(frozen=True)

    failures: int = 5
    cooldown: timedelta = timedelta(seconds=60)


class BreakerState(BaseModel):
    """Whether drafts skip the model right now, and until when."""

    model_config = ConfigDict(frozen=True)

    open: bool
    until: datetime | None = None
    consecutive_failures: int = 0


def breaker_state(
    newest_attempts: Sequence[DraftRecord], now: datetime, policy: BreakerPolicy
) -> BreakerState:
    """The state the newest attempts (newest first) put the breaker in at ``now``."""
    streak = 0
    for record in newest_attempts:
        if not record.failed:
            break
        streak += 1
    if streak < policy.failures:
        return BreakerState(open=False, consecutive_failures=streak)
    until = newest_attempts[0].at + policy.cooldown
    return BreakerState(open=now < until, until=until, consecutive_failures=streak)
