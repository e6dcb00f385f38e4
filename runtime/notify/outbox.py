"""The outbox: every notification stored first, in the app database, then posted by a deliverer.

One row per (channel, message). The workflow only inserts (:meth:`Outbox.enqueue`: idempotent
by the message's stable id, no network), so a channel that is down never blocks nor fails a
run; the deliverer (:mod:`runtime.notify.delivery`) posts what is due, retries a failure with
exponential backoff (``next_attempt_at``) and marks the row ``dead`` with the last reason after
the last allowed attempt. ``notify_cursors`` keeps how far the dead-event sweep has read the
inbox. Both tables are created like the inbox's and the ledger's: ``create_all`` if missing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import (
    Column,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from core.db import UtcDateTime
from core.settings import NotifyChannel
from runtime.inbox import RetryPolicy
from runtime.notify.models import Message

metadata = MetaData()

notify_outbox = Table(
    "notify_outbox",
    metadata,
    Column("id", String(250), primary_key=True),
    Column("message_id", String(200), nullable=False),
    Column("channel", String(40), nullable=False),
    Column("rule", String(40), nullable=False),
    Column("body", Text, nullable=False),
    Column("status", String(10), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("last_error", Text),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime),
    Index("ix_notify_outbox_due", "channel", "status", "next_attempt_at"),
)

notify_cursors = Table(
    "notify_cursors",
    metadata,
    Column("name", String(40), primary_key=True),
    Column("at", UtcDateTime, nullable=False),
)

DeliveryStatus = Literal["pending", "sent", "dead"]
DELIVERY_STATUSES: tuple[DeliveryStatus, ...] = ("pending", "sent", "dead")


@dataclass(frozen=True)
class Delivery:
    """One message for one channel, as the outbox holds it."""

    id: str
    channel: str
    status: DeliveryStatus
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None
    message: Message

    @classmethod
    def from_row(cls, row: Any) -> Delivery:
        """A ``notify_outbox`` row, its body parsed back into a :class:`Message`."""
        return cls(
            id=row.id,
            channel=row.channel,
            status=row.status,
            attempts=row.attempts,
            next_attempt_at=row.next_attempt_at,
            last_error=row.last_error,
            created_at=row.created_at,
            sent_at=row.sent_at,
            message=Message.model_validate_json(row.body),
        )


def takes(channel: NotifyChannel, message: Message) -> bool:
    """Whether ``channel`` posts messages of ``message``'s rule (no rules listed: all)."""
    return not channel.rules or message.rule in channel.rules


class Outbox:
    """Keyword-light operations on ``notify_outbox`` for one app database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        """Create the outbox and cursor tables if missing."""
        metadata.create_all(self.engine, checkfirst=True)

    def enqueue(
        self, messages: Iterable[Message], channels: Sequence[NotifyChannel], now: datetime
    ) -> int:
        """Store each message once per channel that takes it; returns the rows new to the outbox.

        A message already stored (same id, same channel) is left as it is, sent or not: this is
        what makes deriving a message twice harmless.
        """
        rows = [
            {
                "id": f"{channel.name}|{message.id}",
                "message_id": message.id,
                "channel": channel.name,
                "rule": message.rule,
                "body": message.model_dump_json(),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for message in messages
            for channel in channels
            if takes(channel, message)
        ]
        if not rows:
            return 0
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(notify_outbox)
            .on_conflict_do_nothing(index_elements=["id"])
            .returning(notify_outbox.c.id)
        )
        with self.engine.begin() as conn:
            return len(conn.execute(statement, rows).all())

    def due(self, channel: str, now: datetime, limit: int = 50) -> list[Delivery]:
        """Pending rows of ``channel`` whose next attempt is due, oldest first."""
        t = notify_outbox
        query = (
            select(t)
            .where(t.c.channel == channel, t.c.status == "pending", t.c.next_attempt_at <= now)
            .order_by(t.c.created_at, t.c.id)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [Delivery.from_row(row) for row in conn.execute(query)]

    def sent(self, ids: Sequence[str], now: datetime) -> None:
        """The channel accepted these rows."""
        statement = update(notify_outbox).where(notify_outbox.c.id.in_(ids))
        with self.engine.begin() as conn:
            conn.execute(
                statement.values(status="sent", attempts=notify_outbox.c.attempts + 1, sent_at=now)
            )

    def failed(
        self,
        deliveries: Sequence[Delivery],
        reason: str,
        now: datetime,
        retry: RetryPolicy,
    ) -> list[DeliveryStatus]:
        """One more failed attempt each: retried after the policy's backoff, or dead at its last."""
        statuses: list[DeliveryStatus] = []
        with self.engine.begin() as conn:
            for delivery in deliveries:
                attempts = delivery.attempts + 1
                status: DeliveryStatus = "dead" if attempts >= retry.max_attempts else "pending"
                conn.execute(
                    update(notify_outbox)
                    .where(notify_outbox.c.id == delivery.id)
                    .values(
                        status=status,
                        attempts=attempts,
                        last_error=reason[:1000],
                        next_attempt_at=now + retry.delay(attempts),
                    )
                )
                statuses.append(status)
        return statuses

    def list(self, *, dead: bool = False, limit: int = 100) -> list[Delivery]:
        """Rows newest first; with ``dead`` only those that gave up."""
        t = notify_outbox
        query = select(t).order_by(t.c.created_at.desc(), t.c.id).limit(limit)
        if dead:
            query = query.where(t.c.status == "dead")
        with self.engine.connect() as conn:
            return [Delivery.from_row(row) for row in conn.execute(query)]

    def counts(self) -> dict[DeliveryStatus, int]:
        """How many rows are pending, sent and dead (zeros included)."""
        t = notify_outbox
        with self.engine.connect() as conn:
            query = select(t.c.status, func.count()).group_by(t.c.status)
            found: dict[str, int] = {str(r[0]): int(r[1]) for r in conn.execute(query).all()}
        return {s: found.get(s, 0) for s in DELIVERY_STATUSES}

    def cursor(self, name: str) -> datetime | None:
        """Where the sweep called ``name`` stopped reading, or None before its first pass."""
        query = select(notify_cursors.c.at).where(notify_cursors.c.name == name)
        with self.engine.connect() as conn:
            at: datetime | None = conn.execute(query).scalar_one_or_none()
        return at

    def move_cursor(self, name: str, at: datetime) -> None:
        """Remember that the sweep ``name`` has read everything up to ``at``."""
        with self.engine.begin() as conn:
            moved = conn.execute(
                update(notify_cursors).where(notify_cursors.c.name == name).values(at=at)
            ).rowcount
            if not moved:
                conn.execute(notify_cursors.insert(), {"name": name, "at": at})
