"""In-process worker: outcomes, exceptions, per-subject order; scheduler ids; handler loading."""

from __future__ import annotations

import gc
import random
import threading
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import insert

from agents.events import CloseGrading, Event
from core.db import make_engine
from core.errors import ConfigurationError
from runtime.inbox import Inbox
from runtime.scheduler import Schedule, Scheduler, due_events, job_id, term_ends
from runtime.worker import InProcessWorker, LogOnlyHandler, Outcome, load_handler
from tests.runtime.helpers import (
    CountingHandler,
    assert_applied_once_in_subject_order,
    reg,
)
from tools.banner import schema


class Scripted:
    def __init__(self) -> None:
        self.seen: list[str] = []

    def handle(self, event: Event) -> Outcome:
        self.seen.append(event.event_id)
        match event.event_id:
            case "e1":
                return Outcome.dead("section 10001 does not exist in Banner")
            case "e2":
                raise RuntimeError("Canvas 500")
            case _:
                return Outcome.done()


def test_outcomes_are_recorded(inbox: Inbox) -> None:
    inbox.store_many([reg(1), reg(2, pidm=2), reg(3, pidm=3)], source="t")
    handler = Scripted()
    processed = InProcessWorker(inbox, handler, worker_id="w").run(threading.Event(), once=True)
    assert processed == 3
    assert inbox.get("e1").status == "dead"
    assert inbox.get("e1").last_error == "section 10001 does not exist in Banner"
    failed = inbox.get("e2")
    assert (failed.status, failed.last_error) == ("failed", "RuntimeError: Canvas 500")
    assert inbox.get("e3").status == "done"


def test_threads_apply_each_event_once_in_subject_order(inbox: Inbox, app_url: str) -> None:
    events = [reg(n, pidm=n % 20 + 1, minutes=n, dropped=n % 3 == 0) for n in range(300)]
    shuffled = events + random.Random(1).sample(events, 30)
    random.Random(2).shuffle(shuffled)
    inbox.store_many(shuffled, source="t")
    handler = CountingHandler(app_url)
    InProcessWorker(inbox, handler, worker_id="w", concurrency=4, batch=5).run(
        threading.Event(), once=True
    )
    assert_applied_once_in_subject_order(handler.engine, events)
    assert handler.calls == 300
    assert inbox.counts()["done"] == 300


def test_scheduler_ids_are_deterministic(inbox: Inbox) -> None:
    now = [datetime(2026, 1, 12, 1, 0, tzinfo=UTC)]
    scheduler = Scheduler(inbox, lambda: ["202610"], clock=lambda: now[0])
    assert scheduler.tick() == 0
    now[0] = datetime(2026, 1, 12, 3, 0, tzinfo=UTC)
    assert scheduler.tick() == 1
    now[0] = datetime(2026, 1, 12, 7, 0, tzinfo=UTC)
    assert scheduler.tick() == 1 and scheduler.tick() == 0
    ids = sorted(r.event_id for r in inbox.list_events())
    assert ids == ["scheduled:reconcile:202610:2026-01-12", "scheduled:scan:202610:2026-01-12"]
    tomorrow = due_events(["202610"], datetime(2026, 1, 13, 7, 0, tzinfo=UTC), Schedule())
    assert {e.event_id for e in tomorrow}.isdisjoint(ids)


def test_load_handler() -> None:
    assert isinstance(load_handler("runtime.worker:LogOnlyHandler"), LogOnlyHandler)
    with pytest.raises(ConfigurationError, match="cannot load handler"):
        load_handler("agents.nowhere:handler")
    with pytest.raises(ConfigurationError, match="no handle"):
        load_handler("collections:OrderedDict")


def test_a_started_worker_hides_its_startup_heap_from_the_collector(inbox: Inbox) -> None:
    """Long-lived startup objects are frozen once; full collections stop walking them."""
    InProcessWorker(inbox, LogOnlyHandler(), worker_id="w").run(threading.Event(), once=True)
    frozen = gc.get_freeze_count()
    assert frozen > 10_000, frozen
    InProcessWorker(inbox, LogOnlyHandler(), worker_id="w").run(threading.Event(), once=True)
    assert gc.get_freeze_count() == frozen  # once per process, not per worker


def test_close_of_grading_is_due_on_the_terms_last_day_only(inbox: Inbox) -> None:
    ends = {"202610": date(2026, 5, 8)}

    def closing(now: datetime) -> list[str]:
        jobs = due_events(["202610", "202620"], now, Schedule(), ends)
        return [e.event_id for e in jobs if e.kind == "scheduled.close_grading"]

    assert closing(datetime(2026, 5, 7, 23, 0, tzinfo=UTC)) == []
    assert closing(datetime(2026, 5, 8, 6, 0, tzinfo=UTC)) == []  # due at 06:30
    assert closing(datetime(2026, 5, 8, 7, 0, tzinfo=UTC)) == [
        "scheduled:close_grading:202610:2026-05-08"
    ]
    assert closing(datetime(2026, 5, 9, 7, 0, tzinfo=UTC)) == []
    # Started by hand that day (`bca close-grading` stores it under job_id too): not twice.
    clock = lambda: datetime(2026, 5, 8, 7, 0, tzinfo=UTC)  # noqa: E731
    by_hand = job_id("close_grading", "202610", date(2026, 5, 8))
    closing_by_hand = CloseGrading(event_id=by_hand, occurred_at=clock(), term_code="202610")
    inbox.store(closing_by_hand, source="cli")
    scheduler = Scheduler(inbox, lambda: ["202610"], ends=lambda terms: ends, clock=clock)
    assert scheduler.tick() == 2  # reconcile and scan; close of grading was there already


def test_term_ends_reads_stvterm(tmp_path: Path) -> None:
    banner = make_engine(f"sqlite:///{tmp_path}/banner.db")
    schema.metadata.create_all(banner, tables=[schema.stvterm])
    with banner.begin() as conn:
        conn.execute(
            insert(schema.stvterm),
            [{"stvterm_code": code, "stvterm_desc": code, "stvterm_start_date": date(2026, 1, 12),
              "stvterm_end_date": end, "stvterm_activity_date": datetime(2026, 1, 1)}
             for code, end in (("202610", date(2026, 5, 8)), ("202620", date(2026, 8, 7)))],
        )  # fmt: skip
    assert term_ends(banner, ["202610", "209910"]) == {"202610": date(2026, 5, 8)}
    banner.dispose()
