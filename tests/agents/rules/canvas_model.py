"""A tiny in-memory Canvas that applies a roster plan, checking each action's precondition."""

from __future__ import annotations

from agents.rules.roster_plan import (
    ActionKind,
    CanvasEnrollment,
    CanvasSnapshot,
    EnrollmentChange,
    EnrollmentState,
    ProvisionCourse,
    RosterPlan,
    SectionChange,
)

GONE = {EnrollmentState.DELETED, EnrollmentState.REJECTED}


def apply_plan(snapshot: CanvasSnapshot, plan: RosterPlan) -> CanvasSnapshot:
    """What Canvas would hold after the plan's actions, in order; a wrong precondition fails."""
    courses = set(snapshot.course_sis_ids)
    sections = dict(snapshot.sections)
    rows = {(e.section_sis_id, e.user_sis_id, e.role): e for e in snapshot.enrollments}
    for action in plan.actions:
        if isinstance(action, ProvisionCourse):
            assert action.course_sis_id not in courses
            courses.add(action.course_sis_id)
        elif isinstance(action, SectionChange):
            assert action.course_sis_id in courses
            assert sections.get(action.section_sis_id) == action.from_course_sis_id
            sections[action.section_sis_id] = action.course_sis_id
        else:
            assert isinstance(action, EnrollmentChange)
            assert sections[action.section_sis_id] == action.course_sis_id
            key = (action.section_sis_id, action.user_sis_id, action.role)
            before = rows.get(key)
            assert (before.state if before else None) == action.from_state
            if action.kind is ActionKind.REACTIVATE:
                assert action.from_state is EnrollmentState.INACTIVE
            if action.kind.ends_enrollment:
                assert action.from_state is not None and action.from_state not in GONE
            rows[key] = CanvasEnrollment(
                user_sis_id=action.user_sis_id,
                section_sis_id=action.section_sis_id,
                role=action.role,
                state=action.to_state,
            )
    return CanvasSnapshot(
        course_sis_ids=frozenset(courses), sections=sections, enrollments=tuple(rows.values())
    )
