"""Roster sync as coarse operations: read both sides, plan by the rules, apply to Canvas.

The registry's bulk tools (``canvas_plan_roster``, ``canvas_apply_roster_plan``,
``canvas_ensure_course``, ``canvas_enroll_instructors``) run these functions inside the guard.
They keep whole-term data (100k registrations) out of the agent's messages: a plan is built and
applied here, and only figures and the exceptions a person must resolve come back.

Scope: a whole term, some CRNs, or one student in one CRN (what an event touches). Sections are
in scope when :func:`agents.rules.provisioning.provisioning_due` says so; a cross-list group is
in scope as a whole when any of its sections is. Enrollments are applied through REST or a SIS
import, as :func:`agents.rules.roster_plan.choose_channel` decides.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from agents.deps import ProvisioningConfig
from agents.rules.adapters import (
    from_banner_registrations,
    from_banner_section,
    from_canvas_term,
)
from agents.rules.provisioning import provisioning_due
from agents.rules.roster_plan import (
    ActionKind,
    CanvasSnapshot,
    EnrollmentChange,
    MassDropPolicy,
    MassDropVerdict,
    PlanFigures,
    ProvisionCourse,
    RosterPlan,
    SectionChange,
    SyncChannel,
    choose_channel,
    mass_drop_verdict,
    plan_figures,
    plan_roster,
)
from agents.state import PersonException
from core.ids import banner_section_of, course_sis_id, section_sis_id
from tools.banner import reads
from tools.banner.models import Registration, Section
from tools.canvas import courses, enrollments, lookup
from tools.canvas.client import CanvasClient
from tools.canvas.errors import CanvasNotFound
from tools.canvas.models import (
    CourseShellSpec,
    CrossListSpec,
    EndEnrollment,
    EnrollmentInfo,
    EnrollmentKey,
    EnrollmentQuery,
    EnrollmentSpec,
    SectionInfo,
    SectionSpec,
    SisEnrollmentRow,
    SisImportSpec,
)
from tools.canvas.sis_imports import run_sis_import

MAX_LISTED_EXCEPTIONS = 50
"""Exceptions listed in a tool result; the rest are counted (the result stays small)."""

_END_TASK = {
    ActionKind.INACTIVATE: "inactivate",
    ActionKind.DELETE: "delete",
    ActionKind.CONCLUDE: "conclude",
}
_SIS_STATUS = {
    ActionKind.ENROLL: "active",
    ActionKind.REACTIVATE: "active",
    ActionKind.INACTIVATE: "inactive",
    ActionKind.DELETE: "deleted",
    ActionKind.CONCLUDE: "completed",
}
_SIS_ROLE = {"StudentEnrollment": "student", "TeacherEnrollment": "teacher"}
_MISSING_USER = re.compile(r"User not found for enrollment \(User ID: (?P<user>[^)]+)\)")


@dataclass(frozen=True)
class SyncScope:
    """What a sync covers: a term, optionally some CRNs, optionally one student (by PIDM)."""

    term: str
    crns: tuple[str, ...] | None = None
    pidm: int | None = None


@dataclass(frozen=True)
class BannerSide:
    """The Banner facts of a scope: the sections due and their registrations."""

    sections: dict[str, Section]
    registrations: list[Registration]
    unknown_crns: tuple[str, ...]
    first_class: date | None


@dataclass(frozen=True)
class PlannedSync:
    """A plan with the Banner facts it came from (needed to name courses when applying)."""

    plan: RosterPlan
    banner: BannerSide
    exceptions: list[PersonException]

    @property
    def digest(self) -> str:
        """A short fingerprint: the plan a person approved is the plan that is applied."""
        body = "\n".join(a.model_dump_json() for a in self.plan.actions)
        return hashlib.sha256(body.encode()).hexdigest()[:16]


class PlanReport(BaseModel):
    """What a dry run shows: the plan's figures, the approval verdict, the channel."""

    model_config = ConfigDict(frozen=True)

    term: str
    digest: str
    figures: PlanFigures
    verdict: MassDropVerdict
    channel: SyncChannel
    sections: int
    unknown_crns: list[str]
    exceptions: list[PersonException]
    exceptions_total: int


class ApplyReport(BaseModel):
    """What applying did: per-kind counts, the channel, and exceptions for people."""

    model_config = ConfigDict(frozen=True)

    term: str
    digest: str
    channel: SyncChannel
    applied: dict[str, int] = Field(description="Actions done, by kind.")
    failed: int = Field(description="Actions Canvas refused or could not find (see exceptions).")
    sections: int = Field(description="Sections in scope (active and due).")
    unknown_crns: list[str] = Field(description="CRNs asked for that Banner does not have.")
    exceptions: list[PersonException]
    exceptions_total: int


# ---- reading ---------------------------------------------------------------------------------


def read_banner(db: Engine, scope: SyncScope, today: date, window_days: int) -> BannerSide:
    """The sections due in scope (whole cross-list groups) and their registrations.

    A scope naming CRNs (an event's) reads only those sections, their cross-list partners and
    their registrations (one student's, when it names one), never the whole term: per-event
    cost then does not grow with the term.
    """
    if scope.crns is None:
        listed = reads.term_sections(db, scope.term)
    else:
        listed = reads.sections_with_crosslists(db, scope.term, scope.crns)
    every = {s.crn: s for s in listed}
    due_groups = {
        s.crosslist_group
        for s in listed
        if s.crosslist_group and provisioning_due(s.status, s.start_date, today, window_days)
    }
    sections = {
        crn: s
        for crn, s in sorted(every.items())
        if provisioning_due(s.status, s.start_date, today, window_days)
        or s.crosslist_group in due_groups
    }
    if scope.crns is None:
        registrations = [
            r
            for r in reads.term_roster_snapshot(db, scope.term)
            if r.crn in sections and (scope.pidm is None or r.pidm == scope.pidm)
        ]
    else:
        registrations = (
            reads.sections_roster_snapshot(db, scope.term, list(sections), scope.pidm)
            if sections
            else []
        )
    return BannerSide(
        sections=sections,
        registrations=registrations,
        unknown_crns=tuple(sorted(set(scope.crns or ()) - set(every))),
        first_class=reads.term_first_class(db, scope.term),
    )


def _course_ids(scope: SyncScope, sections: Iterable[Section]) -> dict[str, str]:
    """CRN → the sis_course_id of its Canvas course."""
    return {s.crn: course_sis_id(scope.term, s.crn, s.crosslist_group) for s in sections}


def read_canvas(
    client: CanvasClient, scope: SyncScope, banner: BannerSide, banner_id: str | None
) -> CanvasSnapshot:
    """What Canvas holds for the scope's courses: their sections and student enrollments.

    Two requests per course, whatever the scope: its sections and its student enrollments (only
    ``banner_id``'s when given, so an event reads one student's rows), both addressed by the
    course's SIS id. The planner needs of a course only whether it exists and which sections
    it holds: a 404 on the sections says it is missing (as a GET of the course would), and a
    listing names the sections in it. A course that lists no sections is fetched as well (one
    more request, rare: a course is provisioned with its sections), so that its existence is
    judged by the same GET as before rather than by an empty list alone.
    """
    found: dict[str, list[SectionInfo]] = {}
    rows: list[EnrollmentInfo] = []
    for course_id in sorted(set(_course_ids(scope, banner.sections.values()).values())):
        try:
            listed = lookup.find_course_sections(client, course_id)
            if not listed:
                lookup.get_course(client, course_id)
        except CanvasNotFound:
            continue
        found[course_id] = listed
        query = EnrollmentQuery(
            sis_id=course_id,
            states=enrollments.ALL_STATES,
            types=["StudentEnrollment"],
            sis_user_id=banner_id,
        )
        rows += enrollments.enrollments_in(lookup.course_at(client, course_id), query)
    return from_canvas_term(found, rows)


def plan_sync(
    db: Engine,
    client: CanvasClient,
    scope: SyncScope,
    config: ProvisioningConfig,
    today: date,
    *,
    with_registrations: bool = True,
) -> PlannedSync:
    """Read both sides for ``scope`` and plan by the census and wait-list rules.

    ``with_registrations=False`` plans the structure only (courses, sections, cross-lists).
    """
    banner = read_banner(db, scope, today, config.window_days)
    usable, without_id = from_banner_registrations(
        banner.registrations if with_registrations else []
    )
    banner_id = None
    if scope.pidm is not None:
        banner_id = reads.person_by_pidm(db, scope.pidm).banner_id
    canvas = read_canvas(client, scope, banner, banner_id)
    if not with_registrations:
        canvas = canvas.model_copy(update={"enrollments": ()})
    plan = plan_roster(
        config.term_policy(scope.term, banner.first_class),
        sections=[from_banner_section(s) for s in banner.sections.values()],
        registrations=usable,
        canvas=canvas,
        as_of=today,
    )
    exceptions = [
        PersonException(
            kind="banner_id_missing",
            detail="The student has no current Banner ID (SPRIDEN), so Canvas cannot be matched.",
            term=scope.term,
            crn=r.crn,
            pidm=r.pidm,
        )
        for r in without_id
    ]
    return PlannedSync(plan=plan, banner=banner, exceptions=exceptions)


def report(planned: PlannedSync, config: ProvisioningConfig) -> PlanReport:
    """The figures a dry run shows and the approval request cites."""
    plan = planned.plan
    return PlanReport(
        term=plan.term_code,
        digest=planned.digest,
        figures=plan_figures(plan),
        verdict=mass_drop_verdict(plan, config.mass_drop),
        channel=choose_channel(plan, rest_max_requests=config.rest_max_requests),
        sections=len(planned.banner.sections),
        unknown_crns=list(planned.banner.unknown_crns),
        exceptions=planned.exceptions[:MAX_LISTED_EXCEPTIONS],
        exceptions_total=len(planned.exceptions),
    )


def approval_share(planned: PlannedSync, scope: SyncScope, policy: MassDropPolicy) -> float:
    """The share the guard compares with its threshold (equal to the rule's term share).

    The term's share, or a breaching section's when one breaches; a section share only breaches
    above ``max_section_share``, which is never below the guard's threshold (see GraphDeps). A
    plan for one student (an event) ends at most that student's enrollments: not a mass drop,
    whatever the scope's own shares (its population is one), so its share is zero.
    """
    if scope.pidm is not None:
        return 0.0
    verdict = mass_drop_verdict(planned.plan, policy)
    return max([verdict.term.share, *(s.share for s in verdict.breaching_sections)])


# ---- applying --------------------------------------------------------------------------------


def _crn(term: str, sis_section: str) -> str:
    return sis_section.removeprefix(f"{term}-")


@dataclass
class _Applier:
    """Applies one plan; collects counts and exceptions as it goes."""

    client: CanvasClient
    planned: PlannedSync
    config: ProvisioningConfig
    applied: Counter[str]
    exceptions: list[PersonException]
    failed: int = 0

    @property
    def term(self) -> str:
        return self.planned.plan.term_code

    def _section(self, crn: str) -> Section:
        return self.planned.banner.sections[crn]

    def structure(self, actions: Sequence[ProvisionCourse | SectionChange]) -> None:
        """Courses (from the department's template), then sections, moved into their course."""
        course_ids: dict[str, int] = {}
        for action in actions:
            if isinstance(action, ProvisionCourse):
                first = self._section(action.crns[0])
                label = f"{first.subject} {first.course_number}"
                shell = courses.ensure_course_shell(
                    self.client,
                    CourseShellSpec(
                        sis_course_id=action.course_sis_id,
                        name=f"{label} {first.title or ''}".strip(),
                        course_code=label,
                        template_course_id=self.config.template_for(first.subject),
                        copy_timeout_seconds=self.config.copy_timeout_seconds,
                    ),
                )
                course_ids[action.course_sis_id] = shell.course.id
            else:
                section = self._section(action.crn)
                made = courses.ensure_section(
                    self.client,
                    SectionSpec(
                        sis_course_id=action.course_sis_id,
                        sis_section_id=action.section_sis_id,
                        name=f"{section.subject} {section.course_number}-{section.sequence}"
                        f" ({section.crn})",
                    ),
                )
                if action.course_sis_id not in course_ids:
                    course_ids[action.course_sis_id] = lookup.find_course(
                        self.client, action.course_sis_id
                    ).id
                if made.course_id != course_ids[action.course_sis_id]:
                    courses.ensure_crosslist(
                        self.client,
                        CrossListSpec(
                            sis_section_id=action.section_sis_id,
                            sis_course_id=action.course_sis_id,
                        ),
                    )
            self.applied[action.kind.value] += 1

    def _missing_user(self, change: EnrollmentChange) -> None:
        self.failed += 1
        self.exceptions.append(
            PersonException(
                kind="canvas_user_missing",
                detail="The student has no Canvas account yet, so the enrollment waits for one.",
                term=self.term,
                crn=_crn(self.term, change.section_sis_id),
                pidm=change.pidm,
            )
        )

    def rest(self, changes: Sequence[EnrollmentChange]) -> None:
        """One REST call per change; enrolls in a small parallel batch."""
        enrolls = [c for c in changes if c.kind is ActionKind.ENROLL]
        specs = [
            EnrollmentSpec(sis_section_id=c.section_sis_id, sis_user_id=c.user_sis_id, type=c.role)
            for c in enrolls
        ]
        for change, result in zip(
            enrolls, enrollments.enroll_many(self.client, specs), strict=True
        ):
            if result.missing is None:
                self.applied[change.kind.value] += 1
            elif result.missing.kind == "user":
                self._missing_user(change)
            else:
                self.failed += 1
        for change in changes:
            if change.kind is ActionKind.ENROLL:
                continue
            key = {
                "sis_section_id": change.section_sis_id,
                "sis_user_id": change.user_sis_id,
                "type": change.role,
            }
            try:
                if change.kind is ActionKind.REACTIVATE:
                    enrollments.reactivate_enrollment(self.client, EnrollmentKey(**key))
                else:
                    task = _END_TASK[change.kind]
                    enrollments.end_enrollment(self.client, EndEnrollment(**key, task=task))
            except CanvasNotFound:
                self.failed += 1  # gone since it was read: the next plan sees the truth
                continue
            self.applied[change.kind.value] += 1

    def sis_import(self, changes: Sequence[EnrollmentChange]) -> None:
        """All changes in one SIS import (enrollments.csv); missing users come back as warnings."""
        rows = [
            SisEnrollmentRow(
                section_id=c.section_sis_id,
                user_id=c.user_sis_id,
                role=_SIS_ROLE.get(c.role, "student"),
                status=_SIS_STATUS[c.kind],
            )
            for c in changes
        ]
        result = run_sis_import(
            self.client,
            SisImportSpec(enrollments=rows, timeout_seconds=self.config.sis_import_timeout_seconds),
        )
        missing = {
            m.group("user")
            for w in result.warnings
            if (m := _MISSING_USER.search(w.message)) is not None
        }
        for change in changes:
            if change.user_sis_id in missing:
                self._missing_user(change)
            elif result.succeeded:
                self.applied[change.kind.value] += 1
            else:
                self.failed += 1
        for error in result.errors:
            self.exceptions.append(
                PersonException(kind="sis_import_error", detail=error.message, term=self.term)
            )


def apply_sync(
    client: CanvasClient, planned: PlannedSync, config: ProvisioningConfig
) -> ApplyReport:
    """Apply the plan: structure by REST, enrollments by REST or one SIS import (the channel)."""
    plan = planned.plan
    channel = choose_channel(plan, rest_max_requests=config.rest_max_requests)
    applier = _Applier(client, planned, config, Counter(), list(planned.exceptions))
    applier.structure([a for a in plan.actions if not isinstance(a, EnrollmentChange)])
    changes = [a for a in plan.actions if isinstance(a, EnrollmentChange)]
    if changes:
        (applier.rest if channel is SyncChannel.REST else applier.sis_import)(changes)
    return ApplyReport(
        term=plan.term_code,
        digest=planned.digest,
        channel=channel,
        applied=dict(sorted(applier.applied.items())),
        failed=applier.failed,
        sections=len(planned.banner.sections),
        unknown_crns=list(planned.banner.unknown_crns),
        exceptions=applier.exceptions[:MAX_LISTED_EXCEPTIONS],
        exceptions_total=len(applier.exceptions),
    )


class EnrollmentOrigin(BaseModel):
    """The Banner registration a Canvas enrollment mirrors, or why it mirrors none."""

    model_config = ConfigDict(frozen=True)

    term: str | None = None
    crn: str | None = None
    pidm: int | None = None
    unmanaged: str | None = Field(
        None, description="Why the enrollment is not Banner's to decide (set when term is None)."
    )


def locate_enrollment(
    db: Engine,
    client: CanvasClient,
    course_id: int,
    section_id: int | None,
    user_id: int | None,
    user_sis_id: str | None,
) -> EnrollmentOrigin:
    """Trace a Canvas enrollment (Live Event ids) back to the Banner term, CRN and student.

    The section's SIS id names the term and CRN (the course's, when the event names no section
    and the course holds one CRN); the user's SIS id is the Banner ID, whose PIDM Banner knows.
    A section or user without a SIS id was made by hand in Canvas: not Banner's to decide.

    Raises:
        CanvasNotFound: Canvas has no such section, course or user.
        PersonNotFound: the user's SIS id is no current Banner ID.
    """
    if section_id is not None:
        place = f"Canvas section {section_id}"
        sis_id = lookup.find_section_by_id(client, section_id).sis_section_id
    else:
        place = f"Canvas course {course_id}"
        sis_id = lookup.find_course_by_id(client, course_id).sis_course_id
    section = banner_section_of(sis_id) if sis_id else None
    if section is None:
        return EnrollmentOrigin(unmanaged=f"{place} names no single Banner section ({sis_id})")
    if user_sis_id is None and user_id is not None:
        user_sis_id = lookup.find_user_by_id(client, user_id).sis_user_id
    if user_sis_id is None:
        return EnrollmentOrigin(unmanaged="the Canvas user has no SIS id (no Banner person)")
    term, crn = section
    return EnrollmentOrigin(term=term, crn=crn, pidm=reads.person_by_id(db, user_sis_id).pidm)


class InstructorReport(BaseModel):
    """Instructors enrolled as teachers in a section, and those waiting for a person."""

    model_config = ConfigDict(frozen=True)

    section: str
    enrolled: int
    exceptions: list[PersonException]


def enroll_instructors(db: Engine, client: CanvasClient, term: str, crn: str) -> InstructorReport:
    """Enroll the section's SIRASGN instructors as teachers in its Canvas section."""
    section = section_sis_id(term, crn)
    instructors = reads.section_instructors(db, term, crn)
    exceptions = [
        PersonException(
            kind="banner_id_missing",
            detail="The instructor has no current Banner ID, so Canvas cannot be matched.",
            term=term,
            crn=crn,
            pidm=i.pidm,
        )
        for i in instructors
        if i.banner_id is None
    ]
    pidms = {i.banner_id: i.pidm for i in instructors if i.banner_id is not None}
    specs = [
        EnrollmentSpec(sis_section_id=section, sis_user_id=banner_id, type="TeacherEnrollment")
        for banner_id in pidms
    ]
    results = enrollments.enroll_many(client, specs)
    exceptions += [
        PersonException(
            kind=f"canvas_{r.missing.kind}_missing",
            detail=f"Canvas has no {r.missing.kind} for this teacher enrollment yet.",
            term=term,
            crn=crn,
            pidm=pidms.get(r.spec.sis_user_id or ""),
        )
        for r in results
        if r.missing is not None
    ]
    enrolled = sum(r.missing is None for r in results)
    return InstructorReport(section=section, enrolled=enrolled, exceptions=exceptions)
