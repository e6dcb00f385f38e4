"""Operations notifications: facts from runs and the inbox, posted to Slack, Teams or e-mail.

The pipeline hands each recorded run to :meth:`Notifier.observe`, which derives the messages
(:mod:`runtime.notify.rules`) and only inserts them into the outbox (:mod:`runtime.notify.outbox`):
a run never waits for, nor fails because of, a channel. The :class:`Deliverer` posts them at
least once (:mod:`runtime.notify.delivery`, in ``bca worker`` and ``bca up`` or one pass with
``bca notify deliver``), each post carrying a stable ``Idempotency-Key``. ``bca notify-sink``
(:mod:`runtime.notify.sink`) is a local receiver for the sandbox and the tests.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine

from agents.approvals import PendingApproval
from core.clock import utcnow
from core.settings import NotifyChannel, Settings
from policies.rbac import Approval, Policy, Role
from runtime.inbox import Inbox
from runtime.notify.delivery import Deliverer, Pass
from runtime.notify.models import Message
from runtime.notify.outbox import Delivery, Outbox
from runtime.notify.rules import HeldByShare, dead_event_messages, run_messages


def held_by_share(policy: Policy) -> HeldByShare:
    """Whether a role's grant of a tool is ``above_threshold``: its pause is the mass-drop guard."""

    def held(role: Role, tool: str) -> bool:
        grant = policy.grant(role, tool)
        return grant is not None and grant.approval is Approval.ABOVE_THRESHOLD

    return held


@dataclass
class Notifier:
    """Derives messages and stores them in the outbox for the configured channels."""

    outbox: Outbox
    channels: Sequence[NotifyChannel]
    held: HeldByShare
    clock: Callable[[], datetime] = utcnow

    @classmethod
    def from_settings(cls, settings: Settings, engine: Engine, policy: Policy) -> Notifier:
        """The notifier over the app database's outbox (its tables created)."""
        return cls(outbox_in(engine), settings.notify_channels, held_by_share(policy))

    def observe(
        self, thread: str, values: Mapping[str, Any], waiting: Sequence[PendingApproval]
    ) -> int:
        """Store the messages a recorded run gives; returns the rows new to the outbox."""
        now = self.clock()
        return self.outbox.enqueue(
            run_messages(thread, values, waiting, self.held, now), self.channels, now
        )


def outbox_in(engine: Engine) -> Outbox:
    """The app database's outbox, its tables (and the inbox's, which the sweep reads) created."""
    outbox = Outbox(engine)
    outbox.create_schema()
    Inbox(engine).create_schema()
    return outbox


def deliverer(settings: Settings, engine: Engine) -> Deliverer:
    """The configured deliverer of the app database's outbox, sweeping its newly dead events."""
    outbox = outbox_in(engine)
    channels = settings.notify_channels

    def sweep_dead(now: datetime) -> int:
        return outbox.enqueue(dead_event_messages(outbox, now), channels, now)

    return Deliverer.from_settings(settings, outbox, sweeps=[sweep_dead])


def start_delivery(settings: Settings, stop: threading.Event) -> threading.Thread | None:
    """The deliverer as a background thread of ``bca worker`` and ``bca up``, until ``stop``.

    None when no channel is configured: nothing is stored for delivery then.
    """
    if not settings.notify_channels:
        return None
    from core.db import make_engine

    loop = deliverer(settings, make_engine(settings.database_url, check=False))
    thread = threading.Thread(target=loop.run, args=(stop,), name="bca-notify", daemon=True)
    thread.start()
    return thread


__all__ = [
    "Deliverer",
    "Delivery",
    "Message",
    "Notifier",
    "Outbox",
    "Pass",
    "deliverer",
    "held_by_share",
    "outbox_in",
    "start_delivery",
]
