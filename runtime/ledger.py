"""What runs left behind for people: each run's outcome and the person exceptions it raised.

The inbox says whether an event was processed; this says what came of it: ``done`` with its
figures, ``needs_person``, ``dead_letter``, and the :class:`agents.state.PersonException` records
(a student without a Canvas account, a cancelled section with students) that the dashboard's
exceptions queue lists. Rows are keyed by the run's thread, so recording the same run again
(a redelivered event, a resumed thread) replaces rather than repeats.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    bindparam,
    delete,
    insert,
    select,
)

from agents.state import Outcome, PersonException
from runtime.inbox import UtcDateTime

metadata = MetaData()

run_outcomes = Table(
    "run_outcomes",
    metadata,
    Column("thread_id", String(200), primary_key=True),
    Column("kind", String(80)),
    Column("status", String(20), nullable=False),
    Column("detail", Text, nullable=False),
    Column("figures", Text, nullable=False),
    Column("recorded_at", UtcDateTime, nullable=False),
)

person_exceptions = Table(
    "person_exceptions",
    metadata,
    Column("thread_id", String(200), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("kind", String(80), nullable=False),
    Column("detail", Text, nullable=False),
    Column("term", String(10)),
    Column("crn", String(10)),
    Column("pidm", Integer),
    Column("recorded_at", UtcDateTime, nullable=False),
)


_FORGET = [
    delete(table).where(table.c.thread_id == bindparam("thread"))
    for table in (run_outcomes, person_exceptions)
]
_INSERT_OUTCOME = insert(run_outcomes)
_INSERT_EXCEPTION = insert(person_exceptions)
# Built once: every event's run is recorded, and building statements cost more than running them.


@dataclass(frozen=True)
class ExceptionRow:
    """One person exception as the dashboard shows it."""

    thread_id: str
    kind: str
    detail: str
    term: str | None
    crn: str | None
    pidm: int | None
    recorded_at: datetime


class RunLedger:
    """Outcomes and person exceptions of runs, in the app database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        """Create the tables if missing."""
        metadata.create_all(self.engine)

    def record(
        self,
        thread_id: str,
        kind: str | None,
        outcome: Outcome,
        exceptions: list[PersonException],
    ) -> None:
        """Replace what is known of ``thread_id``'s run with this outcome and its exceptions."""
        now = datetime.now(UTC)
        with self.engine.begin() as conn:
            for forget in _FORGET:
                conn.execute(forget, {"thread": thread_id})
            conn.execute(
                _INSERT_OUTCOME,
                {
                    "thread_id": thread_id,
                    "kind": kind,
                    "status": outcome.status,
                    "detail": outcome.detail,
                    "figures": json.dumps(outcome.figures),
                    "recorded_at": now,
                },
            )
            if exceptions:
                conn.execute(
                    _INSERT_EXCEPTION,
                    [
                        {"thread_id": thread_id, "seq": n, "recorded_at": now, **e.model_dump()}
                        for n, e in enumerate(exceptions)
                    ],
                )

    def exceptions(self, limit: int = 200) -> list[ExceptionRow]:
        """The latest person exceptions, newest first."""
        t = person_exceptions
        query = select(t).order_by(t.c.recorded_at.desc(), t.c.thread_id, t.c.seq).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [ExceptionRow(**{k: v for k, v in row.items() if k != "seq"}) for row in rows]

    def figures(self, kind_prefix: str = "") -> dict[str, int]:
        """The figures of recorded runs (of kinds starting with ``kind_prefix``), summed."""
        t = run_outcomes
        query = select(t.c.figures).where(t.c.kind.startswith(kind_prefix))
        total: Counter[str] = Counter()
        with self.engine.connect() as conn:
            raws: list[str] = list(conn.execute(query).scalars())
        for raw in raws:
            total.update(json.loads(raw))
        return dict(total)
