"""Event builders, an effect-recording handler and broker clean-up for the runtime tests."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import aio_pika
from sqlalchemy import (
    Column,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    func,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite

from agents.events import Event, RegistrationAdded, RegistrationDropped
from runtime.worker import Outcome

T0 = datetime(2026, 1, 12, 9, 0, tzinfo=UTC)


def reg(n: int, *, pidm: int = 1, minutes: int = 0, dropped: bool = False) -> Event:
    kind = RegistrationDropped if dropped else RegistrationAdded
    return kind(
        event_id=f"e{n}",
        occurred_at=T0 + timedelta(minutes=minutes),
        term_code="202610",
        crn="10001",
        pidm=pidm,
    )


effects_meta = MetaData()
effects = Table(
    "effects",
    effects_meta,
    Column("event_id", String(200), primary_key=True),
    Column("subject_key", String(255), nullable=False),
    Column("occurred_at", DateTime, nullable=False),
    Column("seq", Integer, nullable=False),
)


class CountingHandler:
    """Records each event's effect once (idempotent by event id) with a global apply sequence."""

    def __init__(self, url: str | None = None, delay: float | None = None) -> None:
        self.url = url or os.environ["BCA_DATABASE_URL"]
        self.delay = (
            float(os.environ.get("BCA_TEST_HANDLER_DELAY", "0")) if delay is None else delay
        )
        self.engine = create_engine(self.url)
        effects_meta.create_all(self.engine, checkfirst=True)
        self.calls = 0
        self._lock = threading.Lock()

    def handle(self, event: Event) -> Outcome:
        with self._lock:
            self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        with self.engine.begin() as conn:
            seq = conn.execute(select(func.count()).select_from(effects)).scalar_one()
            conn.execute(
                dialect.insert(effects)
                .values(
                    event_id=event.event_id,
                    subject_key=event.subject_key,
                    occurred_at=event.occurred_at.replace(tzinfo=None),
                    seq=seq,
                )
                .on_conflict_do_nothing()
            )
        return Outcome.done()


def assert_applied_once_in_subject_order(engine: Engine, events: Sequence[Event]) -> None:
    """Each of ``events`` has exactly one effect, and a subject's effects follow event order.

    Event ids are ``e<n>`` with ``n`` growing with event time (see :func:`reg`).
    """
    with engine.connect() as conn:
        rows = conn.execute(select(effects.c.event_id, effects.c.subject_key, effects.c.seq)).all()
    assert sorted(r.event_id for r in rows) == sorted(e.event_id for e in events)
    for subject in {r.subject_key for r in rows}:
        mine = sorted((r for r in rows if r.subject_key == subject), key=lambda r: r.seq)
        assert [int(r.event_id[1:]) for r in mine] == sorted(int(r.event_id[1:]) for r in mine)


async def delete_queues(broker_url: str, prefix: str) -> None:
    """Remove a test fleet's work and dead-letter queues and exchanges from RabbitMQ."""
    connection = await aio_pika.connect(broker_url)
    async with connection:
        channel = await connection.channel()
        for name in (f"{prefix}.work", f"{prefix}.dead"):
            await channel.queue_delete(name)
            await channel.exchange_delete(name)
