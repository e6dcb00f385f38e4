"""Burst mode at the claim: which records group, the window, group runs and their fallback."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from datetime import timedelta

import pytest

from agents.events import (
    Event,
    GradeEntered,
    RegistrationAdded,
    RegistrationBurst,
    RegistrationWaitlisted,
    SectionChanged,
    WithdrawalBurst,
    _RegistrationEvent,
)
from core.db import make_engine
from runtime.burst import Burst, burst_id, burst_wait, partition
from runtime.bus import BusWorker, Topology
from runtime.inbox import Inbox, InboxRecord
from runtime.worker import InProcessWorker, Outcome
from tests.runtime.helpers import T0, delete_queues, reg
from tests.runtime.test_runtime_outages import running, wait_for

LEASE = timedelta(minutes=5)


def claimed(inbox: Inbox, events: Sequence[Event]) -> list[InboxRecord]:
    inbox.store_many(events, source="t")
    return inbox.claim("w", limit=100, lease=LEASE)


def mixed() -> list[Event]:
    """Section 10001: adds and a wait-listing, drops, a grade; 10002: one add; a section change."""
    at = {"occurred_at": T0, "term_code": "202610"}
    return [
        reg(1, pidm=1),
        reg(2, pidm=2),
        RegistrationWaitlisted(event_id="w3", crn="10001", pidm=3, **at),
        reg(4, pidm=4, dropped=True),
        reg(5, pidm=5, dropped=True),
        RegistrationAdded(event_id="other", crn="10002", pidm=1, **at),
        GradeEntered(event_id="grade", crn="10001", pidm=6, grade_code="I", **at),
        SectionChanged(event_id="sect", crn="10001", **at),
    ]


def test_records_group_by_section_and_specialist_and_the_rest_stay_alone(inbox: Inbox) -> None:
    groups, alone = partition(claimed(inbox, mixed()))
    made = {type(g.burst): g.burst for g in groups}
    assert set(made) == {RegistrationBurst, WithdrawalBurst}
    adds, drops = made[RegistrationBurst], made[WithdrawalBurst]
    assert (adds.term_code, adds.crn, adds.pidms) == ("202610", "10001", [1, 2, 3])
    assert sorted(adds.members) == ["e1", "e2", "w3"]
    assert (drops.crn, drops.pidms, sorted(drops.members)) == ("10001", [4, 5], ["e4", "e5"])
    assert sorted(r.event_id for r in alone) == ["grade", "other", "sect"]
    assert adds.event_id == burst_id(["w3", "e1", "e2"])  # the same members, the same run


def test_a_fresh_registration_waits_out_the_window_and_a_backlog_does_not(inbox: Inbox) -> None:
    [record] = claimed(inbox, [reg(1)])
    received = record.received_at
    assert burst_wait([record], 0.5, received + timedelta(seconds=0.2)) == pytest.approx(0.3)
    assert burst_wait([record], 0.5, received + timedelta(seconds=2)) == 0.0
    assert burst_wait([record], 0.0, received) == 0.0
    [section] = claimed(inbox, [SectionChanged(event_id="s", crn="1", term_code="202610",
                                               occurred_at=T0)])  # fmt: skip
    assert burst_wait([section], 0.5, section.received_at) == 0.0


class Grouping:
    """Handles events alone (recording them) and groups as ``group`` says: ok, refuse, raise."""

    def __init__(self, group: str) -> None:
        self.group = group
        self.alone: list[str] = []
        self.groups: list[list[str]] = []

    def handle(self, event: Event) -> Outcome:
        self.alone.append(event.event_id)
        return Outcome.done()

    def handle_group(self, burst: Burst, members: Sequence[_RegistrationEvent]) -> bool:
        assert burst.members == [m.event_id for m in members]
        self.groups.append(list(burst.members))
        if self.group == "raise":
            raise RuntimeError("Canvas 500")
        return self.group == "ok"


def run_once(inbox: Inbox, handler: object) -> int:
    worker = InProcessWorker(inbox, handler, worker_id="w", batch=100)  # type: ignore[arg-type]
    return worker.run(threading.Event(), once=True)


def test_a_group_runs_once_and_every_member_is_done(inbox: Inbox) -> None:
    inbox.store_many(mixed(), source="t")
    handler = Grouping("ok")
    assert run_once(inbox, handler) == 8
    assert sorted(map(sorted, handler.groups)) == [["e1", "e2", "w3"], ["e4", "e5"]]
    assert sorted(handler.alone) == ["grade", "other", "sect"]
    assert inbox.counts()["done"] == 8


@pytest.mark.parametrize("group", ["refuse", "raise"])
def test_a_group_that_does_not_get_through_falls_back_to_each_event(
    inbox: Inbox, group: str
) -> None:
    inbox.store_many(mixed(), source="t")
    handler = Grouping(group)
    assert run_once(inbox, handler) == 8
    assert len(handler.groups) == 2
    assert sorted(handler.alone) == sorted(e.event_id for e in mixed())  # each handled alone
    assert inbox.counts()["done"] == 8


def test_a_handler_without_groups_handles_each_event_as_before(inbox: Inbox) -> None:
    inbox.store_many(mixed(), source="t")
    handler = Grouping("ok")
    plain = type("Plain", (), {"handle": handler.handle})()
    assert run_once(inbox, plain) == 8
    assert handler.groups == [] and len(handler.alone) == 8


@pytest.mark.rabbitmq
@pytest.mark.postgres
def test_the_bus_publishes_a_group_as_one_message_and_runs_it_once(
    pg_url: str, broker_url: str, unique: str
) -> None:
    inbox = Inbox(make_engine(pg_url))
    inbox.create_schema()
    inbox.store_many(mixed(), source="t")
    handler = Grouping("ok")
    worker = BusWorker(inbox, handler, broker_url=broker_url, worker_id="burst",
                       topology=Topology(prefix=unique), burst_window=0.2)  # fmt: skip
    try:
        with running(worker.run):
            wait_for(lambda: inbox.counts()["done"] == 8, 20, "every event done")
    finally:
        asyncio.run(delete_queues(broker_url, unique))
    assert sorted(map(sorted, handler.groups)) == [["e1", "e2", "w3"], ["e4", "e5"]]
    assert sorted(handler.alone) == ["grade", "other", "sect"]
