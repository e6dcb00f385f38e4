"""Inbox semantics on SQLite and PostgreSQL: dedupe, subject order, retries, replay, claims."""

from __future__ import annotations

import random
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from agents.events import CloseGrading, ScanEngagement
from core.errors import NotFoundError, ValidationFailed
from runtime.inbox import Inbox, InvalidTransition, RetryPolicy, transition
from tests.runtime.helpers import T0, reg

LEASE = timedelta(minutes=5)


def drain_order(inbox: Inbox) -> list[str]:
    """Claim one at a time and complete, returning the processing order."""
    order = []
    while records := inbox.claim("w", limit=1, lease=LEASE):
        order.append(records[0].event_id)
        inbox.complete(records[0].event_id)
    return order


def test_duplicates_are_absorbed(inbox: Inbox) -> None:
    assert inbox.store(reg(1), source="t") is True
    assert inbox.store(reg(1), source="t") is False
    assert inbox.store_many([reg(1), reg(2), reg(2, pidm=9)], source="t") == 1
    assert inbox.counts()["received"] == 2
    payload = inbox.get("e1").payload
    assert payload is not None
    assert payload["pidm"] == 1


def test_subject_order_under_shuffled_arrival(inbox: Inbox) -> None:
    events = [reg(n, pidm=n % 3 + 1, minutes=n, dropped=n % 2 == 1) for n in range(30)]
    random.Random(7).shuffle(events)
    for event in events:
        inbox.store(event, source="t")
    order = drain_order(inbox)
    assert sorted(order) == sorted(e.event_id for e in events)
    for pidm in (1, 2, 3):
        mine = [e for e in order if (int(e[1:]) % 3 + 1) == pidm]
        assert mine == sorted(mine, key=lambda e: int(e[1:]))


def test_later_event_waits_while_earlier_is_unfinished(inbox: Inbox) -> None:
    inbox.store_many([reg(2, minutes=2, dropped=True), reg(1, minutes=1)], source="t")
    first = inbox.claim("a", limit=10, lease=LEASE)
    assert [r.event_id for r in first] == ["e1"]
    assert inbox.claim("b", limit=10, lease=LEASE) == []
    inbox.fail("e1", "Canvas timed out")
    assert inbox.claim("b", limit=10, lease=LEASE) == [], "a retrying event still blocks"
    inbox.bury("e1", "gave up")
    assert [r.event_id for r in inbox.claim("b", limit=10, lease=LEASE)] == ["e2"]


def test_a_failing_scan_never_holds_up_the_terms_close_of_grading(inbox: Inbox) -> None:
    term = "202610"
    scan = ScanEngagement(event_id="scan", occurred_at=T0, term_code=term)
    close = CloseGrading(event_id="close", occurred_at=T0 + timedelta(minutes=30), term_code=term)
    later_scan = ScanEngagement(
        event_id="scan2", occurred_at=T0 + timedelta(hours=1), term_code=term
    )
    inbox.store_many([scan, close, later_scan], source="scheduler")
    claimed = inbox.claim("a", limit=10, lease=LEASE)
    assert {r.event_id for r in claimed} == {"scan", "close"}, "different kinds run side by side"
    inbox.fail("scan", "the model timed out")
    assert inbox.claim("b", limit=10, lease=LEASE) == [], "the next scan waits for the first"


def test_retry_with_backoff_then_dead(app_url: str) -> None:
    from core.db import make_engine

    now = [T0]
    inbox = Inbox(
        make_engine(app_url),
        retry=RetryPolicy(max_attempts=3, base_delay=timedelta(seconds=10)),
        clock=lambda: now[0],
    )
    inbox.create_schema()
    inbox.store(reg(1), source="t")
    delays = []
    for attempt in range(1, 4):
        (record,) = inbox.claim("w", limit=1, lease=LEASE)
        assert record.attempts == attempt
        status = inbox.fail("e1", f"boom {attempt}")
        row = inbox.get("e1")
        delays.append(row.next_attempt_at - now[0])
        if status == "failed":
            assert inbox.claim("w", limit=1, lease=LEASE) == [], "not due before the backoff"
            now[0] = row.next_attempt_at
    assert status == "dead"
    assert delays[:2] == [timedelta(seconds=10), timedelta(seconds=20)]
    dead = inbox.get("e1")
    assert dead.last_error == "boom 3"
    assert inbox.counts()["dead"] == 1


def test_expired_lease_is_reclaimed_and_buried_after_last_attempt(app_url: str) -> None:
    from core.db import make_engine

    now = [T0]
    inbox = Inbox(make_engine(app_url), retry=RetryPolicy(max_attempts=2), clock=lambda: now[0])
    inbox.create_schema()
    inbox.store(reg(1), source="t")
    assert inbox.claim("crashed", limit=1, lease=LEASE)
    assert inbox.claim("other", limit=1, lease=LEASE) == []
    now[0] += LEASE + timedelta(seconds=1)
    (again,) = inbox.claim("other", limit=1, lease=LEASE)
    assert again.claimed_by == "other" and again.attempts == 2
    now[0] += LEASE + timedelta(seconds=1)
    assert inbox.claim("third", limit=1, lease=LEASE) == []
    assert inbox.get("e1").status == "dead"
    assert "lease expired" in (inbox.get("e1").last_error or "")


def test_replay_dead_and_done(inbox: Inbox) -> None:
    inbox.store(reg(1), source="t")
    inbox.claim("w", lease=LEASE)
    inbox.bury("e1", "no such section")
    assert inbox.replay("e1") == "e1"
    row = inbox.get("e1")
    assert (row.status, row.attempts) == ("received", 0)
    assert drain_order(inbox) == ["e1"]
    inbox.replay("e1")
    assert inbox.get("e1").status == "received"
    inbox.claim("w", lease=LEASE)
    with pytest.raises(InvalidTransition, match="cannot replay an event that is processing"):
        inbox.replay("e1")
    with pytest.raises(NotFoundError):
        inbox.replay("nope")


def test_malformed_is_kept_and_replayable_after_a_fix(inbox: Inbox) -> None:
    raw = b'{"pidm": "one"}'
    bad = inbox.store_malformed(source="bep", raw_body=raw, reason="SFRSTCR_PIDM is missing")
    assert inbox.store_malformed(source="bep", raw_body=raw, reason="again") == bad
    row = inbox.get(bad)
    assert (row.status, row.raw_body, row.last_error) == ("dead", raw, "SFRSTCR_PIDM is missing")
    assert inbox.claim("w", lease=LEASE) == []
    with pytest.raises(ValidationFailed, match="no re-parser"):
        inbox.replay(bad)

    def broken(source: str, body: bytes):
        raise ValidationFailed("still no pidm")

    with pytest.raises(ValidationFailed, match="still malformed: still no pidm"):
        inbox.replay(bad, reparse=broken)
    assert inbox.get(bad).status == "dead"
    assert inbox.replay(bad, reparse=lambda source, body: reg(5)) == "e5"
    assert inbox.get("e5").status == "received"
    assert inbox.get(bad).status == "done"
    assert inbox.get(bad).last_error == "replayed as e5"


def test_complete_never_undoes_and_fail_never_downgrades_done(inbox: Inbox) -> None:
    inbox.store(reg(1), source="t")
    inbox.claim("w", lease=LEASE)
    assert inbox.complete("e1") == "done"
    assert inbox.fail("e1", "late duplicate failed") == "done"
    assert inbox.complete("e1") == "done"
    assert inbox.get("e1").last_error is None


def test_transition_table() -> None:
    assert transition("processing", "fail", exhausted=True) == "dead"
    assert transition("processing", "fail") == "failed"
    assert transition("dead", "bury") == "dead"
    with pytest.raises(InvalidTransition):
        transition("received", "replay")


def test_list_filters_and_counts(inbox: Inbox) -> None:
    inbox.store_many([reg(1), reg(2, pidm=2)], source="bep")
    inbox.store_malformed(source="canvas", raw_body=b"x", reason="not JSON")
    assert {r.event_id for r in inbox.list_events(source="bep")} == {"e1", "e2"}
    assert len(inbox.list_events(statuses=["dead"])) == 1
    assert [r.event_id for r in inbox.list_events(subject_key=reg(2, pidm=2).subject_key)] == ["e2"]
    assert inbox.counts() == {"received": 2, "processing": 0, "done": 0, "failed": 0, "dead": 1}


def test_two_workers_claim_concurrently_without_double_processing(app_url: str) -> None:
    """Two workers (separate engines: separate connection pools) race over 400 events."""
    from core.db import make_engine

    boxes = [Inbox(make_engine(app_url)) for _ in range(2)]
    boxes[0].create_schema()
    events = [reg(n, pidm=n % 40 + 1, minutes=n) for n in range(400)]
    random.Random(3).shuffle(events)
    boxes[0].store_many(events, source="t")
    seen: Counter[str] = Counter()
    order: list[str] = []
    lock = threading.Lock()

    def work(box: Inbox, name: str) -> None:
        while records := box.claim(name, limit=5, lease=LEASE):
            for record in records:
                with lock:
                    seen[record.event_id] += 1
                    order.append(record.event_id)
                box.complete(record.event_id)

    threads = [threading.Thread(target=work, args=(b, f"w{i}")) for i, b in enumerate(boxes)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(seen) == 400 and max(seen.values()) == 1
    for pidm in range(1, 41):
        mine = [int(e[1:]) for e in order if int(e[1:]) % 40 + 1 == pidm]
        assert mine == sorted(mine)
    assert boxes[0].counts()["done"] == 400


def test_naive_times_are_utc(inbox: Inbox) -> None:
    naive = reg(1).model_copy(update={"occurred_at": datetime(2026, 1, 12, 9, 0)})
    inbox.store(naive, source="t")
    assert inbox.get("e1").occurred_at == datetime(2026, 1, 12, 9, 0, tzinfo=UTC)
