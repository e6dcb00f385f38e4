"""``canvas.enrollment`` events: traced back to Banner, the Banner rule re-applied, or a reason."""

from __future__ import annotations

from typing import Any

import pytest
from canvasapi.section import Section

from agents.state import Outcome
from tests.agents.e2e.conftest import TERM, World, people
from tests.agents.e2e.test_events import canvas_enrollment, registered, set_status


def provisioned(world: World, crosslisted: bool) -> tuple[int, str, Section]:
    """A registered student and their section, whose Canvas course exists (no enrollments)."""
    pidm, crn = registered(world, crosslisted)
    made = world.handle(kind="banner.section.created", event_id="sec", term_code=TERM, crn=crn)
    assert made.status == "done", made
    return pidm, crn, world.canvas.get_section(f"{TERM}-{crn}", use_sis_id=True)


def canvas_user(world: World, pidm: int) -> Any:
    [banner_id] = [b for p, b in people(world.banner) if p == pidm]
    return world.canvas.get_user(banner_id, "sis_user_id")


def by_hand(section: Section, user_id: int) -> Any:
    """What someone does in the Canvas UI: enroll a user directly, whatever Banner says."""
    return section.enroll_user(
        user_id, enrollment={"type": "StudentEnrollment", "enrollment_state": "active"}
    )


def enrollment_event(world: World, event_id: str, **ids: Any) -> Outcome:
    ids = {k: None if v is None else str(v) for k, v in ids.items()}
    return world.handle(kind="canvas.enrollment", event_id=event_id, workflow_state="active", **ids)


@pytest.mark.parametrize("crosslisted", [False, True])
def test_a_hand_made_enrollment_of_a_dropped_student_is_ended(
    world: World, crosslisted: bool
) -> None:
    pidm, crn, section = provisioned(world, crosslisted)
    set_status(world, pidm, crn, "DD", "2025-09-12")  # dropped after census: inactive
    user = canvas_user(world, pidm)
    by_hand(section, user.id)
    assert (canvas_enrollment(world, pidm, crn) or ("",))[0] == "active"

    outcome = enrollment_event(
        world, "hand-1", course_id=section.course_id, section_id=section.id, user_id=user.id
    )
    assert outcome.status == "done" and outcome.figures["inactivate"] == 1, outcome
    assert outcome.detail.startswith(f"canvas.enrollment {TERM}/{crn}")
    assert (canvas_enrollment(world, pidm, crn) or ("",))[0] == "inactive"


def test_a_registered_students_enrollment_ended_by_hand_is_restored(world: World) -> None:
    pidm, crn, section = provisioned(world, False)
    user = canvas_user(world, pidm)
    by_hand(section, user.id).deactivate("inactivate")
    # The event names no section and only the user's SIS id: the one-section course and
    # the Banner ID are enough.
    outcome = enrollment_event(
        world, "hand-2", course_id=section.course_id, user_sis_id=user.sis_user_id
    )
    assert outcome.status == "done" and outcome.figures["reactivate"] == 1, outcome
    assert (canvas_enrollment(world, pidm, crn) or ("",))[0] == "active"
    again = enrollment_event(  # Canvas's own echo of the fix: nothing left to do
        world, "hand-3", course_id=section.course_id, user_sis_id=user.sis_user_id
    )
    assert again.status == "noop" and "already matches" in again.detail


def test_enrollments_outside_banner_are_left_alone_with_the_reason(world: World) -> None:
    pidm, _, section = provisioned(world, False)
    course = world.canvas.get_course(section.course_id)
    extra = course.create_course_section(course_section={"name": "Office hours"})
    user = canvas_user(world, pidm)
    by_hand(extra, user.id)
    in_extra = enrollment_event(
        world, "extra", course_id=course.id, section_id=extra.id, user_id=user.id
    )
    assert in_extra.status == "noop" and "names no single Banner section" in in_extra.detail

    guest = world.canvas.get_account(1).create_user({"unique_id": "guest@example.edu"})
    by_hand(section, guest.id)
    outcome = enrollment_event(
        world, "guest", course_id=course.id, section_id=section.id, user_id=guest.id
    )
    assert outcome.status == "noop" and "no SIS id" in outcome.detail
    assert [e.user_id for e in section.get_enrollments(user_id=guest.id)] == [guest.id]


def test_canvas_objects_that_do_not_exist_are_dead_letters(world: World) -> None:
    pidm, _, section = provisioned(world, False)
    user = canvas_user(world, pidm)
    gone = enrollment_event(
        world, "gone", course_id=section.course_id, section_id=987654, user_id=user.id
    )
    assert gone.status == "dead_letter" and "section" in gone.detail, gone
    stranger = enrollment_event(
        world, "stranger", course_id=section.course_id, section_id=section.id,
        user_sis_id="A99999999",
    )  # fmt: skip
    assert stranger.status == "dead_letter" and "canvas.enrollment" in stranger.detail
