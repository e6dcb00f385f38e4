"""Shared pieces of the specialist tests: seeding Canvas from Banner, contexts, answers."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime
from typing import Any

from langchain_core.messages import AIMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from sqlalchemy import Engine

from agents.approvals import PendingApproval
from agents.deps import GraphDeps
from agents.drafting import Drafter
from agents.toolbox import ToolContext
from core.ids import course_sis_id, section_sis_id
from policies.guard import Guard
from policies.pii import PseudonymVault, Redactor
from policies.rbac import Principal, Role
from tests.policies.agent_harness import TODAY, ScriptedModel
from tools.banner import reads
from tools.canvas.client import CanvasClient
from tools.canvas.courses import ensure_course_shell, ensure_section
from tools.canvas.enrollments import enroll
from tools.canvas.lookup import get_course, get_user
from tools.canvas.models import CourseShellSpec, EnrollmentSpec, SectionSpec

NOW = datetime(2026, 2, 2, 12, tzinfo=UTC)


def drafting_model(text: str) -> ScriptedModel:
    """A scripted model that answers every drafting prompt with ``text`` (and records them)."""
    return ScriptedModel(messages=itertools.cycle([AIMessage(text)]))


class AddressingModel(ScriptedModel):
    """Answers every drafting prompt with ``reply``, its ``{student}`` the prompt's first
    placeholder (as a model that keeps placeholders does), and records the prompts."""

    reply: str = ""

    def _generate(self, messages: list[Any], *args: Any, **kwargs: Any) -> Any:
        self.seen.append(list(messages))
        found = re.search(r"<PERSON_\d+>", str(messages[-1].content))
        text = self.reply.replace("{student}", found.group(0) if found else "")
        return ChatResult(generations=[ChatGeneration(message=AIMessage(text))])


def addressing_model(reply: str) -> AddressingModel:
    return AddressingModel(messages=iter(()), reply=reply)


def deps_with(guard: Guard, model: ScriptedModel | None) -> GraphDeps:
    return GraphDeps(guard=guard, drafter=Drafter(model, "scripted" if model else None))


def agent_context(
    role: Role, term: str, banner: Engine, redactor: Redactor, canvas: CanvasClient | None
) -> ToolContext:
    return ToolContext(
        principal=Principal(actor=f"agent:{role.value}", role=role, term=term),
        banner=banner,
        redactor=redactor,
        canvas=canvas,
        vault=PseudonymVault(),
        today=TODAY,
    )


def person(actor: str, role: Role, pidm: int | None) -> Principal:
    return Principal(actor=actor, role=role, pidm=pidm)


def canvas_course(
    client: CanvasClient, banner: Engine, term: str, crn: str, scores: dict[int, float | None]
) -> Any:
    """The section's Canvas course with a letter scheme, one 100-point assignment, the given
    students (by Banner ID) enrolled and scored; ``None`` leaves a student out of Canvas (Canvas
    counts an ungraded assignment as zero, so only an absent student has no final score)."""
    group = reads.crosslist_group(banner, term, crn)
    sis_course = course_sis_id(term, crn, group.group if group else None)
    ensure_course_shell(
        client, CourseShellSpec(sis_course_id=sis_course, name=crn, course_code=crn)
    )
    ensure_section(
        client,
        SectionSpec(sis_course_id=sis_course, sis_section_id=section_sis_id(term, crn), name=crn),
    )
    course = get_course(client, sis_course)
    standard = course.add_grading_standards(
        "Letters",
        [
            {"name": "A", "value": 90},
            {"name": "B", "value": 80},
            {"name": "C", "value": 70},
            {"name": "D", "value": 60},
            {"name": "F", "value": 0},
        ],
    )
    course.update(course={"grading_standard_id": standard.id})
    assignment = course.create_assignment(
        {"name": "Final", "points_possible": 100, "published": True}
    )
    for pidm, score in scores.items():
        if score is None:
            continue
        who = reads.person_by_pidm(banner, pidm)
        client.account.create_user(
            {"unique_id": who.preferred_email or f"{who.banner_id}@x.edu",
             "sis_user_id": who.banner_id},
            user={"name": f"{who.first_name} {who.last_name}"},
        )  # fmt: skip
        user = get_user(client, who.banner_id)
        enroll(client, EnrollmentSpec(sis_section_id=section_sis_id(term, crn), user_id=user.id))
        assignment.get_submission(user.id).edit(submission={"posted_grade": str(score)})
    return course


def answer(pending: PendingApproval, kind: str, by: Principal, **extra: Any) -> dict[str, Any]:
    return {
        "type": kind,
        "request_id": pending.request.id,
        "by": {"actor": by.actor, "role": by.role.value, "pidm": by.pidm},
        **extra,
    }
