"""Every Banner and Canvas tool an agent can be granted: what it does and what the policy knows.

Each entry is named as in ``policies/rbac.yaml`` and declares its traits (reads or writes, the
approval floor, which argument names the student or the section); :data:`CATALOGUE` is what the
policy loader checks the YAML against, so a grant for an unknown tool fails start-up. Canvas
tools translate Banner's keys to Canvas's SIS ids (:mod:`core.ids`) here, so that the scope rules
can check every call against Banner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

from agents.toolbox.arguments import (
    AidArgs,
    ApplyPlanArgs,
    CanvasEnrollmentRefArgs,
    CommentArgs,
    EndEnrollmentsArgs,
    GradeArgs,
    MessageArgs,
    PlaceHoldArgs,
    ReleaseHoldArgs,
    ResolveIncompleteArgs,
    SectionArgs,
    SectionStudentArgs,
    StudentArgs,
    StudentTermArgs,
    TermArgs,
    TermScopeArgs,
)
from agents.toolbox.context import ToolContext, roster_scope
from agents.toolbox.contract_tools import (
    ExtendAccessArgs,
    SendContractArgs,
    extend_access,
    send_contract,
)
from agents.toolbox.keys import canvas_user_id, course_of
from agents.toolbox.student_tools import STUDENT_TOOLS
from agents.workflows import roster_sync
from core.errors import ValidationFailed
from core.ids import section_sis_id
from policies.rbac import DEFAULT_POLICY_PATH, Approval, Policy, ToolTraits, load_policy
from tools.banner import grading, reads, writes
from tools.banner.models import AdvisingCommentIn, FinalGradeIn, HoldIn
from tools.canvas import activity, courses, enrollments, messages
from tools.canvas.models import (
    ConversationSpec,
    EndEnrollment,
    EnrollmentQuery,
    EnrollmentSpec,
    SubmissionQuery,
)


def _pidm(args: BaseModel) -> int:
    pidm = getattr(args, "pidm", None)
    if pidm is None:
        raise ValidationFailed("name the student (pidm)")
    return int(pidm)


def _release_hold(ctx: ToolContext, a: ReleaseHoldArgs) -> Any:
    if reads.get_hold(ctx.banner, a.hold_id).pidm != _pidm(a):
        raise ValidationFailed("that hold does not belong to the student named")
    return writes.release_hold(ctx.banner, a.hold_id, user=ctx.banner_user, as_of=ctx.today)


def _add_comment(ctx: ToolContext, a: CommentArgs) -> Any:
    """An advisor's own comment, or an agent's in the name of the student's primary advisor.

    The agent's comment still waits for one of the student's advisors to approve it.
    """
    advisor = ctx.principal.pidm
    if advisor is None:
        primary = reads.primary_advisor(ctx.banner, _pidm(a), ctx.term(a.term))
        if primary is None:
            raise ValidationFailed("the student has no primary advisor to record the comment for")
        advisor = primary.advisor_pidm
    comment = AdvisingCommentIn(
        pidm=_pidm(a),
        term=ctx.term(a.term),
        advisor_pidm=advisor,
        text=a.text,
        confidential=a.confidential,
    )
    return writes.add_advising_comment(ctx.banner, comment, user=ctx.banner_user)


def _resolve_incomplete(ctx: ToolContext, a: ResolveIncompleteArgs) -> Any:
    return grading.resolve_incomplete(
        ctx.banner, term=a.term, pidm=_pidm(a), crn=a.crn, grade=a.grade,
        extend_to=a.extend_to, user=ctx.banner_user, today=ctx.today,
    )  # fmt: skip


def _end_enrollments(ctx: ToolContext, a: EndEnrollmentsArgs) -> Any:
    section = section_sis_id(a.term, a.crn)
    return [
        enrollments.end_enrollment(
            ctx.lms(),
            EndEnrollment(
                sis_section_id=section,
                sis_user_id=reads.person_by_pidm(ctx.banner, int(pidm)).banner_id,
                task=a.task,
            ),
        )
        for pidm in a.pidms
    ]


def _submissions(ctx: ToolContext, a: SectionStudentArgs) -> Any:
    students = [canvas_user_id(ctx, a.pidm)] if a.pidm is not None else []
    query = SubmissionQuery(sis_course_id=course_of(ctx, a.term, a.crn), student_ids=students)
    return activity.submissions(ctx.lms(), query)


def _send_message(ctx: ToolContext, a: MessageArgs) -> Any:
    spec = ConversationSpec(
        recipients=[canvas_user_id(ctx, _pidm(a))], subject=a.subject, body=a.body
    )
    return messages.send_conversation(ctx.lms(), spec)


def _plan_roster(ctx: ToolContext, a: TermScopeArgs) -> Any:
    return roster_sync.report(ctx.plan(roster_scope(a.model_dump())), ctx.provisioning)


def _apply_roster_plan(ctx: ToolContext, a: ApplyPlanArgs) -> Any:
    planned = ctx.planned(roster_scope(a.model_dump()))
    if a.digest is not None and a.digest != planned.digest:
        raise ValidationFailed(
            f"the roster changed since plan {a.digest} was made (now {planned.digest}): plan again"
        )
    return roster_sync.apply_sync(ctx.lms(), planned, ctx.provisioning)


def _ensure_course(ctx: ToolContext, a: SectionArgs) -> Any:
    scope = roster_sync.SyncScope(term=a.term, crns=(a.crn,))
    planned = roster_sync.plan_sync(
        ctx.banner, ctx.lms(), scope, ctx.provisioning, ctx.today, with_registrations=False
    )
    return roster_sync.apply_sync(ctx.lms(), planned, ctx.provisioning)


Run = Callable[[ToolContext, Any], Any]


@dataclass(frozen=True)
class ToolSpec:
    """One tool: what the policy knows of it, its arguments, what it does."""

    traits: ToolTraits
    args: type[BaseModel]
    run: Run
    description: str


_STUDENT = {"student_arg": "pidm"}
_SECTION = {"section_args": ("term", "crn")}
_BOTH = {**_STUDENT, **_SECTION}
_Kind = Literal["read", "write", "approved_write", "bulk_write"]
_FLOORS: dict[_Kind, tuple[bool, Approval]] = {
    "read": (False, Approval.NEVER),
    "write": (True, Approval.NEVER),
    "approved_write": (True, Approval.ALWAYS),
    "bulk_write": (True, Approval.ABOVE_THRESHOLD),
}


def _spec(
    name: str, kind: _Kind, subject: Mapping[str, Any], args: type[BaseModel], run: Run, doc: str
) -> ToolSpec:
    writes_, floor = _FLOORS[kind]
    traits = ToolTraits(name=name, writes=writes_, approval_floor=floor, **subject)
    return ToolSpec(traits=traits, args=args, run=run, description=doc)


SPECS: tuple[ToolSpec, ...] = (
    _spec(
        "banner_get_person", "read", _STUDENT, StudentArgs,
        lambda c, a: reads.person_by_pidm(c.banner, _pidm(a)),
        "A student's current name, Banner ID and preferred e-mail (SPRIDEN, GOREMAL).",
    ),
    _spec(
        "banner_get_standing", "read", _STUDENT, StudentTermArgs,
        lambda c, a: reads.student_standing(c.banner, _pidm(a), c.term(a.term)),
        "A student's status, level, major and academic standing for a term (SGBSTDN).",
    ),
    _spec(
        "banner_get_gpa", "read", _STUDENT, StudentTermArgs,
        lambda c, a: reads.student_gpa(c.banner, _pidm(a), c.term(a.term)),
        "A student's term and cumulative GPA (SHRTGPA, SHRLGPA).",
    ),
    _spec(
        "banner_get_holds", "read", _STUDENT, StudentArgs,
        lambda c, a: reads.student_holds(c.banner, _pidm(a), c.today),
        "Holds in force today and whether any blocks registration (SPRHOLD, STVHLDD).",
    ),
    _spec(
        "banner_get_advisors", "read", _STUDENT, StudentTermArgs,
        lambda c, a: reads.student_advisors(c.banner, _pidm(a), c.term(a.term)),
        "A student's advisors effective for a term (SGRADVR).",
    ),
    _spec(
        "banner_get_aid", "read", _STUDENT, AidArgs,
        lambda c, a: reads.aid_summary(c.banner, _pidm(a), a.aid_year),
        "A student's financial aid status and awards for an aid year (RORSTAT, RPRAWRD).",
    ),
    _spec(
        "banner_get_section", "read", _SECTION, SectionArgs,
        lambda c, a: reads.get_section(c.banner, a.term, a.crn),
        "A section's course, title, status, capacity and dates (SSBSECT, SCBCRSE).",
    ),
    _spec(
        "banner_get_term_sections", "read", {}, TermArgs,
        lambda c, a: reads.term_sections(c.banner, a.term),
        "Every section of a term with its status, dates and cross-list group (SSBSECT).",
    ),
    _spec(
        "banner_get_roster", "read", _SECTION, SectionArgs,
        lambda c, a: reads.section_roster(c.banner, a.term, a.crn),
        "Enrolled and wait-listed students of a section (SFRSTCR, STVRSTS).",
    ),
    _spec(
        "banner_get_instructors", "read", _SECTION, SectionArgs,
        lambda c, a: reads.section_instructors(c.banner, a.term, a.crn),
        "Instructors of a section, primary first (SIRASGN).",
    ),
    _spec(
        "banner_post_grade", "approved_write", _BOTH, GradeArgs,
        lambda c, a: writes.post_final_grade(
            c.banner,
            FinalGradeIn(term=a.term, pidm=_pidm(a), crn=a.crn, grade=a.grade),
            user=c.banner_user,
            grade_date=c.today,
        ),
        "Post a student's final grade to Banner (needs the instructor of record's approval).",
    ),
    _spec(
        "banner_get_section_grading", "read", _SECTION, SectionArgs,
        lambda c, a: grading.section_grading(c.banner, a.term, a.crn),
        "Enrolled registrations with grade, incomplete, history and GPA facts, and the grade"
        " codes valid for their levels (SFRSTCR, SHRTCKN, SHRLGPA, SHRGRDE).",
    ),
    _spec(
        "banner_resolve_incomplete", "approved_write", _BOTH, ResolveIncompleteArgs,
        _resolve_incomplete,
        "Replace a student's incomplete with a final grade or extend it (a registrar confirms).",
    ),
    _spec(
        "banner_place_hold", "approved_write", _STUDENT, PlaceHoldArgs,
        lambda c, a: writes.place_hold(
            c.banner,
            HoldIn(
                pidm=_pidm(a), code=a.code, user=c.banner_user, reason=a.reason,
                from_date=c.today, to_date=a.to_date, amount_owed=a.amount_owed, origin="BCA",
            ),
        ),
        "Place a hold on a student from today (needs a registrar's approval).",
    ),
    _spec(
        "banner_release_hold", "approved_write", _STUDENT, ReleaseHoldArgs, _release_hold,
        "End one of a student's holds today (needs a registrar's approval).",
    ),
    _spec(
        "banner_add_advising_comment", "approved_write", _STUDENT, CommentArgs, _add_comment,
        "Record an advising comment by the calling advisor (needs the advisor's approval).",
    ),
    _spec(
        "canvas_enroll_student", "write", _BOTH, SectionStudentArgs,
        lambda c, a: enrollments.enroll(
            c.lms(),
            EnrollmentSpec(
                sis_section_id=section_sis_id(a.term, a.crn),
                sis_user_id=reads.person_by_pidm(c.banner, _pidm(a)).banner_id,
            ),
        ),
        "Make sure a registered student holds an active enrollment in the section's course.",
    ),
    _spec(
        "canvas_end_enrollments", "bulk_write", _SECTION, EndEnrollmentsArgs, _end_enrollments,
        "End students' enrollments in a section (a registrar approves large shares).",
    ),
    _spec(
        "canvas_list_enrollments", "read", _SECTION, SectionArgs,
        lambda c, a: enrollments.list_enrollments(
            c.lms(), EnrollmentQuery(sis_id=section_sis_id(a.term, a.crn), scope="section")
        ),
        "Canvas enrollments of a section, to compare with the Banner roster.",
    ),
    _spec(
        "canvas_get_final_grades", "read", _SECTION, SectionArgs,
        lambda c, a: enrollments.final_grades(c.lms(), course_of(c, a.term, a.crn)),
        "Current and final scores and grades of every student in the section's course.",
    ),
    _spec(
        "canvas_get_grading_standard", "read", _SECTION, SectionArgs,
        lambda c, a: courses.course_grading_standard(c.lms(), course_of(c, a.term, a.crn)),
        "The grading scheme (letters by score) of the section's course, or null without one.",
    ),
    _spec(
        "canvas_get_student_summaries", "read", _SECTION, SectionArgs,
        lambda c, a: activity.student_summaries(c.lms(), course_of(c, a.term, a.crn)),
        "Page views, participations and late/missing counts per student in the course.",
    ),
    _spec(
        "canvas_get_submissions", "read", _BOTH, SectionStudentArgs, _submissions,
        "Submissions (grade, score, late, missing) in the section's course, for one or all.",
    ),
    _spec(
        "canvas_send_message", "approved_write", _STUDENT, MessageArgs, _send_message,
        "Send an outreach message to a student (needs the student's advisor's approval).",
    ),
    _spec(
        "canvas_plan_roster", "read", {"student_arg": "pidm"}, TermScopeArgs, _plan_roster,
        "Plan what makes Canvas match Banner (census and wait-list rules): figures, the"
        " mass-drop verdict and the channel, without changing anything.",
    ),
    _spec(
        "canvas_apply_roster_plan", "bulk_write", {"student_arg": "pidm"}, ApplyPlanArgs,
        _apply_roster_plan,
        "Provision missing courses and sections and apply the roster plan by REST or SIS import"
        " (a registrar approves plans that end a large share of enrollments).",
    ),
    _spec(
        "canvas_ensure_course", "write", _SECTION, SectionArgs, _ensure_course,
        "Make sure a section's Canvas course exists (from its department's template, else"
        " blank) with one section per CRN of its cross-list group.",
    ),
    _spec(
        "canvas_locate_enrollment", "read", {}, CanvasEnrollmentRefArgs,
        lambda c, a: roster_sync.locate_enrollment(
            c.banner, c.lms(), a.course_id, a.section_id, a.user_id, a.user_sis_id
        ),
        "The Banner term, CRN and student a Canvas enrollment mirrors (by the section's and"
        " the user's SIS ids), or why it mirrors none.",
    ),
    _spec(
        "canvas_enroll_instructors", "write", _SECTION, SectionArgs,
        lambda c, a: roster_sync.enroll_instructors(
            c.banner, c.lms(), a.term, a.crn, c.provisioning.accounts
        ),
        "Enroll a section's Banner instructors (SIRASGN) as teachers in its Canvas section.",
    ),
    _spec(
        "canvas_extend_access", "write", _BOTH, ExtendAccessArgs, extend_access,
        "Keep a student's Canvas access to a course until a date (a section of their own with"
        " that end date), once Banner holds their incomplete.",
    ),
    _spec(
        "canvas_send_contract", "write", _BOTH, SendContractArgs, send_contract,
        "Send a student their approved incomplete contract by Canvas message.",
    ),
    *(_spec(n, "read", subject, args, run, doc) for n, subject, args, run, doc in STUDENT_TOOLS),
)  # fmt: skip

CATALOGUE: dict[str, ToolTraits] = {spec.traits.name: spec.traits for spec in SPECS}
"""What the policy loader checks ``rbac.yaml`` against."""


def load_default_policy() -> Policy:
    """``policies/rbac.yaml`` checked against this catalogue (fails startup when wrong)."""
    return load_policy(DEFAULT_POLICY_PATH, CATALOGUE)
