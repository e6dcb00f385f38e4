"""The Banner and Canvas tools as agents see them, and the only way agents get them.

Each tool is a LangChain ``StructuredTool`` with a Pydantic argument schema, named as in
``policies/rbac.yaml``. Its function takes the Banner engine and Canvas client from the run's
:class:`ToolContext` (LangGraph's runtime context, injected by ``ToolNode``), never from
arguments, and refuses to run unless the policy guard is executing it
(:func:`policies.guard.require_guard`). Agents get tools from :func:`guarded_tools` (schemas to
bind to the model) and :func:`guarded_tool_node` (the node that runs them through the guard).

Students are addressed by PIDM and sections by term and CRN, as Banner does; Canvas tools
translate to Canvas's SIS ids (``{term}-{crn}`` sections, Banner IDs for users) here, so that
the scope rules can check every call against Banner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Annotated, Any, Literal

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, StructuredTool
from langgraph.prebuilt import ToolNode
from pydantic import BaseModel, Field, WithJsonSchema
from sqlalchemy import Engine

from agents.deps import ProvisioningConfig
from core.errors import ConfigurationError, ValidationFailed
from core.ids import course_sis_id, section_sis_id
from policies.guard import Guard, Redactor, require_guard
from policies.pii import PseudonymVault
from policies.rbac import (
    DEFAULT_POLICY_PATH,
    Approval,
    Policy,
    Principal,
    Role,
    ToolTraits,
    load_policy,
)
from policies.scope import BannerDirectory
from tools import roster_sync
from tools.banner import grading, reads, writes
from tools.banner.models import AdvisingCommentIn, FinalGradeIn, HoldIn
from tools.canvas import activity, courses, enrollments, messages
from tools.canvas.client import CanvasClient
from tools.canvas.lookup import find_user
from tools.canvas.models import (
    ConversationSpec,
    EndEnrollment,
    EndTask,
    EnrollmentQuery,
    EnrollmentSpec,
    SubmissionQuery,
)

StudentRef = Annotated[
    int,
    WithJsonSchema(
        {
            "type": "string",
            "description": "The student, as referenced in earlier tool results (e.g. <PIDM_1>).",
        }
    ),
]
"""A PIDM that the model names by the pseudonym it saw; the guard restores it before checks."""


@dataclass(frozen=True)
class ToolContext:
    """Everything a run's tools and guard need, supplied by trusted code, never by the model.

    Pass it as ``graph.invoke(..., context=ToolContext(...))``.
    """

    principal: Principal
    banner: Engine
    redactor: Redactor
    canvas: CanvasClient | None = None
    vault: PseudonymVault = field(default_factory=PseudonymVault)
    banner_user: str = "BCA_AGENT"
    today: date = field(default_factory=date.today)
    provisioning: ProvisioningConfig = field(default_factory=ProvisioningConfig)
    _planned: dict[str, roster_sync.PlannedSync] = field(
        default_factory=dict, repr=False, compare=False
    )

    @cached_property
    def directory(self) -> BannerDirectory:
        """Banner relationships for the scope rules."""
        return BannerDirectory(self.banner)

    def term(self, given: str | None) -> str:
        """The term a call names, else the principal's current term."""
        term = given or self.principal.term
        if term is None:
            raise ValidationFailed("name a term: this run has no current term")
        return term

    def lms(self) -> CanvasClient:
        """The Canvas client, or a clear error when this run has none."""
        if self.canvas is None:
            raise ValidationFailed("this run has no Canvas connection")
        return self.canvas

    def plan(self, scope: roster_sync.SyncScope) -> roster_sync.PlannedSync:
        """A fresh roster plan for ``scope``, read through this run's connections."""
        return roster_sync.plan_sync(self.banner, self.lms(), scope, self.provisioning, self.today)

    def planned(self, scope: roster_sync.SyncScope) -> roster_sync.PlannedSync:
        """The plan :meth:`bulk_share` just judged for ``scope`` (taken once), else a fresh one."""
        return self._planned.pop(repr(scope), None) or self.plan(scope)

    def bulk_share(self, tool: str, args: Mapping[str, Any]) -> float | None:
        """Share of live enrollments a bulk call would end.

        ``canvas_end_enrollments``: of the section's. ``canvas_apply_roster_plan``: the share the
        plan's mass-drop verdict turns on (the plan is kept for the call that follows, so what
        a person approves is what runs).
        """
        if tool == "canvas_apply_roster_plan":
            scope = _scope(args)
            planned = self._planned[repr(scope)] = self.plan(scope)
            return roster_sync.approval_share(planned, scope, self.provisioning.mass_drop)
        if tool != "canvas_end_enrollments":
            return None
        live = enrollments.list_enrollments(
            self.lms(),
            EnrollmentQuery(
                sis_id=section_sis_id(args["term"], args["crn"]),
                scope="section",
                states=["active", "invited"],
                types=["StudentEnrollment"],
            ),
        )
        return len(args["pidms"]) / max(len(live), 1)


# ---- argument schemas ------------------------------------------------------------------------


class StudentArgs(BaseModel):
    """A student (filled in by the guard for self and on-behalf-of roles)."""

    pidm: StudentRef | None = None


class StudentTermArgs(StudentArgs):
    """A student in a term (default: the current term)."""

    term: str | None = Field(None, description="Term code like 202610; default: current term.")


class AidArgs(StudentArgs):
    """A student's aid year."""

    aid_year: str = Field(description="Aid year code like 2627.")


class TermArgs(BaseModel):
    """A term."""

    term: str = Field(description="Term code like 202610.")


class SectionArgs(BaseModel):
    """A section of a term."""

    term: str = Field(description="Term code like 202610.")
    crn: str = Field(description="Course reference number of the section.")


class SectionStudentArgs(SectionArgs):
    """A section and optionally one of its students."""

    pidm: StudentRef | None = None


class GradeArgs(SectionArgs):
    """A final grade for a student in a section."""

    pidm: StudentRef
    grade: str = Field(description="Grade code valid for the student's level (e.g. A, B+, F).")


class ResolveIncompleteArgs(SectionArgs):
    """An incomplete to replace with a final grade, or to extend (exactly one of the two)."""

    pidm: StudentRef
    grade: str | None = Field(None, description="Final grade replacing the incomplete.")
    extend_to: date | None = Field(None, description="New last day to complete the work.")


class PlaceHoldArgs(StudentArgs):
    """A hold to place from today."""

    code: str = Field(description="Hold type code (STVHLDD).")
    reason: str = Field(max_length=30)
    to_date: date | None = Field(None, description="First day it no longer applies; none: open.")
    amount_owed: float | None = None


class ReleaseHoldArgs(StudentArgs):
    """A hold of the student's to end today."""

    hold_id: int


class CommentArgs(StudentArgs):
    """An advising comment by the calling advisor."""

    term: str | None = None
    text: str = Field(min_length=1, max_length=4000)
    confidential: bool = False


class EndEnrollmentsArgs(SectionArgs):
    """Students whose enrollment in a section ends."""

    pidms: list[StudentRef] = Field(min_length=1)
    task: EndTask = "conclude"


class TermScopeArgs(BaseModel):
    """A roster sync's scope: a term, optionally some CRNs, optionally one student."""

    term: str = Field(description="Term code like 202610.")
    crns: list[str] | None = Field(None, description="Only these sections; none: the whole term.")
    pidm: StudentRef | None = Field(None, description="Only this student.")


class ApplyPlanArgs(TermScopeArgs):
    """A roster plan to apply, optionally pinned to the plan a person saw."""

    digest: str | None = Field(None, description="Refuse unless the fresh plan has this digest.")


class CanvasEnrollmentRefArgs(BaseModel):
    """A Canvas enrollment as a Live Event names it (Canvas ids; the user's SIS id if sent)."""

    course_id: int = Field(description="Canvas id of the enrollment's course.")
    section_id: int | None = Field(None, description="Canvas id of its section, if known.")
    user_id: int | None = Field(None, description="Canvas id of the enrolled user.")
    user_sis_id: str | None = Field(None, description="The user's SIS id, when the event has it.")


class MessageArgs(StudentArgs):
    """An outreach message to one student through the Canvas inbox."""

    subject: str = Field(max_length=255)
    body: str = Field(min_length=1)


# ---- tool functions --------------------------------------------------------------------------


def _pidm(args: BaseModel) -> int:
    pidm = getattr(args, "pidm", None)
    if pidm is None:
        raise ValidationFailed("name the student (pidm)")
    return int(pidm)


def _canvas_user_id(ctx: ToolContext, pidm: int) -> int:
    banner_id = reads.person_by_pidm(ctx.banner, pidm).banner_id
    return find_user(ctx.lms(), banner_id).id


def _course_of(ctx: ToolContext, term: str, crn: str) -> str:
    group = reads.crosslist_group(ctx.banner, term, crn)
    return course_sis_id(term, crn, group.group if group else None)


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
    students = [_canvas_user_id(ctx, a.pidm)] if a.pidm is not None else []
    query = SubmissionQuery(sis_course_id=_course_of(ctx, a.term, a.crn), student_ids=students)
    return activity.submissions(ctx.lms(), query)


def _send_message(ctx: ToolContext, a: MessageArgs) -> Any:
    spec = ConversationSpec(
        recipients=[_canvas_user_id(ctx, _pidm(a))], subject=a.subject, body=a.body
    )
    return messages.send_conversation(ctx.lms(), spec)


def _scope(args: Mapping[str, Any]) -> roster_sync.SyncScope:
    crns, pidm = args.get("crns"), args.get("pidm")
    return roster_sync.SyncScope(
        term=str(args["term"]),
        crns=tuple(crns) if crns is not None else None,
        pidm=int(pidm) if pidm is not None else None,
    )


def _plan_roster(ctx: ToolContext, a: TermScopeArgs) -> Any:
    return roster_sync.report(ctx.plan(_scope(a.model_dump())), ctx.provisioning)


def _apply_roster_plan(ctx: ToolContext, a: ApplyPlanArgs) -> Any:
    planned = ctx.planned(_scope(a.model_dump()))
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
        lambda c, a: enrollments.final_grades(c.lms(), _course_of(c, a.term, a.crn)),
        "Current and final scores and grades of every student in the section's course.",
    ),
    _spec(
        "canvas_get_grading_standard", "read", _SECTION, SectionArgs,
        lambda c, a: courses.course_grading_standard(c.lms(), _course_of(c, a.term, a.crn)),
        "The grading scheme (letters by score) of the section's course, or null without one.",
    ),
    _spec(
        "canvas_get_student_summaries", "read", _SECTION, SectionArgs,
        lambda c, a: activity.student_summaries(c.lms(), _course_of(c, a.term, a.crn)),
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
        lambda c, a: roster_sync.enroll_instructors(c.banner, c.lms(), a.term, a.crn),
        "Enroll a section's Banner instructors (SIRASGN) as teachers in its Canvas section.",
    ),
)  # fmt: skip

CATALOGUE: dict[str, ToolTraits] = {spec.traits.name: spec.traits for spec in SPECS}
"""What the policy loader checks ``rbac.yaml`` against."""


def load_default_policy() -> Policy:
    """``policies/rbac.yaml`` checked against this catalogue (fails startup when wrong)."""
    return load_policy(DEFAULT_POLICY_PATH, CATALOGUE)


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _structured_tool(spec: ToolSpec) -> StructuredTool:
    name = spec.traits.name

    def call(runtime: ToolRuntime, **kwargs: Any) -> Any:
        require_guard(name)
        ctx = runtime.context
        if not isinstance(ctx, ToolContext):
            raise ConfigurationError(f"tool {name!r} needs a ToolContext as the run's context")
        return _jsonable(spec.run(ctx, spec.args.model_validate(kwargs)))

    return StructuredTool.from_function(
        call, name=name, description=spec.description, args_schema=spec.args
    )


_TOOLS: dict[str, StructuredTool] = {spec.traits.name: _structured_tool(spec) for spec in SPECS}


def guarded_tools(policy: Policy, role: Role) -> list[BaseTool]:
    """The tools ``role`` is granted, to bind to its model; they run only inside the guard."""
    return [_TOOLS[name] for name in policy.tools_of(role)]


def guarded_tool_node(guard: Guard, role: Role) -> ToolNode:
    """The tool node of an agent in ``role``: every call passes ``guard`` first."""
    return guard.tool_node(guarded_tools(guard.policy, role))
