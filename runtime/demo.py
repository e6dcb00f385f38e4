"""The main job on the embedded default: a term start replayed end to end, and ``bca up``'s world.

:func:`embedded_world` brings up what the embedded default needs besides the API: the Banner
sandbox (seeded for the term in session if empty), the Canvas simulator on its own SQLite under
the var directory, every Banner person as a Canvas user (the SIS import a campus runs first).
:func:`replay_term_start` then drives a realistic start of term through the real inbox, worker,
router and guard: sections published, registrations, drops, wait-list promotions, student
activity in the simulator, an engagement scan, the close of grading; and ends with a dry-run
reconciliation whose planned actions are the drift.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, text

from agents.drafting.records import draft_figures
from agents.events import (
    CloseGrading,
    Event,
    RegistrationAdded,
    RegistrationDropped,
    ScanEngagement,
    SectionCreated,
)
from core.clock import utcnow
from core.db import make_engine
from core.settings import Settings
from runtime.draft_log import SqlDraftLog
from runtime.inbox import Inbox
from runtime.pipeline import AgentHandler, approval_queue
from runtime.reconcile import reconcile_term
from runtime.scheduler import active_terms
from runtime.worker import InProcessWorker
from sandbox.banner.generator import SeedPlan
from sandbox.banner.seeding import is_seeded, seed_banner
from sandbox.banner.terms import PARTS, term_dates
from sandbox.canvas.activity import ActivityRequest, simulate
from sandbox.canvas.testing import SimulatorHandle, running_simulator
from tools.canvas.client import CanvasClient

SOURCE = "demo"
Step = Callable[[str, int, int], None]
"""Progress callback: (phase, done, total)."""


def term_in_session(today: date) -> str:
    """The term code whose classes run on ``today``, else the next one to start."""
    codes = [f"{year}{part}" for year in (today.year, today.year + 1, today.year + 2)
             for part in sorted(PARTS)]  # fmt: skip
    ordered = sorted(codes, key=lambda c: term_dates(c)[0])
    return next(c for c in ordered if term_dates(c)[1] >= today)


def ensure_banner(settings: Settings, *, students: int, sections: int) -> tuple[Engine, str]:
    """The Banner engine (seeded for the term in session if empty) and the term to work in."""
    banner = make_engine(settings.banner_url)
    if not is_seeded(banner):
        term = term_in_session(date.today())
        seed_banner(banner, SeedPlan(students=students, sections=sections, term=term, seed=42))
    terms = active_terms(banner, date.today())
    if not terms:
        with banner.connect() as conn:
            terms = [str(conn.execute(text("SELECT MAX(stvterm_code) FROM stvterm")).scalar())]
    return banner, terms[-1]


@contextmanager
def embedded_world(
    settings: Settings,
    *,
    students: int,
    sections: int,
    webhook_url: str = "",
    signing_key: str = "",
) -> Iterator[tuple[Settings, SimulatorHandle, str]]:
    """Banner seeded and an empty simulator up; yields (settings, simulator, term).

    The yielded settings point ``canvas_url`` at the simulator's port. With ``webhook_url`` the
    simulator posts Live Events there, signed with ``signing_key`` (HS256) when one is given.
    """
    banner, term = ensure_banner(settings, students=students, sections=sections)
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    live = {"webhook_url": webhook_url, "signing_key": signing_key} if webhook_url else {}
    token = settings.canvas_token.get_secret_value()
    with running_simulator(settings.var_dir / "canvas-sim.db", token, live_events=live) as sim:
        yield wired_to_canvas(settings, banner, sim.base_url), sim, term


def wired_to_canvas(settings: Settings, banner: Engine, canvas_url: str) -> Settings:
    """``settings`` pointed at the Canvas at ``canvas_url``; disposes of ``banner``.

    Canvas gets no people here: the agents make each account from Banner as an enrollment needs
    it, through the guard and the audit trail, as they would on a new Canvas instance.
    """
    banner.dispose()
    return settings.model_copy(update={"canvas_url": canvas_url})


@dataclass
class TermEvents:
    """The events of a term start, generated from (and, for drops, written to) Banner.

    Event ids are deterministic per term and row, so a replay stores each event once; event
    times start at ``now`` and increase by ``spacing`` per event.
    """

    banner: Engine
    term: str
    now: datetime
    spacing: timedelta = timedelta(milliseconds=1)

    def sql(self, statement: str, **params: Any) -> list[Any]:
        """Rows of a Banner statement (writes commit)."""
        with self.banner.begin() as conn:
            result = conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []

    def at(self, n: int) -> datetime:
        """Event time of the ``n``-th event of the replay (strictly increasing)."""
        return self.now + self.spacing * n

    def sections(self) -> list[Event]:
        """Every active section of the term, published."""
        crns = self.sql(
            "SELECT ssbsect_crn FROM ssbsect WHERE ssbsect_term_code = :t"
            " AND ssbsect_ssts_code = 'A' ORDER BY ssbsect_crn",
            t=self.term,
        )
        return [
            SectionCreated(event_id=f"demo:{self.term}:section:{crn}", occurred_at=self.at(n),
                           term_code=self.term, crn=str(crn))
            for n, (crn,) in enumerate(crns)
        ]  # fmt: skip

    def registrations(self) -> list[Event]:
        """Every registration that counts as enrolled."""
        rows = self.sql(
            "SELECT r.sfrstcr_pidm, r.sfrstcr_crn, r.sfrstcr_rsts_code FROM sfrstcr r"
            " JOIN stvrsts s ON s.stvrsts_code = r.sfrstcr_rsts_code"
            " AND s.stvrsts_incl_sect_enrl = 'Y' WHERE r.sfrstcr_term_code = :t"
            " ORDER BY r.sfrstcr_crn, r.sfrstcr_pidm",
            t=self.term,
        )
        return [
            RegistrationAdded(event_id=f"demo:{self.term}:add:{crn}:{pidm}",
                              occurred_at=self.at(n), term_code=self.term, crn=str(crn),
                              pidm=int(pidm), rsts_code=str(code))
            for n, (pidm, crn, code) in enumerate(rows)
        ]  # fmt: skip

    def drops_and_promotions(self, share: int = 20) -> list[Event]:
        """Every ``share``-th registration dropped (DD today); wait-listed students promoted."""
        today = date.today().isoformat()
        enrolled = self.sql(
            "SELECT r.sfrstcr_pidm, r.sfrstcr_crn FROM sfrstcr r"
            " JOIN stvrsts s ON s.stvrsts_code = r.sfrstcr_rsts_code"
            " AND s.stvrsts_incl_sect_enrl = 'Y' WHERE r.sfrstcr_term_code = :t"
            " ORDER BY r.sfrstcr_crn, r.sfrstcr_pidm",
            t=self.term,
        )[::share]
        waiting = self.sql(
            "SELECT sfrstcr_pidm, sfrstcr_crn FROM sfrstcr WHERE sfrstcr_term_code = :t"
            " AND sfrstcr_rsts_code = 'WL' ORDER BY sfrstcr_crn, sfrstcr_pidm",
            t=self.term,
        )
        events: list[Event] = []
        for pidm, crn in enrolled:
            self._set_status(int(pidm), str(crn), "DD", today)
            events.append(
                RegistrationDropped(event_id=f"demo:{self.term}:drop:{crn}:{pidm}",
                                    occurred_at=self.at(len(events) + 100_000),
                                    term_code=self.term, crn=str(crn), pidm=int(pidm),
                                    rsts_code="DD")
            )  # fmt: skip
        for pidm, crn in waiting:
            self._set_status(int(pidm), str(crn), "RE", today)
            events.append(
                RegistrationAdded(event_id=f"demo:{self.term}:promote:{crn}:{pidm}",
                                  occurred_at=self.at(len(events) + 100_000),
                                  term_code=self.term, crn=str(crn), pidm=int(pidm),
                                  rsts_code="RE")
            )  # fmt: skip
        return events

    def _set_status(self, pidm: int, crn: str, code: str, when: str) -> None:
        self.sql(
            "UPDATE sfrstcr SET sfrstcr_rsts_code = :code, sfrstcr_rsts_date = :d,"
            " sfrstcr_activity_date = :d WHERE sfrstcr_term_code = :t AND sfrstcr_pidm = :p"
            " AND sfrstcr_crn = :c",
            code=code, d=when, t=self.term, p=pidm, c=crn,
        )  # fmt: skip


@dataclass
class Replay:
    """One term-start replay against one embedded world."""

    settings: Settings
    sim: SimulatorHandle
    term: str
    step: Step
    concurrency: int = 4

    def __post_init__(self) -> None:
        self.banner = make_engine(self.settings.banner_url)
        self.events = TermEvents(self.banner, self.term, utcnow())
        self.inbox = Inbox(make_engine(self.settings.database_url))
        self.inbox.create_schema()
        self.handler = AgentHandler.from_settings(self.settings)

    def close(self) -> None:
        """Release the handler and engines."""
        self.handler.close()
        self.banner.dispose()
        self.inbox.engine.dispose()

    def process(self, phase: str, events: list[Event]) -> None:
        """Store ``events`` and work the inbox until nothing is due, reporting progress."""
        before = self.inbox.counts()["done"]
        self.inbox.store_many(events, source=SOURCE)
        worker = InProcessWorker(
            self.inbox, self.handler, worker_id=f"demo:{phase}", concurrency=self.concurrency
        )
        finished = threading.Event()

        def work() -> None:
            worker.run(threading.Event(), once=True)
            finished.set()

        runner = threading.Thread(target=work)
        runner.start()
        while not finished.wait(0.25):
            self.step(phase, self.inbox.counts()["done"] - before, len(events))
        runner.join()
        self.step(phase, len(events), len(events))

    def activity(self, days: int = 21) -> list[int]:
        """Simulated student activity in every course of the term; returns the courses."""
        with self.sim.sim.transaction() as tx:
            rows = tx.conn.execute(
                "SELECT id FROM courses WHERE sis_course_id LIKE ? AND workflow_state != 'deleted'"
                " ORDER BY sis_course_id",  # seeds by section, not by who created it first
                (f"{self.term}-%",),
            ).fetchall()
        for n, (course_id,) in enumerate(rows):
            simulate(self.sim.sim, str(course_id), ActivityRequest(days=days, seed=n))
            self.step("student activity", n + 1, len(rows))
        return [int(course_id) for (course_id,) in rows]

    def grading_scheme(self, course_ids: list[int]) -> None:
        """The registrar's letter-grade scheme on the account, used by every course of the term.

        Grade passback refuses courses without a scheme (scores cannot become letters).
        """
        canvas = CanvasClient(self.sim.base_url, self.sim.token).canvas
        account = canvas.get_account(self.settings.canvas_account_id)
        letters = [("A", 90), ("B", 80), ("C", 70), ("D", 60), ("F", 0)]
        standard = account.add_grading_standards(
            "Letter grades", [{"name": n, "value": v} for n, v in letters]
        )
        for course_id in course_ids:
            canvas.get_course(course_id).update(course={"grading_standard_id": standard.id})

    def scheduled(self, phase: str, event: Event) -> None:
        """One scheduled job through the inbox."""
        self.process(phase, [event])


def approvals_by_kind(settings: Settings) -> dict[str, int]:
    """Outstanding approval requests by the action they would run."""
    with approval_queue(settings) as queue:
        pending = queue.pending()
    return dict(Counter(p.request.action_request.action for p in pending))


def replay_term_start(
    settings: Settings, sim: SimulatorHandle, term: str, step: Step
) -> dict[str, Any]:
    """The whole replay; returns the summary figures (``bca demo --json`` prints them)."""
    replay = Replay(settings, sim, term, step)
    started = utcnow()
    try:
        events = replay.events
        replay.process("sections published", events.sections())
        adds = events.registrations()
        replay.process("registrations", adds)
        changes = events.drops_and_promotions()
        replay.process("drops and wait-list promotions", changes)
        courses = replay.activity()
        replay.grading_scheme(courses)
        stamp = f"{events.now:%Y%m%dT%H%M%S}"
        replay.scheduled(
            "engagement scan",
            ScanEngagement(
                event_id=f"demo:{term}:scan:{stamp}", occurred_at=events.at(200_000), term_code=term
            ),
        )
        replay.scheduled(
            "grading period",
            CloseGrading(
                event_id=f"demo:{term}:close:{stamp}",
                occurred_at=events.at(200_001),
                term_code=term,
            ),
        )
        step("reconciliation", 0, 1)
        drift = reconcile_term(settings, term, apply=False)
        step("reconciliation", 1, 1)
        counts = replay.inbox.counts()
        figures = replay.handler.pipeline.ledger.figures("banner.")
        return {
            "term": term,
            "sections_provisioned": len(courses),
            "registrations": len(adds),
            "drops_and_promotions": len(changes),
            "enrollments_synced": int(figures.get("enroll", 0)),
            "enrollment_changes": {k: v for k, v in sorted(figures.items()) if v},
            "drift": int(drift.outcome.figures.get("total", 0)),
            "approvals_pending": approvals_by_kind(settings),
            "events_done": counts["done"],
            "events_failed": counts["failed"],
            "events_dead": counts["dead"],
            "person_exceptions": len(replay.handler.pipeline.ledger.exceptions(10_000)),
            "drafting": {"model": settings.model or None}
            | draft_figures(SqlDraftLog(replay.inbox.engine).since(started)).model_dump(),
        }  # fmt: skip
    finally:
        replay.close()
