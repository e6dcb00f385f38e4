"""The durable inbox: every event stored once, processed at least once, applied in subject order.

One table, ``inbox_events``, in the app database (SQLite embedded, PostgreSQL at scale). Intake
writes to it and answers its source only after the row is committed; workers claim from it. The
rules it keeps, so that handlers only have to be idempotent by event id:

- **Duplicates are absorbed**: the primary key is the event's stable id; a second insert is a no-op.
- **Per-subject event-time order**: an event is claimable only when no earlier event (by
  ``occurred_at``, then id) of the same ``subject_key`` is still unfinished (not done or dead).
  An event that arrives *after* a later one for its subject was already applied is still
  processed; handlers re-read the systems of record, so a late add after a drop is a defined case.
- **Leases**: a claim marks rows ``processing`` for ``claimed_by`` until ``lease_until``; a worker
  that dies leaves rows that become claimable again when the lease runs out.
- **Retries**: a failure schedules the next attempt with exponential backoff; after
  ``max_attempts`` the row is ``dead`` with the reason, and stays until someone replays it.
- **Malformed input is kept**: as a ``dead`` row with the raw body and the reason, replayable
  through a re-parser once the parser or the configuration is fixed.

Concurrency: claims use ``SELECT ... FOR UPDATE SKIP LOCKED`` on PostgreSQL, so any number of
workers share the table; on SQLite every write transaction starts with ``BEGIN IMMEDIATE``, the
database-wide write lock, which is enough for the embedded default's handful of threads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, get_args

from pydantic import ValidationError
from sqlalchemy import (
    JSON,
    Column,
    Connection,
    Engine,
    Executable,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    Row,
    String,
    Table,
    Text,
    and_,
    bindparam,
    exists,
    func,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from agents.events import Event, parse_event
from core.clock import utcnow
from core.db import UtcDateTime
from core.errors import BcaError, NotFoundError, ValidationFailed

Status = Literal["received", "processing", "done", "failed", "dead"]
STATUSES: tuple[Status, ...] = get_args(Status)
Action = Literal["complete", "fail", "bury", "replay", "supersede"]
UNFINISHED: tuple[Status, ...] = ("received", "processing", "failed")


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
_LOCK_ROW = select(inbox_events).where(inbox_events.c.event_id == bindparam("id")).with_for_update()
_SET_ROW = update(inbox_events).where(inbox_events.c.event_id == bindparam("id"))
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


_CANDIDATES, _CLAIM, _BURY_ABANDONED = _claim_statements()


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


class Inbox:
    """Keyword-only operations on ``inbox_events`` for one app database."""

    def __init__(
        self,
        engine: Engine,
        *,
        retry: RetryPolicy | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.engine = engine
        self.retry = retry or RetryPolicy()
        self._clock = clock
        self._sqlite = engine.dialect.name == "sqlite"

    def create_schema(self) -> None:
        """Create the inbox table and its indexes if missing."""
        metadata.create_all(self.engine, tables=[inbox_events], checkfirst=True)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        """A write transaction; on SQLite it takes the write lock up front (BEGIN IMMEDIATE).

        Without it, two SQLite writers that both read first fail with "database is locked"
        instead of waiting for each other.
        """
        with self.engine.connect() as conn:
            if self._sqlite:
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.rollback()
                raise
            conn.commit()

    def _insert(self) -> Any:
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        return dialect.insert(inbox_events)

    # -- intake ------------------------------------------------------------------------------

    def store(self, event: Event, *, source: str) -> bool:
        """Store one event; True if it is new, False if its id was already there."""
        return self.store_many([event], source=source) == 1

    def store_many(self, events: Iterable[Event], *, source: str) -> int:
        """Store events in one transaction; returns how many were new (the rest were duplicates)."""
        now = self._clock()
        rows: dict[str, dict[str, Any]] = {}
        for event in events:
            rows.setdefault(
                event.event_id,
                {
                    "event_id": event.event_id,
                    "kind": event.kind,
                    "subject_key": event.subject_key,
                    "occurred_at": event.occurred_at,
                    "received_at": now,
                    "source": source,
                    "payload": event.model_dump(mode="json"),
                    "raw_body": None,
                    "status": "received",
                    "attempts": 0,
                    "last_error": None,
                    "next_attempt_at": now,
                    "updated_at": now,
                },
            )
        if not rows:
            return 0
        stmt = self._insert().on_conflict_do_nothing().returning(inbox_events.c.event_id)
        with self._write() as conn:
            return len(conn.execute(stmt, list(rows.values())).all())

    def store_malformed(self, *, source: str, raw_body: bytes, reason: str) -> str:
        """Keep a body that could not be parsed as a dead row with the reason; returns its id."""
        now = self._clock()
        event_id = malformed_id(source, raw_body)
        row = {
            "event_id": event_id,
            "kind": None,
            "subject_key": None,
            "occurred_at": now,
            "received_at": now,
            "source": source,
            "payload": None,
            "raw_body": raw_body,
            "status": "dead",
            "attempts": 0,
            "last_error": reason,
            "next_attempt_at": now,
            "updated_at": now,
        }
        with self._write() as conn:
            conn.execute(self._insert().on_conflict_do_nothing(), row)
        return event_id

    # -- workers -----------------------------------------------------------------------------

    def claim(self, worker_id: str, *, limit: int = 1, lease: timedelta) -> list[InboxRecord]:
        """Claim up to ``limit`` due events whose subject has nothing earlier unfinished.

        Due means received or failed with ``next_attempt_at`` passed, or processing with an
        expired lease (its worker died). Each claim counts as an attempt; a row whose lease ran
        out on its last attempt is buried instead of being claimed again.
        """
        now = self._clock()
        with self._write() as conn:
            conn.execute(_BURY_ABANDONED, {"now": now, "max_attempts": self.retry.max_attempts})
            ids: list[str] = list(conn.execute(_CANDIDATES, {"now": now, "n": limit}).scalars())
            if not ids:
                return []
            rows = conn.execute(
                _CLAIM, {"ids": ids, "by": worker_id, "until": now + lease, "now": now}
            ).all()
        records = [InboxRecord.from_row(row) for row in rows]
        return sorted(records, key=lambda r: (r.occurred_at, r.event_id))

    def _change(
        self, event_id: str, action: Action, *, error: str | None = None
    ) -> tuple[InboxRecord, Status]:
        """Apply ``action`` to one row under a row lock; returns the row before and the status."""
        now = self._clock()
        with self._write() as conn:
            row = conn.execute(_LOCK_ROW, {"id": event_id}).one_or_none()
            if row is None:
                raise NotFoundError("inbox event", event_id=event_id)
            before = InboxRecord.from_row(row)
            exhausted = before.attempts >= self.retry.max_attempts
            status = transition(before.status, action, exhausted=exhausted)
            if status == before.status and action != "replay":
                return before, status
            values: dict[str, Any] = {"status": status, "updated_at": now}
            match status:
                case "done" | "dead":
                    values.update(claimed_by=None, lease_until=None)
                    if error is not None:
                        values["last_error"] = error
                case "failed":
                    values.update(
                        claimed_by=None,
                        lease_until=None,
                        last_error=error,
                        next_attempt_at=now + self.retry.delay(before.attempts),
                    )
                case "received":
                    values.update(attempts=0, next_attempt_at=now)
            conn.execute(_SET_ROW, {"id": event_id, **values})
        return before, status

    def complete(self, event_id: str) -> Status:
        """Mark an event done after its effect happened; a finished row stays as it is."""
        return self._change(event_id, "complete")[1]

    def fail(self, event_id: str, error: str) -> Status:
        """Record a failed attempt: retry later with backoff, or dead after the last attempt."""
        return self._change(event_id, "fail", error=error)[1]

    def bury(self, event_id: str, reason: str) -> Status:
        """Mark an event dead now (a permanent failure), keeping the reason."""
        return self._change(event_id, "bury", error=reason)[1]

    # -- people ------------------------------------------------------------------------------

    def replay(self, event_id: str, *, reparse: Reparser | None = None) -> str:
        """Run a failed, dead or done event again; returns the id that will be processed.

        A malformed row has no payload: ``reparse`` turns its raw body into an event with the
        current code, the event is stored under its own stable id (so a later redelivery of the
        same body still dedupes), and the malformed row is marked done with a pointer to it.
        """
        record = self.get(event_id)
        if record.payload is not None:
            self._change(event_id, "replay")
            return event_id
        if reparse is None or record.raw_body is None:
            raise ValidationFailed(f"event {event_id} is malformed and has no re-parser to replay")
        try:
            event = reparse(record.source, record.raw_body)
        except (BcaError, ValidationError) as exc:
            reason = str(exc).splitlines()[0]
            raise ValidationFailed(f"event {event_id} is still malformed: {reason}") from None
        self.store(event, source=record.source)
        if self.get(event.event_id).status in ("dead", "failed"):
            self._change(event.event_id, "replay")
        self._change(event_id, "supersede", error=f"replayed as {event.event_id}")
        return event.event_id

    def get(self, event_id: str) -> InboxRecord:
        """One row by id; raises :class:`NotFoundError`."""
        record = self.find(event_id)
        if record is None:
            raise NotFoundError("inbox event", event_id=event_id)
        return record

    def find(self, event_id: str) -> InboxRecord | None:
        """One row by id, or None."""
        with self.engine.connect() as conn:
            row = conn.execute(
                select(inbox_events).where(inbox_events.c.event_id == event_id)
            ).one_or_none()
        return None if row is None else InboxRecord.from_row(row)

    def list_events(
        self,
        *,
        statuses: Sequence[Status] = (),
        kind: str | None = None,
        subject_key: str | None = None,
        source: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[InboxRecord]:
        """Rows matching every given filter, newest first."""
        e = inbox_events
        query = select(e).order_by(e.c.received_at.desc(), e.c.event_id).limit(limit)
        if statuses:
            query = query.where(e.c.status.in_(statuses))
        if kind:
            query = query.where(e.c.kind == kind)
        if subject_key:
            query = query.where(e.c.subject_key == subject_key)
        if source:
            query = query.where(e.c.source == source)
        with self.engine.connect() as conn:
            rows = conn.execute(query.offset(offset)).all()
        return [InboxRecord.from_row(row) for row in rows]

    def counts(self) -> dict[Status, int]:
        """How many events are in each status (every status present, zero included)."""
        e = inbox_events
        with self.engine.connect() as conn:
            found: dict[str, int] = dict(
                conn.execute(select(e.c.status, func.count()).group_by(e.c.status)).all()
            )
        return {status: int(found.get(status, 0)) for status in STATUSES}
