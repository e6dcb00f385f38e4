"""The ``inbox_events`` table, its indexes, and the statements every claim and completion runs.

The statements are built once at import: every event is claimed and completed through them,
and building a statement cost more than running it.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Column,
    Executable,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    and_,
    bindparam,
    exists,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql

from core.db import UtcDateTime
from runtime.inbox.states import UNFINISHED

metadata = MetaData()

inbox_events = Table(
    "inbox_events",
    metadata,
    Column("event_id", String(200), primary_key=True),
    Column("kind", String(64)),
    Column("subject_key", String(255)),
    Column("occurred_at", UtcDateTime, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    Column("source", String(32), nullable=False),
    Column("payload", JSON().with_variant(postgresql.JSONB(), "postgresql")),
    Column("raw_body", LargeBinary),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("last_error", Text),
    Column("next_attempt_at", UtcDateTime, nullable=False),
    Column("claimed_by", String(120)),
    Column("lease_until", UtcDateTime),
    Column("updated_at", UtcDateTime, nullable=False),
    Index("ix_inbox_events_subject", "subject_key", "occurred_at", "event_id"),
)
# Claims walk unfinished rows in event-time order; a partial index keeps that walk off the
# (ever-growing) finished rows on both backends. The statuses are rendered as literals because
# SQLite only uses a partial index when the query repeats its condition with constants.
_unfinished = inbox_events.c.status.in_([literal_column(f"'{s}'") for s in UNFINISHED])
Index(
    "ix_inbox_events_pending",
    inbox_events.c.occurred_at,
    inbox_events.c.event_id,
    postgresql_where=_unfinished,
    sqlite_where=_unfinished,
)
LOCK_ROW = select(inbox_events).where(inbox_events.c.event_id == bindparam("id")).with_for_update()
SET_ROW = update(inbox_events).where(inbox_events.c.event_id == bindparam("id"))
"""One row by id, locked / updated with the columns given as parameters. Built once: every event
is completed through them, and building statements cost more than running them."""


def _claim_statements() -> tuple[Executable, Executable, Executable]:
    """The statements of :meth:`Inbox.claim`, built once (a claim runs every few events)."""
    e = inbox_events
    now = bindparam("now", type_=UtcDateTime())
    earlier = e.alias("earlier")
    blocked = exists().where(
        earlier.c.subject_key == e.c.subject_key,
        earlier.c.status.in_(UNFINISHED),
        or_(
            earlier.c.occurred_at < e.c.occurred_at,
            and_(earlier.c.occurred_at == e.c.occurred_at, earlier.c.event_id < e.c.event_id),
        ),
    )
    due = or_(
        and_(e.c.status.in_(("received", "failed")), e.c.next_attempt_at <= now),
        and_(e.c.status == "processing", e.c.lease_until < now),
    )
    candidates = (
        select(e.c.event_id)
        .where(_unfinished, due, ~blocked)
        .order_by(e.c.occurred_at, e.c.event_id)
        .limit(bindparam("n", type_=Integer()))
        .with_for_update(skip_locked=True, of=e)
    )
    claim = (
        update(e)
        .where(e.c.event_id.in_(bindparam("ids", expanding=True)))
        .values(
            status="processing",
            attempts=e.c.attempts + 1,
            claimed_by=bindparam("by"),
            lease_until=bindparam("until", type_=UtcDateTime()),
            updated_at=now,
        )
        .returning(*e.c)
    )
    bury = (
        update(e)
        .where(
            _unfinished,
            e.c.status == "processing",
            e.c.lease_until < now,
            e.c.attempts >= bindparam("max_attempts", type_=Integer()),
        )
        .values(
            status="dead",
            last_error="lease expired on the last allowed attempt "
            "(the worker died or the handler hung)",
            claimed_by=None,
            lease_until=None,
            updated_at=now,
        )
    )
    return candidates, claim, bury


CANDIDATES, CLAIM, BURY_ABANDONED = _claim_statements()
