"""Drafts recorded in the app database: one row per draft, shared by every process.

The worker processes and the API of a deployment write and read one table, so their circuit
breaker is one (a model outage sends every process to template mode at once, and ``/health``
shows it) and ``/metrics`` and the demo summary count every process's calls.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Literal

from pydantic import BaseModel
from sqlalchemy import (
    Boolean,
    Column,
    Engine,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
)

from agents.drafting import DraftRecord, breaker_policy, breaker_state
from core.clock import utcnow
from core.db import UtcDateTime
from core.settings import Settings

metadata = MetaData()

model_calls = Table(
    "model_calls",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
    Column("prompt_ref", String(80), nullable=False),
    Column("model", String(200)),
    Column("outcome", String(40), nullable=False),
    Column("attempted", Boolean, nullable=False),
    Column("failed", Boolean, nullable=False),
    Column("tokens_in", Integer, nullable=False),
    Column("tokens_out", Integer, nullable=False),
    Column("latency_ms", Float, nullable=False),
    Index("ix_model_calls_attempted", "attempted", "id"),
)

_COLUMNS = [c for c in model_calls.c if c.name != "id"]
_INSERT = insert(model_calls)
_RECENT = (
    select(*_COLUMNS)
    .where(model_calls.c.attempted.is_(True))
    .order_by(model_calls.c.id.desc())
    .limit(bindparam("n"))
)


class SqlDraftLog:
    """The :class:`agents.drafting.DraftLog` of a deployment."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        """Create the table if missing."""
        metadata.create_all(self.engine, checkfirst=True)

    def record(self, entry: DraftRecord) -> None:
        """Keep one draft's record."""
        with self.engine.begin() as conn:
            conn.execute(_INSERT, entry.model_dump())

    def recent_attempts(self, limit: int) -> list[DraftRecord]:
        """The newest ``limit`` drafts that called the model, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(_RECENT, {"n": limit}).all()
        return [DraftRecord.model_validate(row._asdict()) for row in rows]

    def newest(self, limit: int) -> list[DraftRecord]:
        """The newest ``limit`` records (drafts of any kind), oldest first."""
        query = select(*_COLUMNS).order_by(model_calls.c.id.desc()).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return [DraftRecord.model_validate(row._asdict()) for row in reversed(rows)]

    def since(self, start: datetime | None = None) -> Iterator[DraftRecord]:
        """Every record (from ``start`` on), oldest first: what figures are made from."""
        query = select(*_COLUMNS).order_by(model_calls.c.id)
        if start is not None:
            query = query.where(model_calls.c.at >= start)
        with self.engine.connect() as conn:
            for row in conn.execute(query):
                yield DraftRecord.model_validate(row._asdict())


class DrafterStatus(BaseModel):
    """What ``/health`` says of drafting: who writes drafts right now, and why."""

    mode: Literal["template", "model", "cooling_down"]
    model: str | None
    until: datetime | None = None
    consecutive_failures: int = 0


def drafter_status(settings: Settings, log: SqlDraftLog) -> DrafterStatus:
    """Template mode (no model), the model, or template mode while the breaker cools down."""
    if not settings.model:
        return DrafterStatus(mode="template", model=None)
    policy = breaker_policy(settings)
    state = breaker_state(log.recent_attempts(policy.failures), utcnow(), policy)
    return DrafterStatus(
        mode="cooling_down" if state.open else "model",
        model=settings.model,
        until=state.until if state.open else None,
        consecutive_failures=state.consecutive_failures,
    )
