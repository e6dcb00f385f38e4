"""DB poller on a SQLite Banner: activity-date watermark, dedupe on re-read, STVRSTS flags."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import update

from core.db import make_engine
from runtime.inbox import Inbox, InboxRecord
from runtime.intake.cursors import CursorStore
from runtime.intake.db_poller import DbPoller
from tools.banner import schema

T = datetime(2026, 1, 12, 9, 0)


def housekeeping(table: str, when: datetime) -> dict:
    return {f"{table}_activity_date": when, f"{table}_version": 0}


@pytest.fixture
def banner(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/banner.db")
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(
            schema.stvrsts.insert(),
            [
                {
                    "stvrsts_code": code,
                    "stvrsts_desc": code,
                    "stvrsts_incl_sect_enrl": incl,
                    "stvrsts_wait_ind": wait,
                    "stvrsts_withdraw_ind": wd,
                    "stvrsts_gradable_ind": "Y",
                    **housekeeping("stvrsts", T),
                }
                for code, incl, wait, wd in [
                    ("RE", "Y", "N", "N"),
                    ("DD", "N", "N", "N"),
                    ("WL", "N", "Y", "N"),
                    ("XW", "N", "N", "Y"),
                ]
            ],
        )
        conn.execute(
            schema.ssbsect.insert(),
            {
                "ssbsect_term_code": "202610",
                "ssbsect_crn": "10001",
                "ssbsect_subj_code": "MATH",
                "ssbsect_crse_numb": "101",
                "ssbsect_seq_numb": "001",
                "ssbsect_ssts_code": "A",
                "ssbsect_max_enrl": 30,
                "ssbsect_enrl": 2,
                "ssbsect_seats_avail": 28,
                "ssbsect_wait_capacity": 5,
                "ssbsect_wait_count": 0,
                **housekeeping("ssbsect", T),
            },
        )
        conn.execute(
            schema.sfrstcr.insert(),
            [
                {
                    "sfrstcr_term_code": "202610",
                    "sfrstcr_crn": "10001",
                    "sfrstcr_pidm": pidm,
                    "sfrstcr_rsts_code": rsts,
                    "sfrstcr_rsts_date": date(2026, 1, 12),
                    "sfrstcr_add_date": date(2026, 1, 5),
                    "sfrstcr_levl_code": "UG",
                    **housekeeping("sfrstcr", T + timedelta(minutes=pidm)),
                }
                for pidm, rsts in [(1, "RE"), (2, "WL"), (3, "XW")]
            ],
        )
        conn.execute(
            schema.sprhold.insert(),
            {
                "sprhold_pidm": 1,
                "sprhold_hldd_code": "RH",
                "sprhold_user": "X",
                "sprhold_from_date": date(2026, 1, 1),
                "sprhold_to_date": date(2099, 1, 1),
                "sprhold_release_ind": "N",
                **housekeeping("sprhold", T),
            },
        )
    yield engine
    engine.dispose()


def kind_of(record: InboxRecord) -> str:
    """A stored (well-formed) event's kind; only malformed rows have none."""
    assert record.kind is not None, record.event_id
    return record.kind


def subject_of(record: InboxRecord) -> str:
    """A stored (well-formed) event's subject key; only malformed rows have none."""
    assert record.subject_key is not None, record.event_id
    return record.subject_key


def test_poll_watermark_and_changes(inbox: Inbox, banner) -> None:
    cursors = CursorStore(inbox.engine)
    cursors.create_schema()
    poller = DbPoller(inbox, cursors, banner)
    assert poller.poll_once() == 5
    kinds = sorted(kind_of(r) for r in inbox.list_events())
    assert kinds == sorted(
        [
            "banner.section.changed",
            "banner.registration.added",
            "banner.registration.waitlisted",
            "banner.registration.withdrawn",
            "banner.hold.placed",
        ]
    )
    assert cursors.get("db_poll:SFRSTCR") == (T + timedelta(minutes=3)).isoformat()
    assert poller.poll_once() == 0, "the overlap re-reads, the inbox dedupes"

    with banner.begin() as conn:
        conn.execute(
            update(schema.sfrstcr)
            .where(schema.sfrstcr.c.sfrstcr_pidm == 1)
            .values(sfrstcr_rsts_code="DD", sfrstcr_activity_date=T + timedelta(hours=1))
        )
        conn.execute(
            update(schema.sfrstcr)
            .where(schema.sfrstcr.c.sfrstcr_pidm == 2)
            .values(
                sfrstcr_rsts_code="RE",
                sfrstcr_grde_code="I",
                sfrstcr_activity_date=T + timedelta(hours=1),
            )
        )
    fresh = DbPoller(inbox, cursors, banner)  # a restart keeps the watermark
    assert fresh.poll_once() == 2
    pidm1 = [r for r in inbox.list_events(statuses=["received"]) if subject_of(r).endswith(":1")]
    order = [r.kind for r in sorted(pidm1, key=lambda r: r.occurred_at)]
    assert order == ["banner.registration.added", "banner.registration.dropped"]
    assert any(r.kind == "banner.grade.entered" for r in inbox.list_events())
