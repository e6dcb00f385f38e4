"""The deliverer: posts what the outbox holds, at least once, retrying with backoff.

One pass (:meth:`Deliverer.deliver`, ``bca notify deliver``) first runs the sweeps (the inbox's
new dead events become messages), then, per channel, posts every due row: one post per message,
or for a channel in digest mode one post for all its pending messages once the oldest has waited
``digest_seconds``. A post that fails leaves its rows pending with a later ``next_attempt_at``
(the inbox's :class:`RetryPolicy`: doubling, capped at an hour) or dead after its last attempt;
no failure escapes a pass, so the loop inside ``bca worker`` and ``bca up``
(:meth:`Deliverer.run`) keeps going whatever a channel does.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from core.clock import utcnow
from core.settings import NotifyChannel, Settings
from runtime.inbox import RetryPolicy
from runtime.notify.channels import DeliveryFailed, post
from runtime.notify.models import Message
from runtime.notify.outbox import Delivery, Outbox

log = logging.getLogger(__name__)

Sweep = Callable[[datetime], int]
"""Finds facts outside any run (dead inbox events) and enqueues their messages; returns how many."""


@dataclass
class Pass:
    """What one delivery pass did, in rows."""

    swept: int = 0
    sent: int = 0
    retrying: int = 0
    dead: int = 0

    def line(self) -> str:
        """The pass as one line for the CLI."""
        return f"swept {self.swept}, sent {self.sent}, retrying {self.retrying}, dead {self.dead}"


@dataclass
class Deliverer:
    """Posts the outbox's due rows to the configured channels."""

    outbox: Outbox
    channels: Sequence[NotifyChannel]
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    timeout: float = 5.0
    interval: float = 10.0
    sweeps: Sequence[Sweep] = ()
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def from_settings(
        cls, settings: Settings, outbox: Outbox, sweeps: Sequence[Sweep] = ()
    ) -> Deliverer:
        """A deliverer over ``outbox`` with the ``BCA_NOTIFY_*`` channels and limits."""
        return cls(
            outbox,
            settings.notify_channels,
            retry=RetryPolicy(
                max_attempts=settings.notify_max_attempts,
                base_delay=timedelta(seconds=settings.notify_backoff_seconds),
            ),
            timeout=settings.notify_timeout_seconds,
            interval=settings.notify_interval_seconds,
            sweeps=sweeps,
        )

    def _batches(self, channel: NotifyChannel, now: datetime) -> list[list[Delivery]]:
        due = self.outbox.due(channel.name, now)
        if not channel.digest_seconds or not due:
            return [[d] for d in due]
        retried = any(d.attempts for d in due)
        if not retried and min(d.created_at for d in due) > now - timedelta(
            seconds=channel.digest_seconds
        ):
            return []  # the digest's interval has not run out yet
        return [due]

    def _send(self, channel: NotifyChannel, batch: list[Delivery], done: Pass) -> None:
        messages: list[Message] = [d.message for d in batch]
        try:
            post(channel, messages, timeout=self.timeout)
        except DeliveryFailed as exc:
            reason = str(exc)
            statuses = self.outbox.failed(batch, reason, self.clock(), self.retry)
            done.dead += statuses.count("dead")
            done.retrying += statuses.count("pending")
            log.warning("notify channel %s: %s (%d messages)", channel.name, reason, len(batch))
            return
        self.outbox.sent([d.id for d in batch], self.clock())
        done.sent += len(batch)

    def deliver(self) -> Pass:
        """One pass: sweep, then post everything due on every channel."""
        done = Pass()
        for sweep in self.sweeps:
            done.swept += sweep(self.clock())
        for channel in self.channels:
            for batch in self._batches(channel, self.clock()):
                self._send(channel, batch, done)
        return done

    def run(self, stop: threading.Event) -> None:
        """Deliver every ``interval`` seconds until ``stop``; a pass that breaks is logged."""
        while not stop.is_set():
            try:
                self.deliver()
            except Exception:  # the database away for a moment must not end the loop for good
                log.exception("notification delivery pass failed; trying again")
            stop.wait(self.interval)
