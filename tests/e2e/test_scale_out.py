"""Two ``bca worker`` processes on RabbitMQ, a term start's mixed events with 10% duplicates
shuffled within 5 s, one worker SIGKILLed mid-run and restarted: every unique event is done
once, none failed or dead, Canvas holds exactly Banner's enrolments and a reconciliation
plans nothing.

The size is ``BCA_E2E_EVENTS``-ish (students and sections chosen for ~600 events here, so the
e2e area stays within minutes); ``bench/pipeline.py`` runs the full 5,000.
"""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core.db import make_engine
from core.settings import Settings
from runtime.demo import TermEvents, embedded_world
from runtime.loadgen import arrivals, scale_run
from tests.runtime.conftest import broker_url  # noqa: F401 (fixture)


def test_arrivals_duplicate_a_tenth_and_shuffle_within_the_window(tmp_path: Path) -> None:
    from agents.events import SectionCreated

    now = datetime(2026, 9, 1, tzinfo=UTC)
    events = [
        SectionCreated(event_id=f"s{n}", occurred_at=now + timedelta(seconds=n),
                       term_code="202710", crn=str(10000 + n))
        for n in range(200)
    ]  # fmt: skip
    got = arrivals(events, seed=3)
    assert len(got) == 220 and {e.event_id for e in got} == {e.event_id for e in events}
    order = [int(e.event_id[1:]) for e in got]
    assert order != sorted(order)
    assert all(later >= earlier - 5 for n, earlier in enumerate(order) for later in order[n:])


def test_two_workers_on_rabbitmq_one_killed_apply_each_unique_event_once(
    tmp_path: Path,
    broker_url: str,  # noqa: F811
) -> None:
    base = Settings.embedded_in(tmp_path / "var")
    with embedded_world(base, students=200, sections=8) as (settings, _sim, term):
        banner = make_engine(settings.banner_url)
        events = TermEvents(banner, term, datetime.now(UTC), timedelta(milliseconds=20))
        mixed = [*events.sections(), *events.registrations()]
        mixed += events.drops_and_promotions()
        figures = scale_run(
            settings, broker_url, term, mixed, workers=2, kill_at=0.3, lease_seconds=10.0
        )
        enrolled = events.sql(
            "SELECT COUNT(*) FROM sfrstcr r JOIN stvrsts s ON s.stvrsts_code ="
            " r.sfrstcr_rsts_code AND s.stvrsts_incl_sect_enrl = 'Y' WHERE"
            " r.sfrstcr_term_code = :t",
            t=term,
        )[0][0]
        banner.dispose()
    assert figures["worker_killed"] and figures["duplicates"] == round(len(mixed) * 0.1)
    assert figures["events_done"] == figures["events_unique"] == len(mixed)
    assert figures["events_failed"] == 0 and figures["events_dead"] == 0
    assert figures["drift"] == 0
    with sqlite3.connect(settings.var_dir / "canvas-sim.db") as canvas:
        [(active,)] = canvas.execute(
            "SELECT COUNT(*) FROM enrollments WHERE type = 'StudentEnrollment'"
            " AND workflow_state = 'active'"
        ).fetchall()
    assert active == enrolled
