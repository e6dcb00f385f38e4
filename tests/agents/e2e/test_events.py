"""Per-event roster sync, withdrawals (census rule, cross-listing, out of order), bad input."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from agents.state import Outcome
from tests.agents.e2e.conftest import TERM, World, add_canvas_users, make_world, people


def registered(world: World, crosslisted: bool) -> tuple[int, str]:
    """A student enrolled in a due section, cross-listed or not."""
    rows = world.sql(
        "SELECT r.sfrstcr_pidm, r.sfrstcr_crn FROM sfrstcr r"
        " JOIN stvrsts t ON t.stvrsts_code = r.sfrstcr_rsts_code AND t.stvrsts_incl_sect_enrl='Y'"
        " JOIN ssbsect s ON s.ssbsect_crn = r.sfrstcr_crn AND s.ssbsect_term_code = :t"
        " AND s.ssbsect_ssts_code = 'A' AND s.ssbsect_ptrm_start_date <= '2025-10-15'"
        " LEFT JOIN ssrxlst x ON x.ssrxlst_crn = r.sfrstcr_crn AND x.ssrxlst_term_code = :t"
        " WHERE r.sfrstcr_term_code = :t AND (x.ssrxlst_crn IS NOT NULL) = :x"
        " ORDER BY r.sfrstcr_pidm LIMIT 1",
        t=TERM,
        x=crosslisted,
    )
    return int(rows[0][0]), str(rows[0][1])


def set_status(world: World, pidm: int, crn: str, code: str, when: str) -> None:
    world.sql(
        "UPDATE sfrstcr SET sfrstcr_rsts_code = :code, sfrstcr_rsts_date = :d"
        " WHERE sfrstcr_term_code = :t AND sfrstcr_pidm = :p AND sfrstcr_crn = :c",
        code=code, d=when, t=TERM, p=pidm, c=crn,
    )  # fmt: skip


def event(world: World, kind: str, event_id: str, pidm: int, crn: str) -> Outcome:
    return world.handle(kind=kind, event_id=event_id, term_code=TERM, crn=crn, pidm=pidm)


def canvas_enrollment(world: World, pidm: int, crn: str) -> tuple[str, str] | None:
    """(state, course sis id) of the student's enrollment in the CRN's section, if any."""
    [banner_id] = [b for p, b in people(world.banner) if p == pidm]
    section = world.canvas.get_section(f"{TERM}-{crn}", use_sis_id=True)
    states = ["active", "inactive", "deleted", "completed"]
    for e in section.get_enrollments(state=states, sis_user_id=[banner_id]):
        course = world.canvas.get_course(e.course_id)
        return e.enrollment_state, course.sis_course_id
    return None


@pytest.mark.parametrize(
    ("code", "when", "expected"),
    [
        ("WD", "2025-09-10", "inactive"),  # withdrawn → inactive, kept for the record
        ("DD", "2025-09-12", "inactive"),  # dropped after census → inactive
        ("DD", "2025-09-05", "deleted"),  # dropped on census day → deleted
    ],
)
@pytest.mark.parametrize("crosslisted", [True, False])
def test_add_then_withdraw_follows_the_census_rule(
    world: World, code: str, when: str, expected: str, crosslisted: bool
) -> None:
    pidm, crn = registered(world, crosslisted)
    added = event(world, "banner.registration.added", "add-1", pidm, crn)
    assert added.status == "done" and added.figures["enroll"] == 1, added
    state, course = canvas_enrollment(world, pidm, crn) or ("", "")
    assert state == "active"
    group = world.sql(
        "SELECT ssrxlst_xlst_group FROM ssrxlst WHERE ssrxlst_term_code = :t AND ssrxlst_crn = :c",
        t=TERM, c=crn,
    )  # fmt: skip
    assert course == f"{TERM}-{group[0][0] if crosslisted else crn}"  # a group is one course

    set_status(world, pidm, crn, code, when)
    kind = "banner.registration.withdrawn" if code == "WD" else "banner.registration.dropped"
    ended = event(world, kind, "drop-1", pidm, crn)
    assert ended.status == "done", ended
    assert (canvas_enrollment(world, pidm, crn) or ("",))[0] == expected

    again = event(world, kind, "drop-2", pidm, crn)  # a second delivery under a new id
    assert again.status == "noop" and "already matches" in again.detail


def test_a_drop_before_its_add_is_a_defined_noop(world: World) -> None:
    pidm, crn = registered(world, False)
    made = world.handle(kind="banner.section.created", event_id="sec", term_code=TERM, crn=crn)
    assert made.status == "done", made
    set_status(world, pidm, crn, "DD", "2025-09-01")
    assert event(world, "banner.registration.dropped", "early", pidm, crn).status == "noop"
    late_add = event(world, "banner.registration.added", "late", pidm, crn)
    assert late_add.status == "noop"  # Banner says dropped: the stale add enrolls no one
    assert canvas_enrollment(world, pidm, crn) is None


def test_a_redelivered_event_returns_its_recorded_outcome(world: World) -> None:
    pidm, crn = registered(world, False)
    first = event(world, "banner.registration.added", "same", pidm, crn)
    assert event(world, "banner.registration.added", "same", pidm, crn) == first


def test_a_registration_run_is_checkpointed_once_when_it_ends(world: World) -> None:
    """Roster runs use durability "exit": one checkpoint per graph level, holding the outcome."""
    pidm, crn = registered(world, False)
    assert event(world, "banner.registration.added", "once", pidm, crn).status == "done"
    saved = list(world.checkpointer.list({"configurable": {"thread_id": "event:once"}}))
    assert {c.checkpoint["channel_values"].get("outcome", {}).get("status") for c in saved} >= {
        "done"
    }
    by_level = Counter(c.config["configurable"]["checkpoint_ns"].split(":")[0] for c in saved)
    assert by_level and max(by_level.values()) == 1, by_level


def test_a_student_without_a_canvas_account_gets_one_from_banner_then_the_enrollment(
    banner: Any, sim: Any, tmp_path: Any, redactor: Any
) -> None:
    world = make_world(banner, sim, tmp_path, redactor)
    pidm, crn = registered(world, False)
    add_canvas_users(world.client, [b for p, b in people(banner) if p != pidm])
    outcome = event(world, "banner.registration.added", "nouser", pidm, crn)
    assert outcome.status == "done", outcome
    assert (outcome.figures["create_user"], outcome.figures["enroll"]) == (1, 1)
    [(banner_id, first, last, login)] = world.sql(
        "SELECT spriden_id, spriden_first_name, spriden_last_name, gobtpac_external_user"
        " FROM spriden JOIN gobtpac ON gobtpac_pidm = spriden_pidm"
        " WHERE spriden_pidm = :p AND spriden_change_ind IS NULL",
        p=pidm,
    )
    user = world.client.account.get_users(search_term=banner_id)[0]
    assert (user.sis_user_id, user.login_id) == (banner_id, login)
    assert user.sortable_name == f"{last}, {first}"


def test_a_student_banner_gives_no_login_becomes_an_exception_with_the_record(
    banner: Any, sim: Any, tmp_path: Any, redactor: Any
) -> None:
    world = make_world(banner, sim, tmp_path, redactor)
    pidm, crn = registered(world, False)
    add_canvas_users(world.client, [b for p, b in people(banner) if p != pidm])
    world.sql("DELETE FROM gobtpac WHERE gobtpac_pidm = :p", p=pidm)
    outcome = event(world, "banner.registration.added", "nologin", pidm, crn)
    assert outcome.status == "needs_person", outcome
    state = world.graph.get_state({"configurable": {"thread_id": "event:nologin"}})
    kinds = {e["kind"]: e for e in state.values["exceptions"]}
    exception = kinds["account_login_missing"]
    assert (exception["pidm"], exception["crn"], exception["term"]) == (pidm, crn, TERM)
    assert "GOBTPAC (none)" in exception["record"]


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        ({"kind": "banner.unknown", "event_id": "u1"}, "kind"),
        ({"kind": "banner.registration.added", "event_id": "u2", "term_code": "2026"}, "term_code"),
    ],
)
def test_invalid_events_are_dead_letters(
    world: World, payload: dict[str, Any], reason: str
) -> None:
    from agents.run import run_event

    outcome = run_event(
        payload, world.deps, world.checkpointer, world.context, graph=world.graph
    ).outcome
    assert outcome.status == "dead_letter" and reason in outcome.detail


def test_a_registration_in_a_section_banner_does_not_have_is_a_dead_letter(world: World) -> None:
    pidm, _ = registered(world, False)
    outcome = event(world, "banner.registration.added", "ghost", pidm, "99999")
    assert outcome.status == "dead_letter" and "no such section" in outcome.detail
