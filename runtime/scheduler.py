"""The scheduler: reconciliation, engagement scan and (a term's last day) close of grading.

Scheduled work goes through the inbox like everything else, so it is retried, ordered (one
term's scheduled jobs never overlap: they share a subject key) and visible in ``bca events``.
Ids are deterministic per job, term and day (``scheduled:reconcile:202610:2026-01-12``), so
several schedulers, restarts or a tick repeated within the day store each job once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from agents.events import CloseGrading, Event, ReconcileTerm, ScanEngagement
from core.clock import utcnow
from runtime.inbox import Inbox
from tools.banner import schema

log = logging.getLogger(__name__)

SOURCE = "scheduler"


@dataclass(frozen=True)
class Schedule:
    """When each job is due, in UTC."""

    reconcile_at: time = time(2, 0)
    scan_at: time = time(6, 0)
    close_grading_at: time = time(6, 30)


def job_id(name: str, term: str, day: date) -> str:
    """A scheduled job's event id: one per job, term and day (``bca close-grading`` uses it too)."""
    return f"scheduled:{name}:{term}:{day.isoformat()}"


def due_events(
    terms: Sequence[str],
    now: datetime,
    schedule: Schedule,
    ends: Mapping[str, date] | None = None,
) -> list[Event]:
    """The jobs due today up to ``now`` for each term (a job's time passed today → due).

    Close of grading is due on a term's last day (``ends``: STVTERM_END_DATE by term), with
    the id ``bca close-grading`` gives it, so a registrar who started it by hand that day is
    not asked again; a term not in ``ends`` never closes by schedule.
    """
    today: date = now.astimezone(UTC).date()
    jobs: list[Event] = []
    for term in terms:
        daily: list[tuple[type[ReconcileTerm | ScanEngagement | CloseGrading], str, time]] = [
            (ReconcileTerm, "reconcile", schedule.reconcile_at),
            (ScanEngagement, "scan", schedule.scan_at),
        ]
        if (ends or {}).get(term) == today:
            daily.append((CloseGrading, "close_grading", schedule.close_grading_at))
        for kind, name, at in daily:
            when = datetime.combine(today, at, UTC)
            if now >= when:
                jobs.append(
                    kind(
                        event_id=job_id(name, term, today),
                        occurred_at=when,
                        term_code=term,
                    )
                )
    return jobs


def term_ends(banner: Engine, terms: Sequence[str]) -> dict[str, date]:
    """STVTERM_END_DATE of each of ``terms`` that Banner knows."""
    t = schema.stvterm
    query = select(t.c.stvterm_code, t.c.stvterm_end_date).where(t.c.stvterm_code.in_(terms))
    with banner.connect() as conn:
        rows = conn.execute(query).all()
    return {str(code): end for code, end in rows if isinstance(end, date)}


def active_terms(banner: Engine, today: date) -> list[str]:
    """Terms in session today (STVTERM start ≤ today ≤ end): the ones the jobs run for."""
    t = schema.stvterm
    query = select(t.c.stvterm_code).where(
        t.c.stvterm_start_date <= today, t.c.stvterm_end_date >= today
    )
    with banner.connect() as conn:
        codes: list[object] = list(conn.execute(query.order_by(t.c.stvterm_code)).scalars())
    return [str(code) for code in codes]


class Scheduler:
    """Stores due jobs for the active terms into the inbox, once a minute."""

    def __init__(
        self,
        inbox: Inbox,
        terms: Callable[[], Sequence[str]],
        *,
        schedule: Schedule | None = None,
        ends: Callable[[Sequence[str]], Mapping[str, date]] = lambda terms: {},
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.inbox = inbox
        self.terms = terms
        self.ends = ends
        self.schedule = schedule or Schedule()
        self.clock = clock

    def tick(self) -> int:
        """Store today's due jobs; returns how many were new."""
        terms = self.terms()
        return self.inbox.store_many(
            due_events(terms, self.clock(), self.schedule, self.ends(terms)), source=SOURCE
        )

    def run(self, stop: threading.Event, *, interval: float = 60.0) -> None:
        """Tick until ``stop`` is set."""
        while not stop.is_set():
            try:
                new = self.tick()
            except SQLAlchemyError as exc:
                log.warning("scheduler cannot reach the inbox (%s); next tick retries", exc)
            else:
                if new:
                    log.info("scheduler stored %d job(s)", new)
            stop.wait(interval)
