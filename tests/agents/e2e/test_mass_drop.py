"""A reconciliation that would end more than the share waits for a registrar: approve or reject."""

from __future__ import annotations

from typing import Any

import pytest

from tests.agents.e2e.conftest import TERM, World


def reconcile(world: World, event_id: str) -> Any:
    return world.handle(kind="scheduled.reconcile_term", event_id=event_id, term_code=TERM)


def drop_most_of_the_term(world: World) -> int:
    """Banner drops 40% of live registrations in provisioned sections after census."""
    rows = world.sql(
        "SELECT sfrstcr_pidm, sfrstcr_crn FROM sfrstcr JOIN stvrsts"
        " ON stvrsts_code = sfrstcr_rsts_code JOIN ssbsect ON ssbsect_term_code = :t"
        " AND ssbsect_crn = sfrstcr_crn AND ssbsect_ssts_code = 'A'"
        " AND ssbsect_ptrm_start_date <= '2025-10-15' WHERE sfrstcr_term_code = :t"
        " AND stvrsts_incl_sect_enrl = 'Y' ORDER BY sfrstcr_pidm, sfrstcr_crn",
        t=TERM,
    )
    chosen = rows[::5] + rows[1::5]
    for pidm, crn in chosen:
        world.sql(
            "UPDATE sfrstcr SET sfrstcr_rsts_code = 'DD', sfrstcr_rsts_date = '2025-09-14'"
            " WHERE sfrstcr_term_code = :t AND sfrstcr_pidm = :p AND sfrstcr_crn = :c",
            t=TERM, p=pidm, c=crn,
        )  # fmt: skip
    return len(chosen)


def pending_request(world: World, event_id: str) -> dict[str, Any]:
    state = world.graph.get_state({"configurable": {"thread_id": f"event:{event_id}"}})
    [value] = [i.value for task in state.tasks for i in task.interrupts]
    return dict(value)


def inactive_count(world: World) -> int:
    return sum(
        1
        for course in world.canvas.get_account(1).get_courses()
        for _ in course.get_enrollments(type=["StudentEnrollment"], state=["inactive"])
    )


@pytest.mark.parametrize("decision", ["approve", "reject"])
def test_a_mass_drop_waits_for_a_registrar(world: World, decision: str) -> None:
    assert reconcile(world, "first").status == "done"
    dropped = drop_most_of_the_term(world)

    paused = reconcile(world, "mass")
    assert paused.status == "needs_person" and "canvas_apply_roster_plan" in paused.detail
    request = pending_request(world, "mass")
    assert request["approver"] == "registrar"
    assert "live enrollments" in request["description"]  # the plan's figures are the evidence
    assert inactive_count(world) == 0  # nothing ended before a person decided

    answer = {
        "type": decision,
        "request_id": request["id"],
        "by": {"actor": "person:registrar", "role": "registrar", "pidm": 1},
    }
    outcome = world.resume("mass", answer)
    if decision == "approve":
        assert outcome.status == "done", outcome
        assert outcome.figures["applied_inactivate"] == dropped
        assert inactive_count(world) == dropped
        again = world.handle(
            kind="scheduled.reconcile_term", event_id="after", term_code=TERM, apply=False
        )
        assert again.figures["total"] == 0
    else:
        assert outcome.status == "rejected", outcome
        assert inactive_count(world) == 0


def test_an_agent_cannot_approve_its_own_mass_drop(world: World) -> None:
    reconcile(world, "first")
    drop_most_of_the_term(world)
    reconcile(world, "mass")
    request = pending_request(world, "mass")
    answer = {
        "type": "approve",
        "request_id": request["id"],
        "by": {"actor": "agent:roster", "role": "registrar"},
    }
    outcome = world.resume("mass", answer)
    assert outcome.status == "rejected" and "own request" in outcome.detail
    assert inactive_count(world) == 0
