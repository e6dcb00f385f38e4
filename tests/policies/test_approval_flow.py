"""Approvals: interrupt with an ApprovalRequest, resume with Command(resume=...), on real Banner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.types import Command
from sqlalchemy import Engine

from core.errors import ValidationFailed
from policies.approvals import ApprovalRequest, Approver, parse_decision
from policies.audit import AuditLog
from policies.guard import Guard
from policies.pii import PiiType, PseudonymVault, Redactor
from policies.rbac import Policy, Principal, Role
from tests.policies.agent_harness import agent, call, context, redactor_for, scripted
from tests.policies.conftest import Cast
from tools.banner import reads


@pytest.fixture(scope="module")
def redactor(banner: Engine) -> Redactor:
    return redactor_for(banner)


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


class GradeRun:
    """A grade-posting run paused at its approval, ready to be answered."""

    def __init__(
        self, guard: Guard, principal: Principal, banner: Engine, redactor: Redactor, cast: Cast
    ) -> None:
        self.vault = PseudonymVault()
        token = self.vault.pseudonym(PiiType.PIDM, str(cast.student))  # as seen in the roster
        model = scripted(
            call(
                "banner_post_grade",
                {"term": cast.term, "crn": cast.section, "pidm": token, "grade": "A"},
                "g1",
                f"Canvas final score 93% for {token}, so the scheme gives A.",
            ),
            AIMessage("Finished."),
        )
        self.app = agent(guard, principal, model)
        self.ctx = context(principal, banner, redactor, vault=self.vault)
        self.config: RunnableConfig = {"configurable": {"thread_id": f"grade-{principal.actor}"}}
        result = self.app.invoke(
            {"messages": [HumanMessage("Post the final grades.")]}, self.config, context=self.ctx
        )
        [pending] = result["__interrupt__"]
        self.request = ApprovalRequest.model_validate(pending.value)

    def answer(self, kind: str, by: tuple[str, Role, int | None], **extra: Any) -> ToolMessage:
        actor, role, pidm = by
        decision = {
            "type": kind,
            "request_id": self.request.id,
            "by": {"actor": actor, "role": role.value, "pidm": pidm},
            **extra,
        }
        result = self.app.invoke(Command(resume=decision), self.config, context=self.ctx)
        assert result["messages"][-1].content == "Finished."
        message = result["messages"][-2]
        assert isinstance(message, ToolMessage)
        return message


def grade_agent(cast: Cast) -> Principal:
    return Principal(actor="agent:grade", role=Role.GRADE, term=cast.term)


def instructor_of_record(cast: Cast) -> tuple[str, Role, int]:
    return ("person:instructor", Role.INSTRUCTOR, cast.instructor)


def posted_grade(banner: Engine, cast: Cast) -> str | None:
    roster = reads.section_roster(banner, cast.term, cast.section)
    return next(e.grade for e in roster.enrolled if e.pidm == cast.student)


@pytest.fixture
def run(guard: Guard, cast: Cast, banner_copy: Engine, redactor: Redactor) -> GradeRun:
    assert posted_grade(banner_copy, cast) is None
    return GradeRun(guard, grade_agent(cast), banner_copy, redactor, cast)


def test_the_request_is_an_agent_inbox_payload(run: GradeRun, cast: Cast, audit: AuditLog) -> None:
    request = run.request
    assert request.action_request.action == "banner_post_grade"
    assert request.action_request.args["pidm"] == cast.student  # what would run, for the approver
    assert request.approver is Approver.INSTRUCTOR_OF_RECORD
    assert request.allowed_responses == ["approve", "edit", "reject", "comment"]
    assert request.subject == {"student": cast.student, "term": cast.term, "crn": cast.section}
    assert "Canvas final score 93%" in request.description
    assert str(cast.student) not in request.description  # the markdown shows redacted values
    assert request.expires_at - request.created_at == timedelta(hours=72)
    [event] = audit.tail()
    assert (event.decision, event.approval_id) == ("needs-approval", request.id)
    assert str(cast.student) not in str(event.arguments)


def test_approve_runs_the_write(
    run: GradeRun, cast: Cast, banner_copy: Engine, audit: AuditLog
) -> None:
    message = run.answer("approve", instructor_of_record(cast))
    assert message.status != "error"
    assert '"grade": "A"' in message.content and str(cast.student) not in message.content
    assert posted_grade(banner_copy, cast) == "A"
    requested, executed = audit.tail()
    assert requested.decision == "needs-approval"
    assert executed.decision == "allow"
    assert executed.outcome == "ok; approved by person:instructor (instructor)"
    assert executed.approval_id == requested.approval_id
    assert audit.verify().ok


def test_edit_runs_the_edited_write(
    run: GradeRun, cast: Cast, banner_copy: Engine, audit: AuditLog
) -> None:
    edited = {**run.request.action_request.args, "grade": "B+"}
    message = run.answer("edit", instructor_of_record(cast), args=edited)
    assert message.status != "error"
    assert posted_grade(banner_copy, cast) == "B+"
    assert audit.tail(1)[0].outcome == "ok; edited by person:instructor (instructor)"


@pytest.mark.parametrize(
    ("kind", "extra", "says"),
    [
        ("reject", {"reason": "Wait for the late lab."}, "rejected this action: Wait for the late"),
        ("comment", {"text": "Check the curve first."}, "commented: Check the curve first."),
        ("comment", {"text": "Ask A00123456 first."}, "commented: Ask <BANNER_ID_1> first."),
    ],
)
def test_reject_and_comment_run_nothing(
    run: GradeRun,
    cast: Cast,
    banner_copy: Engine,
    audit: AuditLog,
    kind: str,
    extra: dict[str, str],
    says: str,
) -> None:
    message = run.answer(kind, instructor_of_record(cast), **extra)
    assert message.status == "error" and says in message.content
    assert posted_grade(banner_copy, cast) is None
    assert audit.tail(1)[0].decision == "deny"


@pytest.mark.parametrize(
    ("by", "refusal"),
    [
        (("person:registrar", Role.REGISTRAR, None), "instructor of record"),
        (("person:other", Role.INSTRUCTOR, "registrar"), "instructor of record"),
        (("agent:grade", Role.INSTRUCTOR, "instructor"), "their own request"),
        (("person:student", Role.INSTRUCTOR, "student"), "about their own record"),
    ],
)
def test_only_the_instructor_of_record_may_approve_and_not_for_themselves(
    run: GradeRun,
    cast: Cast,
    banner_copy: Engine,
    by: tuple[str, Role, str | None],
    refusal: str,
) -> None:
    actor, role, who = by
    pidm = getattr(cast, who) if who else None
    message = run.answer("approve", (actor, role, pidm))
    assert message.status == "error" and refusal in message.content
    assert posted_grade(banner_copy, cast) is None


def test_an_instructor_cannot_approve_a_grade_they_requested(
    guard: Guard, cast: Cast, banner_copy: Engine, redactor: Redactor
) -> None:
    principal = Principal(
        actor="person:instructor", role=Role.INSTRUCTOR, pidm=cast.instructor, term=cast.term
    )
    own = GradeRun(guard, principal, banner_copy, redactor, cast)
    message = own.answer("approve", instructor_of_record(cast))
    assert message.status == "error" and "their own request" in message.content
    assert posted_grade(banner_copy, cast) is None


def test_an_edit_cannot_leave_the_requesters_scope(
    guard: Guard, cast: Cast, banner_copy: Engine, redactor: Redactor
) -> None:
    principal = Principal(
        actor="person:instructor", role=Role.INSTRUCTOR, pidm=cast.instructor, term=cast.term
    )
    own = GradeRun(guard, principal, banner_copy, redactor, cast)
    elsewhere = {**own.request.action_request.args, "crn": cast.other_section}
    message = own.answer("edit", ("person:chair", Role.INSTRUCTOR, cast.registrar), args=elsewhere)
    assert message.status == "error" and f"do not teach section {cast.other_section}" in (
        message.content
    )


def test_an_expired_request_cannot_be_approved(
    policy: Policy, audit: AuditLog, cast: Cast, banner_copy: Engine, redactor: Redactor
) -> None:
    clock = Clock()
    late = GradeRun(
        Guard(policy, audit, clock=clock), grade_agent(cast), banner_copy, redactor, cast
    )
    clock.now += timedelta(hours=73)
    message = late.answer("approve", instructor_of_record(cast))
    assert message.status == "error" and "expired" in message.content
    assert posted_grade(banner_copy, cast) is None


@pytest.mark.parametrize(
    ("kind", "extra", "says"),
    [
        ("approve", {"request_id": "not-this-one"}, "different request"),
        ("maybe", {}, "malformed approval decision"),
        ("edit", {}, "edit.args: Field required"),
    ],
)
def test_malformed_or_misdirected_answers_run_nothing(
    run: GradeRun, cast: Cast, banner_copy: Engine, kind: str, extra: dict[str, Any], says: str
) -> None:
    message = run.answer(kind, instructor_of_record(cast), **extra)
    assert message.status == "error" and says in message.content
    assert posted_grade(banner_copy, cast) is None


def test_decisions_are_validated_with_clear_errors() -> None:
    by = {"actor": "person:x", "role": "instructor", "pidm": 1}
    assert parse_decision({"type": "approve", "request_id": "r", "by": by}).type == "approve"
    with pytest.raises(ValidationFailed, match=r"malformed approval decision.*by: Field required"):
        parse_decision({"type": "reject", "request_id": "r"})
    with pytest.raises(ValidationFailed, match=r"comment\.text"):
        parse_decision({"type": "comment", "request_id": "r", "by": by, "text": ""})
    with pytest.raises(ValidationFailed, match="role"):
        parse_decision({"type": "approve", "request_id": "r", "by": {**by, "role": "dean"}})



def test_a_request_raised_again_is_recorded_once(
    run: GradeRun, audit: AuditLog
) -> None:
    """Each resume of a run re-runs its tool node, and a call still waiting interrupts again
    (for every other answer to the same run): the audit trail keeps one row per request."""
    for _ in range(3):
        again = run.app.invoke(None, run.config, context=run.ctx)
        [pending] = again["__interrupt__"]
        assert ApprovalRequest.model_validate(pending.value).id == run.request.id
    rows = [e for e in audit.iter_events() if e.approval_id == run.request.id]
    assert [e.decision for e in rows] == ["needs-approval"]
