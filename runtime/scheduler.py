"""The scheduler: nightly term reconciliation and the daily engagement scan, as inbox events.

Scheduled work goes through the inbox like everything else, so it is retried, ordered (one
term's scheduled jobs never overlap: they share a subject key) and visible in ``bca events``.
Ids are deterministic per job, term and day (``scheduled:reconcile:202610:2026-01-12``), so
several schedulers, restarts or a tick repeated within the day store each job once.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from agents.events import Event, ReconcileTerm, ScanEngagement
from runtime.inbox import Inbox
from tools.banner import schema

log = logging.getLogger(__name__)

SOURCE = "scheduler"


@dataclass(frozen=True)
class Schedule:
    """When each job is due, in UTC."""

    reconcile_at: time = time(2, 0)
    scan_at: time = time(6, 0)


def due_events(terms: Sequence[str], now: datetime, schedule: Schedule) -> list[Event]:
    """The jobs due today up to ``now`` for each term (a job's time passed today → due)."""
    today: date = now.astimezone(UTC).date()
    jobs: list[Event] = []
    for term in terms:
        reconcile = datetime.combine(today, schedule.reconcile_at, UTC)
        if now >= reconcile:
            jobs.append(
                ReconcileTerm(
                    event_id=f"scheduled:reconcile:{term}:{today.isoformat()}",
                    occurred_at=reconcile,
                    term_code=term,
                )
            )
        scan = datetime.combine(today, schedule.scan_at, UTC)
        if now >= scan:
            jobs.append(
                ScanEngagement(
                    event_id=f"scheduled:scan:{term}:{today.isoformat()}",
                    occurred_at=scan,
                    term_code=term,
                )
            )
    return jobs


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
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.inbox = inbox
        self.terms = terms
        self.schedule = schedule or Schedule()
        self.clock = clock

    def tick(self) -> int:
        """Store today's due jobs; returns how many were new."""
        return self.inbox.store_many(
            due_events(self.terms(), self.clock(), self.schedule), source=SOURCE
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
