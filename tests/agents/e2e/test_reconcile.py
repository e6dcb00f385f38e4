"""Whole-term reconciliation: dry run, apply, then nothing left to do and Canvas equal to Banner."""

from __future__ import annotations

from collections import defaultdict
from datetime import timedelta

from agents.rules.enrollment_status import (
    CanvasStatus,
    RegistrationFacts,
    TermPolicy,
    enrollment_status_from_registration,
)
from tests.agents.e2e.conftest import CENSUS, TERM, TODAY, World


def banner_expectation(world: World) -> dict[str, dict[str, str]]:
    """section sis id → Banner ID → 'active' for those Banner gives access (SQL + census rule)."""
    rows = world.sql(
        "SELECT r.sfrstcr_crn, p.spriden_id, t.stvrsts_incl_sect_enrl, t.stvrsts_wait_ind,"
        " t.stvrsts_withdraw_ind, r.sfrstcr_rsts_date FROM sfrstcr r"
        " JOIN stvrsts t ON t.stvrsts_code = r.sfrstcr_rsts_code"
        " JOIN spriden p ON p.spriden_pidm = r.sfrstcr_pidm AND p.spriden_change_ind IS NULL"
        " JOIN ssbsect s ON s.ssbsect_term_code = r.sfrstcr_term_code"
        " AND s.ssbsect_crn = r.sfrstcr_crn AND s.ssbsect_ssts_code = 'A'"
        " WHERE r.sfrstcr_term_code = :t AND s.ssbsect_ptrm_start_date <= :due",
        t=TERM,
        due=TODAY + timedelta(days=world.deps.provisioning.window_days),
    )
    policy = TermPolicy(term_code=TERM, census_date=CENSUS)
    expected: dict[str, dict[str, str]] = defaultdict(dict)
    for crn, banner_id, incl, wait, withdraw, when in rows:
        facts = RegistrationFacts(
            enrolled=incl == "Y", waitlisted=wait == "Y", withdrawn=withdraw == "Y",
            status_date=when,
        )  # fmt: skip
        status = enrollment_status_from_registration(facts, policy)
        if status is CanvasStatus.ACTIVE:  # no access is never created, only taken away
            expected[f"{TERM}-{crn}"][banner_id] = status.value
    return expected


def canvas_state(world: World, sections: list[str]) -> dict[str, dict[str, str]]:
    held: dict[str, dict[str, str]] = defaultdict(dict)
    for sis_section in sections:
        section = world.canvas.get_section(sis_section, use_sis_id=True)
        for e in section.get_enrollments(type=["StudentEnrollment"], state=["active", "inactive"]):
            held[sis_section][e.sis_user_id] = e.enrollment_state
    return held


def test_apply_then_a_second_dry_run_plans_nothing_and_canvas_matches_banner(world: World) -> None:
    dry = world.handle(
        kind="scheduled.reconcile_term", event_id="r-dry", term_code=TERM, apply=False
    )
    assert dry.status == "done", dry
    assert dry.figures["total"] > 0 and dry.figures["plan_enroll"] > 0
    assert dry.figures["sis_import"] == 1  # above the REST cut-off
    assert list(world.canvas.get_account(1).get_courses()) == []  # a dry run changes nothing

    done = world.handle(kind="scheduled.reconcile_term", event_id="r-apply", term_code=TERM)
    assert done.status == "done", done
    assert done.figures["applied_enroll"] == dry.figures["plan_enroll"]
    assert done.figures["applied_provision"] == dry.figures["plan_provision"] > 0

    again = world.handle(
        kind="scheduled.reconcile_term", event_id="r-again", term_code=TERM, apply=False
    )
    assert again.status == "noop" and again.figures["total"] == 0, again

    expected = banner_expectation(world)
    assert canvas_state(world, sorted(expected)) == expected


def test_a_reconciliation_of_some_sections_plans_and_applies_only_those(world: World) -> None:
    expected = banner_expectation(world)
    grouped = {f"{TERM}-{crn}" for (crn,) in world.sql("SELECT ssrxlst_crn FROM ssrxlst")}
    chosen, other = [s for s in sorted(expected) if s not in grouped][:2]  # one course each
    crn = chosen.removeprefix(f"{TERM}-")
    dry = world.handle(
        kind="scheduled.reconcile_term", event_id="s-dry", term_code=TERM, apply=False,
        crns=[crn],
    )  # fmt: skip
    assert dry.status == "done" and dry.figures["sections"] == 1, dry
    assert dry.figures["plan_enroll"] == len(expected[chosen])

    done = world.handle(
        kind="scheduled.reconcile_term", event_id="s-do", term_code=TERM, crns=[crn]
    )
    assert done.status == "done" and done.figures["applied_enroll"] == len(expected[chosen]), done
    assert canvas_state(world, [chosen]) == {chosen: expected[chosen]}
    assert list(world.canvas.get_account(1).get_courses(search_term=other)) == []
