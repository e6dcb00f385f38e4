"""Whole-term roster reconciliation: Banner's registrations against Canvas's enrollments, as a plan.

Rules first: what each enrollment should be comes from :mod:`agents.rules.enrollment_status`
(census rule, wait-list policy); this module only diffs that target against what Canvas holds and
names the smallest set of changes that closes the gap. It performs no I/O: the roster-sync graph
reads Banner and Canvas through the tools, calls :func:`plan_roster`, asks
:func:`mass_drop_verdict` whether a registrar must approve, picks a channel with
:func:`choose_channel` and applies the actions.

The plan is **idempotent**: applied to the Canvas state it was planned from, re-planning yields no
action. It is **stable**: actions are sorted (structure before enrollments, then by course,
section, role, user), so two runs over the same data produce the same plan, and a dry run is
diffable. Teacher enrollments are never touched unless :class:`PlanOptions` says so.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from datetime import date
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from agents.rules.enrollment_status import (
    CanvasStatus,
    RegistrationFacts,
    TermPolicy,
    enrollment_status_from_registration,
)
from core.ids import course_sis_id, section_sis_id


class RosterInputError(ValueError):
    """The Banner or Canvas input contradicts itself (a duplicate key), so no plan is made."""


class EnrollmentRole(StrEnum):
    """Canvas enrollment types."""

    STUDENT = "StudentEnrollment"
    TEACHER = "TeacherEnrollment"
    TA = "TaEnrollment"
    OBSERVER = "ObserverEnrollment"
    DESIGNER = "DesignerEnrollment"


def instructor_role(primary: bool) -> EnrollmentRole:
    """SIRASGN's primary instructor teaches the section; a secondary one assists it (a TA)."""
    return EnrollmentRole.TEACHER if primary else EnrollmentRole.TA


class EnrollmentState(StrEnum):
    """Canvas enrollment ``enrollment_state`` values (the list filter's ``state[]``)."""

    ACTIVE = "active"
    INVITED = "invited"
    CREATION_PENDING = "creation_pending"
    INACTIVE = "inactive"
    COMPLETED = "completed"
    DELETED = "deleted"
    REJECTED = "rejected"


LIVE_STATES = frozenset(
    {EnrollmentState.ACTIVE, EnrollmentState.INVITED, EnrollmentState.CREATION_PENDING}
)
"""States that give (or are about to give) access: what the mass-drop threshold protects."""

_GONE_STATES = frozenset({EnrollmentState.DELETED, EnrollmentState.REJECTED})


class ActionKind(StrEnum):
    """What one action does; the enrollment kinds map one-to-one onto a Canvas call."""

    PROVISION = "provision"  # create the course shell (from a template, else blank)
    ADD_SECTION = "add_section"  # POST courses/:id/sections
    CROSSLIST = "crosslist"  # POST sections/:id/crosslist/:course: move into the group's course
    ENROLL = "enroll"  # POST enrollments with enrollment_state=active
    REACTIVATE = "reactivate"  # PUT enrollments/:id/reactivate (inactive → active)
    INACTIVATE = "inactivate"  # DELETE enrollments/:id task=inactivate
    DELETE = "delete"  # DELETE enrollments/:id task=delete
    CONCLUDE = "conclude"  # DELETE enrollments/:id task=conclude

    @property
    def ends_enrollment(self) -> bool:
        """True for the kinds that take access away (what the mass-drop threshold counts)."""
        return self in {ActionKind.INACTIVATE, ActionKind.DELETE, ActionKind.CONCLUDE}


class FrozenRule(BaseModel):
    """A frozen rule value that refuses unknown fields (plans are compared and hashed)."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class BannerSection(FrozenRule):
    """A section in scope for the term: its CRN and SSRXLST cross-list group, if any."""

    crn: str = Field(min_length=1)
    xlist_group: str | None = None


class RosterRegistration(RegistrationFacts):
    """One SFRSTCR row of the term roster: who, which CRN, and the rule's facts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pidm: int = Field(gt=0)
    sis_user_id: str = Field(min_length=1, description="The Banner ID (SPRIDEN_ID).")
    crn: str = Field(min_length=1)


class InstructorAssignment(FrozenRule):
    """An instructor of a CRN (SIRASGN); used only when teacher enrollments are managed."""

    crn: str = Field(min_length=1)
    sis_user_id: str = Field(min_length=1)


class CanvasEnrollment(FrozenRule):
    """One Canvas enrollment as listed, addressed by SIS ids."""

    user_sis_id: str
    section_sis_id: str
    role: EnrollmentRole = EnrollmentRole.STUDENT
    state: EnrollmentState


class CanvasSnapshot(FrozenRule):
    """What Canvas holds for the term: courses, sections (with their course) and enrollments."""

    course_sis_ids: frozenset[str] = frozenset()
    sections: dict[str, str] = Field(
        default_factory=dict, description="sis_section_id → sis_course_id of the course it is in."
    )
    enrollments: tuple[CanvasEnrollment, ...] = ()


class PlanOptions(FrozenRule):
    """What the planner may touch beyond student enrollments, and the end-of-term switch."""

    manage_teachers: bool = Field(
        default=False,
        description="Diff TeacherEnrollments against SIRASGN: enroll assigned instructors, make"
        " unassigned ones inactive. Off by default: teachers are left alone.",
    )
    conclude_students: bool = Field(
        default=False,
        description="The term is over: students who should be active are concluded (completed)"
        " instead, keeping read-only access.",
    )


class ProvisionCourse(FrozenRule):
    """Create the Canvas course for a CRN or a cross-list group; its sections follow."""

    kind: Literal[ActionKind.PROVISION] = ActionKind.PROVISION
    course_sis_id: str
    term_code: str
    crns: tuple[str, ...]


class SectionChange(FrozenRule):
    """Create a Canvas section in its course, or move an existing one there (cross-list)."""

    kind: Literal[ActionKind.ADD_SECTION, ActionKind.CROSSLIST]
    course_sis_id: str
    section_sis_id: str
    crn: str
    from_course_sis_id: str | None = None


class EnrollmentChange(FrozenRule):
    """Bring one enrollment from ``from_state`` (None: absent) to ``to_state``."""

    kind: Literal[
        ActionKind.ENROLL,
        ActionKind.REACTIVATE,
        ActionKind.INACTIVATE,
        ActionKind.DELETE,
        ActionKind.CONCLUDE,
    ]
    course_sis_id: str
    section_sis_id: str
    user_sis_id: str
    role: EnrollmentRole
    from_state: EnrollmentState | None
    to_state: EnrollmentState
    pidm: int | None = Field(default=None, description="None when Banner has no registration.")


RosterAction = Annotated[
    ProvisionCourse | SectionChange | EnrollmentChange, Field(discriminator="kind")
]


class RosterPlan(FrozenRule):
    """The ordered actions for a term, and what the threshold check needs to judge them."""

    term_code: str
    as_of: date
    actions: tuple[RosterAction, ...]
    live_before: dict[str, int] = Field(
        description="Managed live enrollments per sis_section_id before the plan."
    )
    registrations: int
    unmapped_crns: tuple[str, ...] = Field(
        description="CRNs with registrations but no section in scope: reported, not planned."
    )


_Key = tuple[str, str, EnrollmentRole]  # (section_sis_id, user_sis_id, role)


def _target_for(status: CanvasStatus, options: PlanOptions) -> EnrollmentState:
    if status is CanvasStatus.ACTIVE:
        return EnrollmentState.COMPLETED if options.conclude_students else EnrollmentState.ACTIVE
    return EnrollmentState(status.value)


def _step(current: EnrollmentState | None, target: EnrollmentState) -> ActionKind | None:
    """The one Canvas call that moves ``current`` to ``target``, or None when none is needed.

    Absent, deleted and rejected enrollments are alike: nothing to end, and ``enroll`` (which
    Canvas treats as an upsert) restores them. An enrollment that should not give access and is
    absent stays absent: there is no Canvas work to keep for the record.
    """
    present = None if current is None or current in _GONE_STATES else current
    if present is target:
        return None
    match target, present:
        case EnrollmentState.ACTIVE, EnrollmentState.INACTIVE:
            return ActionKind.REACTIVATE
        case EnrollmentState.ACTIVE, _:
            return ActionKind.ENROLL
        case _, None:
            return None
        case EnrollmentState.INACTIVE, _:
            return ActionKind.INACTIVATE
        case EnrollmentState.COMPLETED, _:
            return ActionKind.CONCLUDE
        case _:  # the target is deleted
            return ActionKind.DELETE


def _most_alive(enrollments: Iterable[CanvasEnrollment]) -> dict[_Key, CanvasEnrollment]:
    """One row per user, section and role: the one that gives the most access.

    Canvas keeps one enrollment per key; should duplicates appear, the live one is compared
    before an inactive, completed or gone one.
    """
    rank = {state: i for i, state in enumerate(EnrollmentState)}
    chosen: dict[_Key, CanvasEnrollment] = {}
    for row in enrollments:
        key = (row.section_sis_id, row.user_sis_id, row.role)
        if key not in chosen or rank[row.state] < rank[chosen[key].state]:
            chosen[key] = row
    return chosen


def _structure(
    term_code: str, sections: Iterable[BannerSection], canvas: CanvasSnapshot
) -> tuple[dict[str, tuple[str, str]], list[ProvisionCourse | SectionChange]]:
    """Map each CRN to (course, section) sis ids and plan the missing courses and sections."""
    placement: dict[str, tuple[str, str]] = {}
    for section in sections:
        if section.crn in placement:
            raise RosterInputError(f"section {section.crn} listed twice for term {term_code}")
        placement[section.crn] = (
            course_sis_id(term_code, section.crn, section.xlist_group),
            section_sis_id(term_code, section.crn),
        )
    actions: list[ProvisionCourse | SectionChange] = []
    by_course: dict[str, list[str]] = {}
    for crn, (course, _) in placement.items():
        by_course.setdefault(course, []).append(crn)
    for course, crns in by_course.items():
        if course not in canvas.course_sis_ids:
            actions.append(
                ProvisionCourse(course_sis_id=course, term_code=term_code, crns=tuple(sorted(crns)))
            )
    for crn, (course, section_id) in placement.items():
        where = canvas.sections.get(section_id)
        if where is None:
            actions.append(
                SectionChange(
                    kind=ActionKind.ADD_SECTION,
                    course_sis_id=course,
                    section_sis_id=section_id,
                    crn=crn,
                )
            )
        elif where != course:
            actions.append(
                SectionChange(
                    kind=ActionKind.CROSSLIST,
                    course_sis_id=course,
                    section_sis_id=section_id,
                    crn=crn,
                    from_course_sis_id=where,
                )
            )
    return placement, actions


_Targets = dict[_Key, tuple[EnrollmentState, int | None]]  # target state and the pidm behind it


def _banner_targets(
    policy: TermPolicy,
    placement: dict[str, tuple[str, str]],
    registrations: Iterable[RosterRegistration],
    instructors: Iterable[InstructorAssignment],
    options: PlanOptions,
) -> tuple[_Targets, set[str], int]:
    """What Banner says each enrollment should be, the CRNs out of scope, and the rows read."""
    targets: _Targets = {}
    unmapped: set[str] = set()
    count = 0
    for registration in registrations:
        count += 1
        if registration.crn not in placement:
            unmapped.add(registration.crn)
            continue
        key = (placement[registration.crn][1], registration.sis_user_id, EnrollmentRole.STUDENT)
        if key in targets:
            raise RosterInputError(
                f"{registration.sis_user_id} registered twice in CRN {registration.crn}"
            )
        status = enrollment_status_from_registration(registration, policy)
        targets[key] = (_target_for(status, options), registration.pidm)
    if options.manage_teachers:
        for assignment in instructors:
            if assignment.crn in placement:
                key = (placement[assignment.crn][1], assignment.sis_user_id, EnrollmentRole.TEACHER)
                targets[key] = (EnrollmentState.ACTIVE, None)
    return targets, unmapped, count


def plan_roster(
    policy: TermPolicy,
    *,
    sections: Iterable[BannerSection],
    registrations: Iterable[RosterRegistration],
    canvas: CanvasSnapshot,
    as_of: date,
    instructors: Iterable[InstructorAssignment] = (),
    options: PlanOptions | None = None,
) -> RosterPlan:
    """Plan the actions that make Canvas match Banner for the sections in scope.

    Each registration's target comes from the census rule. A Canvas enrollment in a managed
    section that Banner does not know (the SFRSTCR row is gone) is judged as a drop on ``as_of``:
    deleted up to census day, inactive after it. An instructor no longer assigned is made
    inactive. Enrollments in sections outside the scope, and roles not managed, are left alone.

    Raises:
        RosterInputError: a CRN listed twice, or one student registered twice in a CRN.
    """
    options = options or PlanOptions()
    placement, structure = _structure(policy.term_code, sections, canvas)
    managed_roles = {EnrollmentRole.STUDENT}
    if options.manage_teachers:
        managed_roles.add(EnrollmentRole.TEACHER)
    managed_sections = {section for _, section in placement.values()}
    current = _most_alive(
        row
        for row in canvas.enrollments
        if row.section_sis_id in managed_sections and row.role in managed_roles
    )

    targets, unmapped, count = _banner_targets(
        policy, placement, registrations, instructors, options
    )
    dropped_today = RegistrationFacts(
        enrolled=False, waitlisted=False, withdrawn=False, status_date=as_of
    )
    orphan_target = {
        EnrollmentRole.STUDENT: EnrollmentState(
            enrollment_status_from_registration(dropped_today, policy).value
        ),
        EnrollmentRole.TEACHER: EnrollmentState.INACTIVE,
    }
    for key, row in current.items():
        if key not in targets:
            targets[key] = (orphan_target[row.role], None)

    course_of = {section: course for course, section in placement.values()}
    changes: list[EnrollmentChange] = []
    for (section, user, role), (target, pidm) in targets.items():
        existing = current.get((section, user, role))
        from_state = existing.state if existing else None
        kind = _step(from_state, target)
        if kind is not None:
            changes.append(
                EnrollmentChange(
                    kind=kind,
                    course_sis_id=course_of[section],
                    section_sis_id=section,
                    user_sis_id=user,
                    role=role,
                    from_state=from_state,
                    to_state=target,
                    pidm=pidm,
                )
            )
    live_before = Counter(
        section for (section, _, _), row in current.items() if row.state in LIVE_STATES
    )
    structure.sort(key=lambda a: (a.kind != ActionKind.PROVISION, a.course_sis_id, _section(a)))
    changes.sort(key=lambda a: (a.course_sis_id, a.section_sis_id, a.role, a.user_sis_id))
    return RosterPlan(
        term_code=policy.term_code,
        as_of=as_of,
        actions=(*structure, *changes),
        live_before=dict(sorted(live_before.items())),
        registrations=count,
        unmapped_crns=tuple(sorted(unmapped)),
    )


def _section(action: ProvisionCourse | SectionChange) -> str:
    return action.section_sis_id if isinstance(action, SectionChange) else ""
