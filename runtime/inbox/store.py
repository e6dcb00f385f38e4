"""Keyword-only operations on ``inbox_events``: store, claim, complete, fail, replay, list."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite

from agents.events import Event
from core.clock import utcnow
from core.errors import BcaError, NotFoundError, ValidationFailed
from runtime.inbox.records import InboxRecord, Reparser, malformed_id
from runtime.inbox.states import STATUSES, Action, RetryPolicy, Status, transition
from runtime.inbox.table import (
    BURY_ABANDONED,
    CANDIDATES,
    CLAIM,
    LOCK_ROW,
    SET_ROW,
    inbox_events,
    metadata,
)


def redacted(reason: str) -> str:
    """A failure's text as the inbox keeps it: no identifier, no name.

    The row outlives the event by months and is read by operators who are not entitled to the
    student's record: an exception quoting a Canvas error or a validation error quoting the
    body (``input_value='jane.doe@...'``) would put one there. The event id leads to the rest.
    """
    from policies.pii.logs import with_names  # Presidio: seconds, on the first failure only

    return with_names().scrub(reason)


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
            "last_error": redacted(reason),
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
            conn.execute(BURY_ABANDONED, {"now": now, "max_attempts": self.retry.max_attempts})
            ids: list[str] = list(conn.execute(CANDIDATES, {"now": now, "n": limit}).scalars())
            if not ids:
                return []
            rows = conn.execute(
                CLAIM, {"ids": ids, "by": worker_id, "until": now + lease, "now": now}
            ).all()
        records = [InboxRecord.from_row(row) for row in rows]
        return sorted(records, key=lambda r: (r.occurred_at, r.event_id))

    def _change(
        self, event_id: str, action: Action, *, error: str | None = None
    ) -> tuple[InboxRecord, Status]:
        """Apply ``action`` to one row under a row lock; returns the row before and the status."""
        now = self._clock()
        error = None if error is None else redacted(error)
        with self._write() as conn:
            row = conn.execute(LOCK_ROW, {"id": event_id}).one_or_none()
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
            conn.execute(SET_ROW, {"id": event_id, **values})
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
