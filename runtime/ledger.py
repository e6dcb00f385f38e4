"""What runs left behind for people: each run's outcome and the person exceptions it raised.

The inbox says whether an event was processed; this says what came of it: ``done`` with its
figures, ``needs_person``, ``dead_letter``, and the :class:`agents.state.PersonException` records
(a student without a Canvas account, a cancelled section with students) that the dashboard's
exceptions queue lists. Rows are keyed by the run's thread, so recording the same run again
(a redelivered event, a resumed thread) replaces rather than repeats.

It also indexes the runs that are paused for a person (``paused_runs``): a row is written when a
run pauses and removed when the run's outcome is recorded, so the approval queue reads only the
threads that may be waiting instead of every thread the checkpointer ever held. The index is a
hint, never the truth: what a thread waits for is still read from its checkpoint, so a row left
behind (a resume that failed, a race with a backfill) costs one state read and lists nothing.
Databases from before the index get it filled once from the checkpointer
(:meth:`RunLedger.backfill_paused`, pending while ``ledger_backfills`` says so).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

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
    inspect,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from agents.state import Outcome, PersonException
from core.clock import utcnow
from core.db import UtcDateTime

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

paused_runs = Table(
    "paused_runs",
    metadata,
    Column("thread_id", String(200), primary_key=True),
    Column("kind", String(80)),
    Column("paused_at", UtcDateTime, nullable=False),
)

ledger_backfills = Table(
    "ledger_backfills",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("done_at", UtcDateTime),
)
"""One-time fills of tables that may be new to a database already holding runs (null ``done_at``:
due). A table made on a new database is due too: its fill is then an empty walk."""

PAUSED_BACKFILL = "paused_runs"

_FORGET = [
    delete(table).where(table.c.thread_id == bindparam("thread"))
    for table in (run_outcomes, person_exceptions, paused_runs)
]
_FORGET_PAUSED = _FORGET[2]
_UPDATE_PAUSED = (
    update(paused_runs)
    .where(paused_runs.c.thread_id == bindparam("thread"))
    .values(kind=bindparam("new_kind"), paused_at=bindparam("at"))
)
_INSERT_PAUSED = insert(paused_runs)
_PAUSED_THREADS = select(paused_runs.c.thread_id).order_by(
    paused_runs.c.paused_at, paused_runs.c.thread_id
)
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
        """Create the tables if missing; a new ``paused_runs`` is due its one-time backfill."""
        new_index = not inspect(self.engine).has_table(paused_runs.name)
        metadata.create_all(self.engine)
        if new_index:
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(ledger_backfills), {"name": PAUSED_BACKFILL})
            except IntegrityError:
                pass  # another process created the index at the same moment

    def paused(self, thread_id: str, kind: str | None) -> None:
        """Index ``thread_id`` as paused for a person (again: its time is refreshed)."""
        values = {"thread": thread_id, "new_kind": kind, "at": utcnow()}
        try:
            with self.engine.begin() as conn:
                if conn.execute(_UPDATE_PAUSED, values).rowcount == 0:
                    conn.execute(
                        _INSERT_PAUSED,
                        {"thread_id": thread_id, "kind": kind, "paused_at": values["at"]},
                    )
        except IntegrityError:
            pass  # indexed by another process meanwhile: that is all this wanted

    def unpaused(self, thread_id: str) -> None:
        """Take ``thread_id`` out of the paused index (it waits for nobody any more)."""
        with self.engine.begin() as conn:
            conn.execute(_FORGET_PAUSED, {"thread": thread_id})

    def paused_threads(self) -> list[str]:
        """The threads indexed as paused, longest waiting first."""
        with self.engine.connect() as conn:
            threads: list[str] = list(conn.execute(_PAUSED_THREADS).scalars())
        return threads

    def backfill_due(self) -> bool:
        """Whether ``paused_runs`` still has to be filled from the checkpointer."""
        query = select(ledger_backfills.c.name).where(
            ledger_backfills.c.name == PAUSED_BACKFILL, ledger_backfills.c.done_at.is_(None)
        )
        with self.engine.connect() as conn:
            return conn.execute(query).first() is not None

    def backfill_paused(self, find: Callable[[], Iterable[tuple[str, str | None]]]) -> int | None:
        """Index the paused runs ``find`` yields (thread, kind), once; None if not due.

        ``find`` walks the checkpointer (every thread, once). It is run when the index was just
        created on a database that may already hold paused runs; until it completes, every
        process that opens the approval queue or a worker tries again (it is idempotent).
        """
        if not self.backfill_due():
            return None
        found = 0
        for thread_id, kind in find():
            self.paused(thread_id, kind)
            found += 1
        with self.engine.begin() as conn:
            conn.execute(
                update(ledger_backfills)
                .where(ledger_backfills.c.name == PAUSED_BACKFILL)
                .values(done_at=utcnow())
            )
        return found

    def record(
        self,
        thread_id: str,
        kind: str | None,
        outcome: Outcome,
        exceptions: list[PersonException],
    ) -> None:
        """Replace what is known of ``thread_id``'s run with this outcome and its exceptions.

        The run has ended: it leaves the index of paused runs.
        """
        now = utcnow()
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
