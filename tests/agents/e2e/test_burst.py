"""Done when: a term-start burst of one section's registrations is one run and far fewer requests.

The events go the worker's way: stored in an inbox, claimed by :class:`InProcessWorker` and run
by :class:`runtime.pipeline.AgentHandler` (router, guard, audited tools) against the seeded term
and the Canvas simulator over HTTP. Requests are counted by the Canvas client's session; the
enrollments are read back with canvasapi and the ledger with plain SQL.
"""

from __future__ import annotations

import threading
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from agents.events import Event, parse_event
from policies.pii import Redactor
from runtime.burst import partition
from runtime.inbox import Inbox
from runtime.pipeline import AgentHandler
from runtime.worker import InProcessWorker
from sandbox.canvas.testing import SimulatorHandle
from tests.agents.e2e.conftest import TERM, World, add_canvas_users, make_world, people
from tests.agents.e2e.test_provisioning_notifications import handler_for

ENROLLED = (
    "SELECT r.sfrstcr_crn, r.sfrstcr_pidm FROM sfrstcr r"
    " JOIN stvrsts t ON t.stvrsts_code = r.sfrstcr_rsts_code AND t.stvrsts_incl_sect_enrl = 'Y'"
    " JOIN ssbsect s ON s.ssbsect_crn = r.sfrstcr_crn AND s.ssbsect_term_code = r.sfrstcr_term_code"
    " AND s.ssbsect_ssts_code = 'A' AND s.ssbsect_ptrm_start_date <= '2025-10-15'"
    " WHERE r.sfrstcr_term_code = :t AND NOT EXISTS (SELECT 1 FROM ssrxlst x"
    " WHERE x.ssrxlst_term_code = :t AND x.ssrxlst_crn = r.sfrstcr_crn)"
)


def two_sections(world: World) -> list[tuple[str, list[int]]]:
    """The two standalone due sections with the most enrolled students, and those students."""
    by_crn: dict[str, list[int]] = {}
    for crn, pidm in world.sql(ENROLLED, t=TERM):
        by_crn.setdefault(str(crn), []).append(int(pidm))
    largest = sorted(by_crn.items(), key=lambda item: (-len(item[1]), item[0]))[:2]
    assert all(len(pidms) >= 6 for _, pidms in largest), largest
    return largest


def added(crn: str, pidms: list[int], prefix: str) -> list[Event]:
    return [
        parse_event(
            {
                "kind": "banner.registration.added",
                "event_id": f"{prefix}-{pidm}",
                "term_code": TERM,
                "crn": crn,
                "pidm": pidm,
                "occurred_at": "2025-09-15T10:00:00Z",
            }
        )
        for pidm in pidms
    ]


def provision(handler: AgentHandler, crn: str) -> None:
    created = parse_event(
        {
            "kind": "banner.section.created",
            "event_id": f"prov-{crn}",
            "term_code": TERM,
            "crn": crn,
            "occurred_at": "2025-09-15T09:00:00Z",
        }
    )
    assert handler.handle(created).status == "done"


def drain(handler: AgentHandler, events: list[Event]) -> Inbox:
    inbox = Inbox(handler.pipeline.app_engine)
    inbox.create_schema()
    inbox.store_many(events, source="test")
    InProcessWorker(inbox, handler, worker_id="w", batch=100).run(threading.Event(), once=True)
    return inbox


def outcomes(handler: AgentHandler) -> dict[str, dict[str, Any]]:
    with handler.pipeline.app_engine.connect() as conn:
        rows = conn.execute(text("SELECT thread_id, kind, status, detail FROM run_outcomes")).all()
    return {r.thread_id: {"kind": r.kind, "status": r.status, "detail": r.detail} for r in rows}


def active_students(world: World, crn: str) -> set[str]:
    section = world.canvas.get_section(f"{TERM}-{crn}", use_sis_id=True)
    rows = section.get_enrollments(state=["active"], type=["StudentEnrollment"])
    return {e.sis_user_id for e in rows}


def test_a_section_burst_is_one_run_with_a_record_per_event_and_far_fewer_requests(
    world: World, tmp_path: Path
) -> None:
    handler = handler_for(world, tmp_path, [])
    (burst_crn, burst_pidms), (alone_crn, alone_pidms) = two_sections(world)
    provision(handler, burst_crn)
    provision(handler, alone_crn)
    banner_ids = dict(people(world.banner))

    before = world.client.stats().requests
    for event in added(alone_crn, alone_pidms, "alone"):  # today's way: one run per event
        assert handler.handle(event).status == "done"
    per_event = (world.client.stats().requests - before) / len(alone_pidms)

    before = world.client.stats().requests
    inbox = drain(handler, added(burst_crn, burst_pidms, "burst"))
    grouped = (world.client.stats().requests - before) / len(burst_pidms)

    members = [f"burst-{p}" for p in burst_pidms]
    assert {inbox.get(m).status for m in members} == {"done"}
    recorded = outcomes(handler)
    groups = [t for t, o in recorded.items() if o["kind"] == "banner.registration.burst"]
    assert len(groups) == 1  # one run for the section's events
    assert recorded[groups[0]]["status"] == "done"
    assert f"enroll {len(burst_pidms)}" in recorded[groups[0]]["detail"]
    for member in members:
        row = recorded[f"event:{member}"]
        assert row["kind"] == "banner.registration.added"
        assert row["status"] == "done" and f"group run {groups[0]}" in row["detail"]
    assert active_students(world, burst_crn) >= {banner_ids[p] for p in burst_pidms}
    assert active_students(world, alone_crn) >= {banner_ids[p] for p in alone_pidms}
    print(f"requests per enrollment: one run per event {per_event:.2f}, grouped {grouped:.2f}")
    assert grouped * 2 < per_event


def test_a_burst_through_a_sis_import_costs_a_few_requests_for_the_section(
    banner: Engine, sim: SimulatorHandle, tmp_path: Path, redactor: Redactor
) -> None:
    world = make_world(banner, sim, tmp_path, redactor, rest_max_requests=2)
    add_canvas_users(world.client, [b for _, b in people(banner)])
    handler = handler_for(world, tmp_path, [])
    [(crn, pidms), _] = two_sections(world)
    provision(handler, crn)
    before = world.client.stats().requests
    inbox = drain(handler, added(crn, pidms, "sis"))
    requests = world.client.stats().requests - before
    assert {inbox.get(f"sis-{p}").status for p in pidms} == {"done"}
    banner_ids = dict(people(world.banner))
    assert active_students(world, crn) >= {banner_ids[p] for p in pidms}
    print(f"SIS import burst: {requests} requests for {len(pidms)} enrollments")
    assert requests < len(pidms)


def test_a_group_that_dead_letters_falls_back_to_each_event_alone(
    world: World, tmp_path: Path
) -> None:
    handler = handler_for(world, tmp_path, [])
    pidms = [p for p, _ in people(world.banner)][:3]
    inbox = drain(handler, added("99999", pidms, "ghost"))  # no such section in Banner
    recorded = outcomes(handler)
    [group] = [o for o in recorded.values() if o["kind"] == "banner.registration.burst"]
    assert group["status"] == "dead_letter"
    for pidm in pidms:
        assert inbox.get(f"ghost-{pidm}").status == "dead"  # each ran alone and is recorded
        row = recorded[f"event:ghost-{pidm}"]
        assert row["status"] == "dead_letter" and "group run" not in row["detail"]


def test_the_same_group_again_finds_its_run_and_changes_nothing(
    world: World, tmp_path: Path
) -> None:
    handler = handler_for(world, tmp_path, [])
    [(crn, pidms), _] = two_sections(world)
    provision(handler, crn)
    events = added(crn, pidms, "twice")
    inbox = drain(handler, events)
    assert {inbox.get(e.event_id).status for e in events} == {"done"}
    with handler.pipeline.app_engine.begin() as conn:  # deliver the same events once more
        conn.execute(text("UPDATE inbox_events SET status = 'received', attempts = 0"))
    [group], alone = partition(inbox.claim("w", limit=100, lease=timedelta(minutes=5)))
    assert alone == []
    before = world.client.stats().requests
    assert handler.handle_group(group.burst, group.events)
    assert world.client.stats().requests == before  # its finished run: no Canvas call at all
    banner_ids = dict(people(world.banner))
    assert active_students(world, crn) >= {banner_ids[p] for p in pidms}
