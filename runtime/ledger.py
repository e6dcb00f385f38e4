"""What runs left behind for people: each run's outcome and the person exceptions it raised.

The inbox says whether an event was processed; this says what came of it: ``done`` with its
figures, ``needs_person``, ``dead_letter``, and the :class:`agents.state.PersonException` records
(a student without a Canvas account, a cancelled section with students) that the dashboard's
exceptions queue lists. Rows are keyed by the run's thread, so recording the same run again
(a redelivered event, a resumed thread) replaces rather than repeats.

It also indexes the runs that are paused for a person (``paused_runs``) and the approval requests
they wait on (``pending_approvals``): rows are written when a run pauses and removed when the
run's outcome is recorded or it no longer waits, so the approval queue lists from one query
instead of reading every paused thread's checkpoint. The index is a hint, never the truth: a
decision still reads the thread's checkpoint, so a row left behind (a resume that failed, a race
with a backfill) is refused as not waiting and dropped. Databases from before an index get it
filled once from the checkpointer (:meth:`RunLedger.backfill_paused`, pending while
``ledger_backfills`` says so).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Column,
    Engine,
    Index,
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

from agents.approvals import PendingApproval
from agents.state import Outcome, PersonException
from core.clock import utcnow
from core.db import UtcDateTime, add_missing_columns

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
    Column("record", Text),
    Column("resolved_at", UtcDateTime),
    Column("resolved_by", String(200)),
)
"""What a person must resolve. ``record``: the Banner record to fix (staff-only text);
``resolved_at``/``resolved_by``: when and by whom it was settled (null while open). The last
three columns came after the table: :meth:`RunLedger.create_schema` adds them to older ones."""

paused_runs = Table(
    "paused_runs",
    metadata,
    Column("thread_id", String(200), primary_key=True),
    Column("kind", String(80)),
    Column("paused_at", UtcDateTime, nullable=False),
)

pending_approvals = Table(
    "pending_approvals",
    metadata,
    Column("request_id", String(64), primary_key=True),
    Column("thread_id", String(200), nullable=False, index=True),
    Column("interrupt_id", String(200), nullable=False),
    Column("tool", String(80), nullable=False),
    Column("approver", String(40), nullable=False),
    Column("term", String(10)),
    Column("crn", String(10)),
    Column("student", Integer),
    Column("requester_actor", String(200), nullable=False),
    Column("requester_pidm", Integer),
    Column("on_behalf_of", Integer),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("request", Text, nullable=False),
    Index("ix_pending_approvals_order", "approver", "created_at", "request_id"),
    Index("ix_pending_approvals_student", "student", "approver", "term"),
    Index("ix_pending_approvals_section", "approver", "term", "crn"),
    Index("ix_pending_approvals_all", "created_at", "request_id"),
)
"""The requests the paused runs wait on, one row each, with the columns an approver's authority
is judged by (kind of approver, student, term and CRN; who asked, for separation of duties) and
the request as the API shows it: listing is one query (:mod:`runtime.approval_index`). Written
and removed with ``paused_runs``; like it, a hint that a decision checks against the checkpoint."""

ledger_backfills = Table(
    "ledger_backfills",
    metadata,
    Column("name", String(80), primary_key=True),
    Column("done_at", UtcDateTime),
)
"""One-time fills of tables that may be new to a database already holding runs (null ``done_at``:
due). A table made on a new database is due too: its fill is then an empty walk."""

PAUSED_BACKFILL = "paused_runs"
REQUESTS_BACKFILL = "pending_approvals"
INDEXES = {PAUSED_BACKFILL: paused_runs, REQUESTS_BACKFILL: pending_approvals}
"""Each index filled once from the checkpointer, by the name its backfill is kept under."""

_FORGET = [
    delete(table).where(table.c.thread_id == bindparam("thread"))
    for table in (run_outcomes, person_exceptions, paused_runs, pending_approvals)
]
_FORGET_WAITING = _FORGET[2:]
_FORGET_REQUESTS = _FORGET[3]
_UPDATE_PAUSED = (
    update(paused_runs)
    .where(paused_runs.c.thread_id == bindparam("thread"))
    .values(kind=bindparam("new_kind"), paused_at=bindparam("at"))
)
_INSERT_PAUSED = insert(paused_runs)
_INSERT_REQUEST = insert(pending_approvals)
_PAUSED_THREADS = select(paused_runs.c.thread_id).order_by(
    paused_runs.c.paused_at, paused_runs.c.thread_id
)
_INSERT_OUTCOME = insert(run_outcomes)
_INSERT_EXCEPTION = insert(person_exceptions)
# Built once: every event's run is recorded, and building statements cost more than running them.


Paused = tuple[str, str | None, Sequence[PendingApproval]]
"""A paused run as a backfill finds it: thread, kind of run, the requests it waits on."""


def request_row(pending: PendingApproval) -> dict[str, Any]:
    """A waiting request as a ``pending_approvals`` row (the subject columns from its payload)."""
    request = pending.request
    subject, asked = request.subject, request.requested_by
    student, term, crn = subject.get("student"), subject.get("term"), subject.get("crn")
    return {
        "request_id": request.id,
        "thread_id": pending.thread_id,
        "interrupt_id": pending.interrupt_id,
        "tool": request.action_request.action,
        "approver": request.approver.value,
        "term": str(term) if term is not None else None,
        "crn": str(crn) if crn is not None else None,
        "student": int(student) if student is not None else None,
        "requester_actor": asked.actor,
        "requester_pidm": asked.pidm,
        "on_behalf_of": asked.on_behalf_of,
        "created_at": request.created_at,
        "expires_at": request.expires_at,
        "request": request.model_dump_json(),
    }


@dataclass(frozen=True)
class ExceptionRow:
    """One person exception as the dashboard shows it; (``thread_id``, ``seq``) names it."""

    thread_id: str
    seq: int
    kind: str
    detail: str
    term: str | None
    crn: str | None
    pidm: int | None
    recorded_at: datetime
    record: str | None = None
    resolved_at: datetime | None = None
    resolved_by: str | None = None


class RunLedger:
    """Outcomes and person exceptions of runs, in the app database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        """Create missing tables and columns; an index new to the database is due its backfill."""
        existing = inspect(self.engine)
        new = [name for name, table in INDEXES.items() if not existing.has_table(table.name)]
        metadata.create_all(self.engine)
        add_missing_columns(self.engine, person_exceptions)
        for name in new:
            try:
                with self.engine.begin() as conn:
                    conn.execute(insert(ledger_backfills), {"name": name})
            except IntegrityError:
                pass  # another process created the index at the same moment

    def paused(
        self, thread_id: str, kind: str | None, requests: Sequence[PendingApproval] = ()
    ) -> None:
        """Index ``thread_id`` as paused for a person, waiting on ``requests``.

        Again for the same thread: its time is refreshed and its requests replaced by these
        (a partial resume of a batch leaves the unanswered ones).
        """
        values = {"thread": thread_id, "new_kind": kind, "at": utcnow()}
        try:
            with self.engine.begin() as conn:
                if conn.execute(_UPDATE_PAUSED, values).rowcount == 0:
                    conn.execute(
                        _INSERT_PAUSED,
                        {"thread_id": thread_id, "kind": kind, "paused_at": values["at"]},
                    )
                conn.execute(_FORGET_REQUESTS, {"thread": thread_id})
                if requests:
                    ids = [p.request.id for p in requests]
                    conn.execute(  # a request moved here from a thread left behind
                        delete(pending_approvals).where(pending_approvals.c.request_id.in_(ids))
                    )
                    conn.execute(_INSERT_REQUEST, [request_row(p) for p in requests])
        except IntegrityError:
            pass  # indexed by another process meanwhile: that is all this wanted

    def unpaused(self, thread_id: str) -> None:
        """Take ``thread_id`` and its requests out of the index (it waits for nobody any more)."""
        with self.engine.begin() as conn:
            for forget in _FORGET_WAITING:
                conn.execute(forget, {"thread": thread_id})

    def paused_threads(self) -> list[str]:
        """The threads indexed as paused, longest waiting first."""
        with self.engine.connect() as conn:
            threads: list[str] = list(conn.execute(_PAUSED_THREADS).scalars())
        return threads

    def _due(self) -> set[str]:
        query = select(ledger_backfills.c.name).where(ledger_backfills.c.done_at.is_(None))
        with self.engine.connect() as conn:
            return set(conn.execute(query).scalars()) & set(INDEXES)

    def backfill_due(self) -> bool:
        """Whether an index (paused runs, their requests) still has to be filled."""
        return bool(self._due())

    def backfill_paused(self, find: Callable[[list[str] | None], Iterable[Paused]]) -> int | None:
        """Index the paused runs ``find`` yields (thread, kind, requests), once; None if not due.

        ``find(threads)`` reads those threads' checkpoints; None means every thread of the
        checkpointer (once). Every thread is walked when ``paused_runs`` itself is new on a
        database that may already hold paused runs; when only ``pending_approvals`` is, the
        threads ``paused_runs`` names are enough. Until it completes, every process that opens
        the approval queue or a worker tries again (it is idempotent).
        """
        due = self._due()
        if not due:
            return None
        threads = None if PAUSED_BACKFILL in due else self.paused_threads()
        waiting: set[str] = set()
        for thread_id, kind, requests in find(threads):
            self.paused(thread_id, kind, requests)
            waiting.add(thread_id)
        for thread_id in set(threads or ()) - waiting:  # named by paused_runs, waits no more
            self.unpaused(thread_id)
        with self.engine.begin() as conn:
            conn.execute(
                update(ledger_backfills)
                .where(ledger_backfills.c.name.in_(due))
                .values(done_at=utcnow())
            )
        return len(waiting)

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
        """The latest person exceptions, open and resolved, newest first."""
        t = person_exceptions
        query = select(t).order_by(t.c.recorded_at.desc(), t.c.thread_id, t.c.seq).limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [ExceptionRow(**row) for row in rows]

    def exception(self, thread_id: str, seq: int) -> ExceptionRow | None:
        """The person exception ``seq`` of ``thread_id``'s run, or None."""
        t = person_exceptions
        query = select(t).where(t.c.thread_id == thread_id, t.c.seq == seq)
        with self.engine.connect() as conn:
            row = conn.execute(query).mappings().first()
        return None if row is None else ExceptionRow(**row)

    def open_about(self, term: str, crn: str, pidm: int) -> list[ExceptionRow]:
        """The open exceptions about ``pidm`` in section ``term``/``crn``, of any run."""
        t = person_exceptions
        query = select(t).where(
            t.c.term == term, t.c.crn == crn, t.c.pidm == pidm, t.c.resolved_at.is_(None)
        )
        with self.engine.connect() as conn:
            return [ExceptionRow(**row) for row in conn.execute(query).mappings()]

    def resolve(self, thread_id: str, seq: int, by: str) -> bool:
        """Mark the exception resolved by ``by`` now; False if it is unknown or was already."""
        t = person_exceptions
        query = (
            update(t)
            .where(t.c.thread_id == thread_id, t.c.seq == seq, t.c.resolved_at.is_(None))
            .values(resolved_at=utcnow(), resolved_by=by)
        )
        with self.engine.begin() as conn:
            return bool(conn.execute(query).rowcount)

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
