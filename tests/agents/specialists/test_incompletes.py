"""Incompletes end to end: an 'I' near its lapse → the instructor answers → a registrar confirms."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import Engine, text

from agents.approvals import decide, outstanding, pending_approvals
from agents.events import GradeEntered
from agents.specialists import incompletes
from core.errors import ValidationFailed
from policies.approvals import Approver
from policies.guard import Guard
from policies.pii import Redactor
from policies.rbac import Role
from policies.scope import BannerDirectory
from tests.agents.specialists.harness import NOW, agent_context, answer, deps_with, person
from tests.policies.agent_harness import TODAY
from tests.policies.conftest import Cast
from tools.banner import reads
from tools.canvas.client import CanvasClient

CONFIG = incompletes.IncompletesConfig(grading_deadlines={"202610": TODAY - timedelta(days=30)})


def _incomplete(banner: Engine, cast: Cast) -> None:
    with banner.begin() as conn:
        conn.execute(
            text(
                "UPDATE sfrstcr SET sfrstcr_grde_code = 'I', sfrstcr_grde_code_incmp_final = 'F',"
                " sfrstcr_incomplete_ext_date = :d WHERE sfrstcr_term_code = :t"
                " AND sfrstcr_crn = :c AND sfrstcr_pidm = :p"
            ),
            {"d": TODAY + timedelta(days=3), "t": cast.term, "c": cast.section, "p": cast.student},
        )


class Flow:
    def __init__(
        self, guard: Guard, banner: Engine, redactor: Redactor, canvas: CanvasClient, cast: Cast
    ) -> None:
        _incomplete(banner, cast)
        deps = deps_with(guard, None)
        self.deps = deps.__class__(guard=guard, drafter=deps.drafter, today=lambda: TODAY)
        self.checkpointer = InMemorySaver()
        self.app = incompletes.build(self.deps, CONFIG, self.checkpointer)
        self.ctx = agent_context(Role.GRADE, cast.term, banner, redactor, canvas)
        self.directory = BannerDirectory(banner)
        event = GradeEntered(
            event_id="g1", occurred_at=NOW, term_code=cast.term, crn=cast.section,
            pidm=cast.student, grade_code="I",
        )  # fmt: skip
        self.first = self.app.invoke(
            {"event": event.model_dump(mode="json")},
            {"configurable": {"thread_id": "inc"}},
            context=self.ctx,
        )

    def decide(self, decisions: dict[str, Any]) -> dict[str, Any]:
        return decide(self.app, "inc", decisions, directory=self.directory, context=self.ctx)


@pytest.fixture
def flow(
    guard: Guard, banner_copy: Engine, redactor: Redactor, canvas: CanvasClient, cast: Cast
) -> Flow:
    return Flow(guard, banner_copy, redactor, canvas, cast)


def grade_of(banner: Engine, cast: Cast) -> str | None:
    roster = reads.section_roster(banner, cast.term, cast.section)
    return next(e.grade for e in roster.enrolled if e.pidm == cast.student)


def test_instructor_answers_then_registrar_confirms(
    flow: Flow, cast: Cast, banner_copy: Engine
) -> None:
    [question] = outstanding(flow.app, "inc")
    assert question.request.approver is Approver.INSTRUCTOR_OF_RECORD
    assert question.request.allowed_responses == ["edit", "reject", "comment"]
    assert "lapses in 3 days" in question.request.description
    instructor = person("person:instructor", Role.INSTRUCTOR, cast.instructor)
    registrar = person("person:registrar", Role.REGISTRAR, cast.registrar)
    assert pending_approvals(flow.checkpointer, flow.app, instructor, flow.directory)
    assert not pending_approvals(flow.checkpointer, flow.app, registrar, flow.directory)
    with pytest.raises(ValidationFailed, match="allows edit, reject, comment"):
        flow.decide({question.interrupt_id: answer(question, "approve", instructor)})
    chosen = {**question.request.action_request.args, "grade": "B"}
    flow.decide({question.interrupt_id: answer(question, "edit", instructor, args=chosen)})
    assert grade_of(banner_copy, cast) == "I"  # the registrar has not confirmed yet

    [confirm] = outstanding(flow.app, "inc")
    assert confirm.request.approver is Approver.REGISTRAR
    assert confirm.request.action_request.args["grade"] == "B"
    assert pending_approvals(flow.checkpointer, flow.app, registrar, flow.directory)
    done = flow.decide({confirm.interrupt_id: answer(confirm, "approve", registrar)})
    assert done["outcome"]["status"] == "done"
    assert grade_of(banner_copy, cast) == "B"


def test_an_extension_without_a_contract_store_changes_nothing(
    flow: Flow, cast: Cast, banner_copy: Engine
) -> None:
    """An extension is a contract (see test_incomplete_contract); a run with no store for it
    ends for a person before anything reaches the chair, the registrar or Banner."""
    [question] = outstanding(flow.app, "inc")
    instructor = person("person:instructor", Role.INSTRUCTOR, cast.instructor)
    later = (TODAY + timedelta(days=60)).isoformat()
    chosen = {**question.request.action_request.args, "extend_to": later, "work_remaining": "Lab"}
    done = flow.decide({question.interrupt_id: answer(question, "edit", instructor, args=chosen)})
    assert done["outcome"]["status"] == "needs_person"
    assert "no contract store" in done["outcome"]["detail"]
    assert not outstanding(flow.app, "inc")
    assert grade_of(banner_copy, cast) == "I"


def test_instructor_rejects_and_nothing_changes(
    flow: Flow, cast: Cast, banner_copy: Engine
) -> None:
    [question] = outstanding(flow.app, "inc")
    instructor = person("person:instructor", Role.INSTRUCTOR, cast.instructor)
    done = flow.decide({question.interrupt_id: answer(question, "reject", instructor, reason="x")})
    assert done["outcome"]["status"] == "rejected" and "declined" in done["outcome"]["detail"]
    assert grade_of(banner_copy, cast) == "I"


def test_a_registration_that_does_not_exist_is_a_defined_outcome(
    guard: Guard, banner: Engine, redactor: Redactor, cast: Cast
) -> None:
    app = incompletes.build(deps_with(guard, None), CONFIG, InMemorySaver())
    event = GradeEntered(
        event_id="g2", occurred_at=NOW, term_code=cast.term, crn=cast.section,
        pidm=cast.other_student, grade_code="I",
    )  # fmt: skip
    ctx = agent_context(Role.GRADE, cast.term, banner, redactor, None)
    out = app.invoke({"event": event.model_dump(mode="json")},
                     {"configurable": {"thread_id": "x"}}, context=ctx)  # fmt: skip
    assert out["outcome"]["status"] == "dead_letter"
