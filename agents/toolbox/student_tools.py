"""The chatbot's tools: the signed-in student's own records, the help pages, a person.

None of them takes a student: each is **caller-bound**
(:attr:`policies.rbac.ToolTraits.caller_bound`), so the guard binds the call to the signed-in
student (``self`` for a student, ``on_behalf_of`` for the support agent) and the tool reads
that student from :func:`policies.guard.bound_student`. The guard refuses any argument a
caller-bound tool's schema does not declare, so a model that tries to pass ``pidm`` or
``banner_id`` is denied (not silently ignored), and audited.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from agents.toolbox.context import ToolContext
from core.errors import ValidationFailed
from core.ids import aid_year_of, section_sis_id
from policies.guard import bound_student
from tools.banner import reads
from tools.canvas import student_view

_BOUND = {"caller_bound": True}


class MyHoldsArgs(BaseModel):
    """Which of the signed-in student's holds.

    (A schema needs at least one field: LangChain injects the run's context only into tools
    whose schema has some.)
    """

    registration_only: bool = Field(False, description="Only the holds that block registration.")


class MyTermArgs(BaseModel):
    """Optionally a term other than the current one."""

    term: str | None = Field(None, pattern=r"^\d{6}$", description="Term code, e.g. 202610.")


class MyAidArgs(BaseModel):
    """Optionally an aid year other than the current term's."""

    aid_year: str | None = Field(None, pattern=r"^\d{4}$", description="Aid year, e.g. 2526.")


class MyAssignmentsArgs(BaseModel):
    """How far ahead to look."""

    days_ahead: int = Field(14, ge=1, le=60, description="Days from now, 14 unless asked.")


class MyGradesArgs(BaseModel):
    """Optionally one course."""

    course: str | None = Field(
        None, max_length=40, description="A course code such as 'BIOL 101', or a CRN."
    )


class CourseModulesArgs(BaseModel):
    """Which of the student's courses."""

    course: str = Field(
        min_length=2, max_length=40, description="A course code such as 'BIOL 101', or a CRN."
    )


class KbSearchArgs(BaseModel):
    """What to look up in the help pages."""

    query: str = Field(min_length=2, max_length=500)


class RequestPersonArgs(BaseModel):
    """Why a person should take over."""

    reason: str = Field(min_length=2, max_length=500)


def my_holds(ctx: ToolContext, args: MyHoldsArgs) -> Any:
    """Holds in force today, what each blocks, and whether registration is blocked."""
    summary = reads.student_holds(ctx.banner, bound_student("my_holds"), ctx.today)
    if args.registration_only:
        return summary.model_copy(
            update={"holds": [h for h in summary.holds if h.blocks_registration]}
        )
    return summary


def my_registration(ctx: ToolContext, args: MyTermArgs) -> Any:
    """Registrations in the term with their status and credit hours."""
    return reads.student_registrations(
        ctx.banner, bound_student("my_registration"), ctx.term(args.term)
    )


def my_aid(ctx: ToolContext, args: MyAidArgs) -> Any:
    """Aid status and awards (fund titles) for the aid year of the current term."""
    year = args.aid_year or aid_year_of(ctx.term(None))
    return reads.aid_summary(ctx.banner, bound_student("my_aid"), year)


def _canvas_user(ctx: ToolContext, tool: str) -> str:
    """The bound student's Canvas SIS user id: their Banner ID, which stays out of results."""
    return reads.person_by_pidm(ctx.banner, bound_student(tool)).banner_id


def _course_key(text: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", text.upper())


def _matches(course: str | None, code: str | None, crn: str | None = None) -> bool:
    """Whether a course the student named is this one ('biol101' is 'BIOL 101')."""
    if course is None:
        return True
    key = _course_key(course)
    return key in {_course_key(code or ""), _course_key(crn or "")} - {""}


def my_assignments(ctx: ToolContext, args: MyAssignmentsArgs) -> Any:
    """Assignments due soon in the student's Canvas courses, and which are handed in."""
    now = datetime.now(UTC)
    return student_view.upcoming_assignments(
        ctx.lms(), _canvas_user(ctx, "my_assignments"), now, args.days_ahead
    )


def my_grades(ctx: ToolContext, args: MyGradesArgs) -> Any:
    """Current Canvas scores and grades in the student's courses (not final Banner grades)."""
    courses = student_view.student_courses(ctx.lms(), _canvas_user(ctx, "my_grades"))
    return [c for c in courses if _matches(args.course, c.course_code)]


def course_modules(ctx: ToolContext, args: CourseModulesArgs) -> Any:
    """The modules of a course the student is registered in this term, with links.

    The course is matched against the student's own Banner registrations and then reached
    through the student's own Canvas enrollment in that section, so naming someone else's
    course finds nothing.
    """
    pidm = bound_student("course_modules")
    term = ctx.term(None)
    registered = reads.student_registrations(ctx.banner, pidm, term)
    sections = {
        section_sis_id(term, r.crn)
        for r in registered.courses
        if r.enrolled and _matches(args.course, f"{r.subject} {r.course_number}", r.crn)
    }
    if not sections:
        raise ValidationFailed(f"you are not registered in {args.course} this term")
    return student_view.section_modules(ctx.lms(), _canvas_user(ctx, "course_modules"), sections)


def kb_search(ctx: ToolContext, args: KbSearchArgs) -> Any:
    """The closest help-page chunks that clear the run's floor, each with its citation id.

    Scores are rounded to two places: a model needs no more, and the figure stays the same
    across CPUs (recorded model requests are matched byte for byte).
    """
    return [
        {**hit.chunk.model_dump(exclude={"content_hash"}), "score": round(hit.score, 2)}
        for hit in ctx.retriever().search(args.query, k=5, min_score=ctx.kb_min_score)
    ]


def request_person(_ctx: ToolContext, args: RequestPersonArgs) -> Any:
    """Nothing external: the chat service opens the case from the turn's outcome."""
    bound_student("request_person")
    return {"handoff": True, "reason": args.reason}


STUDENT_TOOLS: tuple[tuple[str, dict[str, Any], type[BaseModel], Any, str], ...] = (
    ("my_holds", _BOUND, MyHoldsArgs, my_holds,
     "Look up the signed-in student's holds in force today: what each blocks (registration,"
     " grades, transcripts, graduation) and whether registration is blocked."),
    ("my_registration", _BOUND, MyTermArgs, my_registration,
     "Look up the signed-in student's registrations for the current term (or a term code):"
     " courses, status (registered, wait-listed, dropped, withdrawn) and credit hours."),
    ("my_aid", _BOUND, MyAidArgs, my_aid,
     "Look up the signed-in student's financial aid for the current aid year: awards by fund,"
     " status, offered, accepted and paid amounts."),
    ("my_assignments", _BOUND, MyAssignmentsArgs, my_assignments,
     "Look up the assignments due soon in the signed-in student's Canvas courses (14 days"
     " unless asked), with due dates and whether each is handed in."),
    ("my_grades", _BOUND, MyGradesArgs, my_grades,
     "Look up the signed-in student's current scores and grades in their Canvas courses"
     " (running Canvas grades, not final grades in Banner)."),
    ("course_modules", _BOUND, CourseModulesArgs, course_modules,
     "Link to the modules (course materials) of one of the signed-in student's courses this"
     " term, named by course code or CRN."),
    ("kb_search", {"published": True}, KbSearchArgs, kb_search,
     "Search the institution's help pages (deadlines, holds, aid, transcripts, Canvas how-tos)."
     " Cite each chunk you use by its chunk_id in square brackets."),
    ("request_person", _BOUND, RequestPersonArgs, request_person,
     "Hand the conversation to a person at the help desk, with the reason."),
)  # fmt: skip
"""(name, subject traits, argument schema, run, description) of each chatbot tool."""

CHAT_TOOLS = frozenset(name for name, *_ in STUDENT_TOOLS)
"""The only tools the chatbot binds, whatever else its role is granted."""
