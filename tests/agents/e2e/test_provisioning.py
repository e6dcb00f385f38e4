"""Section provisioning from a department template, and cancelled sections handed to a person."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from agents.deps import ProvisioningConfig
from core.settings import Settings
from policies.pii import Redactor
from sandbox.canvas.testing import SimulatorHandle
from tests.agents.e2e.conftest import TERM, World, add_canvas_users, make_world, people
from tools.canvas.client import CanvasClient


def group_crns(world: World, group: str = "XA") -> list[str]:
    rows = world.sql(
        "SELECT ssrxlst_crn FROM ssrxlst WHERE ssrxlst_term_code = :t AND ssrxlst_xlst_group = :g"
        " ORDER BY ssrxlst_crn",
        t=TERM, g=group,
    )  # fmt: skip
    return [str(crn) for (crn,) in rows]


def instructors(world: World, crn: str) -> dict[int, str]:
    rows = world.sql(
        "SELECT a.sirasgn_pidm, p.spriden_id FROM sirasgn a JOIN spriden p"
        " ON p.spriden_pidm = a.sirasgn_pidm AND p.spriden_change_ind IS NULL"
        " WHERE a.sirasgn_term_code = :t AND a.sirasgn_crn = :c",
        t=TERM, c=crn,
    )  # fmt: skip
    return {int(pidm): str(banner_id) for pidm, banner_id in rows}


def templated_world(
    banner: Engine,
    sim: SimulatorHandle,
    tmp_path: Path,
    redactor: Redactor,
    monkeypatch: pytest.MonkeyPatch,
) -> World:
    """A world whose department of the XA group copies a template with two assignments.

    The template mapping comes in through ``BCA_CANVAS_TEMPLATES``, as a deployment sets it.
    """
    setup = CanvasClient(sim.base_url, sim.token)
    template = setup.account.create_course(course={"name": "Template", "course_code": "TPL"})
    template.create_assignment({"name": "Lab report", "points_possible": 20, "published": True})
    template.create_assignment({"name": "Final exam", "points_possible": 50, "published": True})
    setup.close()
    with banner.connect() as conn:
        subjects = {
            str(s)
            for (s,) in conn.exec_driver_sql(
                "SELECT DISTINCT ssbsect_subj_code FROM ssbsect JOIN ssrxlst"
                " ON ssrxlst_term_code = ssbsect_term_code AND ssrxlst_crn = ssbsect_crn"
            )
        }
    monkeypatch.setenv("BCA_CANVAS_TEMPLATES", json.dumps(dict.fromkeys(subjects, template.id)))
    configured = ProvisioningConfig.from_settings(Settings(), term_share=0.1)
    assert configured.templates == dict.fromkeys(subjects, template.id)
    return make_world(banner, sim, tmp_path, redactor, templates=configured.templates)


def test_a_new_section_gets_its_group_course_copied_from_the_template_and_its_teachers(
    banner: Engine,
    sim: SimulatorHandle,
    tmp_path: Path,
    redactor: Redactor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = templated_world(banner, sim, tmp_path, redactor, monkeypatch)
    add_canvas_users(world.client, [b for _, b in people(banner)])
    crns = group_crns(world)
    assert len(crns) == 2
    outcome = world.handle(
        kind="banner.section.created", event_id="new-sec", term_code=TERM, crn=crns[1]
    )
    assert outcome.status == "done", outcome
    teachers = instructors(world, crns[1])
    assert teachers and outcome.figures["teachers_enrolled"] == len(teachers)

    course = world.canvas.get_course(f"{TERM}-XA", use_sis_id=True)  # the group is one course
    assert sorted(a.name for a in course.get_assignments()) == ["Final exam", "Lab report"]
    assert sorted(s.sis_section_id for s in course.get_sections()) == [
        f"{TERM}-{crn}" for crn in crns
    ]  # one Canvas section per CRN
    section = world.canvas.get_section(f"{TERM}-{crns[1]}", use_sis_id=True)
    enrolled = {e.sis_user_id for e in section.get_enrollments(type=["TeacherEnrollment"])}
    assert enrolled == set(teachers.values())

    again = world.handle(
        kind="banner.section.changed", event_id="sec-again", term_code=TERM, crn=crns[0]
    )  # the partner's event finds the course made, and copies nothing twice
    assert again.status == "done", again
    assert len(list(course.get_assignments())) == 2


def test_an_instructor_canvas_does_not_know_gets_an_account_and_the_assignment_role(
    banner: Engine,
    sim: SimulatorHandle,
    tmp_path: Path,
    redactor: Redactor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = templated_world(banner, sim, tmp_path, redactor, monkeypatch)
    crn = group_crns(world)[0]
    [(missing, banner_id)] = world.sql(
        "SELECT sirasgn_pidm, spriden_id FROM sirasgn JOIN spriden ON spriden_pidm = sirasgn_pidm"
        " AND spriden_change_ind IS NULL WHERE sirasgn_term_code = :t AND sirasgn_crn = :c"
        " AND sirasgn_primary_ind = 'Y'",
        t=TERM, c=crn,
    )  # fmt: skip
    world.sql(
        "INSERT INTO sirasgn SELECT a.sirasgn_term_code, a.sirasgn_crn, g.gobtpac_pidm, '02',"
        " NULL, a.sirasgn_percent_response, a.sirasgn_activity_date, a.sirasgn_user_id,"
        " a.sirasgn_data_origin, a.sirasgn_surrogate_id + 100000, a.sirasgn_version,"
        " a.sirasgn_vpdi_code FROM sirasgn a, gobtpac g WHERE a.sirasgn_term_code = :t"
        " AND a.sirasgn_crn = :c AND a.sirasgn_pidm = :p AND g.gobtpac_pidm <> :p"
        " AND g.gobtpac_pidm NOT IN (SELECT sirasgn_pidm FROM sirasgn WHERE sirasgn_crn = :c)"
        " ORDER BY g.gobtpac_pidm LIMIT 1",
        t=TERM,
        c=crn,
        p=missing,
    )  # fmt: skip  (a secondary instructor, who assists)
    teachers = instructors(world, crn)
    add_canvas_users(world.client, [b for p, b in people(banner) if p != missing])
    outcome = world.handle(
        kind="banner.section.created", event_id="nouser", term_code=TERM, crn=crn
    )
    assert outcome.status == "done", outcome
    assert outcome.figures["teachers_enrolled"] == len(teachers)
    assert outcome.figures["users_created"] == 1
    user = world.client.account.get_users(search_term=banner_id)[0]
    assert user.sis_user_id == banner_id
    section = world.canvas.get_section(f"{TERM}-{crn}", use_sis_id=True)
    roles = {
        e.sis_user_id: e.type
        for e in section.get_enrollments(type=["TeacherEnrollment", "TaEnrollment"])
    }
    [(secondary,)] = world.sql(
        "SELECT spriden_id FROM sirasgn JOIN spriden ON spriden_pidm = sirasgn_pidm"
        " AND spriden_change_ind IS NULL WHERE sirasgn_term_code = :t AND sirasgn_crn = :c"
        " AND sirasgn_primary_ind IS NULL",
        t=TERM, c=crn,
    )  # fmt: skip
    assert roles[banner_id] == "TeacherEnrollment"
    assert roles[secondary] == "TaEnrollment"


def test_an_instructor_banner_gives_no_login_becomes_an_exception_with_the_record(
    banner: Engine,
    sim: SimulatorHandle,
    tmp_path: Path,
    redactor: Redactor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    world = templated_world(banner, sim, tmp_path, redactor, monkeypatch)
    crn = group_crns(world)[0]
    teachers = instructors(world, crn)
    missing = min(teachers)
    add_canvas_users(world.client, [b for p, b in people(banner) if p != missing])
    world.sql("DELETE FROM gobtpac WHERE gobtpac_pidm = :p", p=missing)
    outcome = world.handle(
        kind="banner.section.created", event_id="nologin", term_code=TERM, crn=crn
    )
    assert outcome.status == "needs_person", outcome
    assert outcome.figures["teachers_enrolled"] == len(teachers) - 1
    state = world.graph.get_state({"configurable": {"thread_id": "event:nologin"}})
    [exception] = state.values["exceptions"]
    assert exception["kind"] == "account_login_missing"
    assert (exception["pidm"], exception["term"], exception["crn"]) == (missing, TERM, crn)
    assert "GOBTPAC (none)" in exception["record"]  # pseudonymised in the state
    course = world.canvas.get_course(f"{TERM}-XA", use_sis_id=True)
    assert len(list(course.get_assignments())) == 2  # the course is made all the same


def test_a_section_outside_the_window_gets_no_course_yet(world: World) -> None:
    [(crn,)] = world.sql(
        "SELECT min(ssbsect_crn) FROM ssbsect WHERE ssbsect_term_code = :t"
        " AND ssbsect_ssts_code = 'A' AND ssbsect_ptrm_start_date > '2025-10-15'",
        t=TERM,
    )
    outcome = world.handle(kind="banner.section.created", event_id="early", term_code=TERM, crn=crn)
    assert outcome.status == "noop" and "its Canvas course is made from" in outcome.detail
    assert list(world.canvas.get_account(1).get_courses()) == []


def cancel(world: World, crn: str) -> tuple[int, int]:
    """Banner cancels the section; returns its enrolled and wait-listed counts (SSBSECT)."""
    world.sql(
        "UPDATE ssbsect SET ssbsect_ssts_code = 'C' WHERE ssbsect_term_code = :t"
        " AND ssbsect_crn = :c",
        t=TERM, c=crn,
    )  # fmt: skip
    [(enrolled, waiting)] = world.sql(
        "SELECT ssbsect_enrl, ssbsect_wait_count FROM ssbsect WHERE ssbsect_term_code = :t"
        " AND ssbsect_crn = :c",
        t=TERM, c=crn,
    )  # fmt: skip
    return int(enrolled), int(waiting)


def handed_over(world: World, event_id: str) -> dict[str, Any]:
    state = world.graph.get_state({"configurable": {"thread_id": f"event:{event_id}"}})
    [exception] = state.values["exceptions"]
    assert exception["kind"] == "section_cancelled"
    return dict(exception)


def test_a_cancelled_section_goes_to_a_person_with_its_course_and_counts(world: World) -> None:
    crn = group_crns(world)[0]
    made = world.handle(kind="banner.section.created", event_id="made", term_code=TERM, crn=crn)
    assert made.status == "done", made
    section = world.canvas.get_section(f"{TERM}-{crn}", use_sis_id=True)
    students = [b for p, b in people(world.banner) if p not in instructors(world, crn)][:3]
    enrolled = [
        section.enroll_user(
            world.canvas.get_user(b, "sis_user_id").id,
            enrollment={"type": "StudentEnrollment", "enrollment_state": "active"},
        )
        for b in students
    ]
    enrolled[0].deactivate("inactivate")  # no access any more: not counted
    banner_enrolled, banner_waiting = cancel(world, crn)

    outcome = world.handle(
        kind="banner.section.cancelled", event_id="gone", term_code=TERM, crn=crn
    )
    assert outcome.status == "needs_person", outcome
    assert outcome.figures == {
        "banner_enrolled": banner_enrolled,
        "banner_waitlisted": banner_waiting,
        "canvas_with_access": 2,
    }
    exception = handed_over(world, "gone")
    [(subject, number, sequence, title)] = world.sql(
        "SELECT s.ssbsect_subj_code, s.ssbsect_crse_numb, s.ssbsect_seq_numb,"
        " coalesce(s.ssbsect_crse_title, c.scbcrse_title) FROM ssbsect s LEFT JOIN scbcrse c"
        " ON c.scbcrse_subj_code = s.ssbsect_subj_code AND c.scbcrse_crse_numb ="
        " s.ssbsect_crse_numb AND c.scbcrse_eff_term = (SELECT max(n.scbcrse_eff_term) FROM"
        " scbcrse n WHERE n.scbcrse_subj_code = s.ssbsect_subj_code AND n.scbcrse_crse_numb ="
        " s.ssbsect_crse_numb AND n.scbcrse_eff_term <= :t)"
        " WHERE s.ssbsect_term_code = :t AND s.ssbsect_crn = :c",
        t=TERM, c=crn,
    )  # fmt: skip
    detail = exception["detail"]
    assert (
        f"Banner cancelled {subject} {number}-{sequence} {title} (section {TERM}/{crn})" in detail
    )
    assert f"with {banner_enrolled} enrolled and {banner_waiting} wait-listed" in detail
    assert f"Canvas course {TERM}-XA (shared with cross-list group XA)" in detail
    assert "2 students still have access" in detail
    assert (exception["term"], exception["crn"]) == (TERM, crn)
    kept = section.get_enrollments(state=["active"], type=["StudentEnrollment"])
    assert len(list(kept)) == 2  # nothing was ended: that is the person's call


def test_a_cancelled_section_without_a_course_says_so(world: World) -> None:
    [(crn,)] = world.sql(
        "SELECT min(ssbsect_crn) FROM ssbsect LEFT JOIN ssrxlst ON ssrxlst_crn = ssbsect_crn"
        " WHERE ssbsect_term_code = :t AND ssrxlst_crn IS NULL AND ssbsect_enrl > 0",
        t=TERM,
    )
    banner_enrolled, _ = cancel(world, crn)
    outcome = world.handle(kind="banner.section.changed", event_id="off", term_code=TERM, crn=crn)
    assert outcome.status == "needs_person", outcome
    assert outcome.figures["banner_enrolled"] == banner_enrolled > 0
    assert "canvas_with_access" not in outcome.figures
    detail = handed_over(world, "off")["detail"]
    assert f"with {banner_enrolled} enrolled" in detail
    assert "Canvas could not say who has access (Canvas section not found" in detail, detail
