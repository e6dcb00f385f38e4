"""Incomplete contracts end to end: instructor → chair → registrar, a PDF, Banner and Canvas.

Real components throughout: the seeded Banner sandbox (SQLite), the Canvas simulator over HTTP
through canvasapi, the guard with its audit log, and the sealed contract store.
"""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from langgraph.checkpoint.memory import InMemorySaver
from pypdf import PdfReader
from sqlalchemy import Engine, create_engine, text

from agents.approvals import decide, outstanding, pending_approvals
from agents.events import GradeEntered
from agents.specialists import incompletes
from agents.toolbox.contracts import ContractStatus
from core.errors import ValidationFailed
from core.ids import course_sis_id, section_sis_id
from policies.approvals import Approver
from policies.guard import Guard
from policies.pii import Redactor
from policies.rbac import Principal, Role
from policies.scope import BannerDirectory
from runtime.contracts import SealedContractStore
from tests.agents.specialists.harness import (
    NOW,
    agent_context,
    answer,
    canvas_course,
    deps_with,
    person,
)
from tests.policies.agent_harness import TODAY
from tests.policies.conftest import Cast
from tools.banner import reads
from tools.canvas.client import CanvasClient
from tools.canvas.lookup import get_course, get_user

CONFIG = incompletes.IncompletesConfig(grading_deadlines={"202610": TODAY - timedelta(days=30)})
LATER = TODAY + timedelta(days=60)
WORK = "Submit the final lab report and sit the make-up exam."


class ContractFlow:
    """An 'I' about to lapse, asked of the instructor, with a contract store and Canvas."""

    def __init__(
        self,
        guard: Guard,
        banner: Engine,
        redactor: Redactor,
        canvas: CanvasClient,
        cast: Cast,
        store: SealedContractStore,
    ) -> None:
        self.banner, self.cast, self.store, self.canvas = banner, cast, store, canvas
        with banner.begin() as conn:
            conn.execute(
                text(
                    "UPDATE sfrstcr SET sfrstcr_grde_code = 'I', sfrstcr_grde_code_incmp_final ="
                    " 'F', sfrstcr_incomplete_ext_date = :d WHERE sfrstcr_term_code = :t"
                    " AND sfrstcr_crn = :c AND sfrstcr_pidm = :p"
                ),
                {"d": TODAY + timedelta(days=3), "t": cast.term, "c": cast.section,
                 "p": cast.student},
            )  # fmt: skip
        canvas_course(canvas, banner, cast.term, cast.section, {cast.student: 55.0})
        deps = deps_with(guard, None)
        deps = deps.__class__(guard=guard, drafter=deps.drafter, today=lambda: TODAY)
        self.app = incompletes.build(deps, CONFIG, InMemorySaver())
        ctx = agent_context(Role.GRADE, cast.term, banner, redactor, canvas)
        self.ctx = ctx.__class__(**{**ctx.__dict__, "contracts": store})
        self.directory = BannerDirectory(banner)
        self.section = reads.get_section(banner, cast.term, cast.section)
        self.department = self.section.department or ""
        self.instructor = person("person:instructor", Role.INSTRUCTOR, cast.instructor)
        self.registrar = person("person:registrar", Role.REGISTRAR, cast.registrar)
        self.chair = Principal(actor="person:chair", role=Role.CHAIR, department=self.department)
        self.grade_event("I", "g1")

    def grade_event(self, grade: str, event_id: str) -> dict[str, Any]:
        event = GradeEntered(
            event_id=event_id, occurred_at=NOW, term_code=self.cast.term, crn=self.cast.section,
            pidm=self.cast.student, grade_code=grade,
        )  # fmt: skip
        out: dict[str, Any] = self.app.invoke(
            {"event": event.model_dump(mode="json")},
            {"configurable": {"thread_id": f"inc-{event_id}"}},
            context=self.ctx,
        )
        return out

    def decide(self, decisions: dict[str, Any]) -> dict[str, Any]:
        return decide(self.app, "inc-g1", decisions, directory=self.directory, context=self.ctx)

    def extend(self, **extra: Any) -> None:
        [question] = outstanding(self.app, "inc-g1")
        args = {**question.request.action_request.args, "extend_to": LATER.isoformat(), **extra}
        self.decide({question.interrupt_id: answer(question, "edit", self.instructor, args=args)})

    def chair_answer(self, kind: str, department: str | None = None, **extra: Any) -> Any:
        [request] = outstanding(self.app, "inc-g1")
        by = {"actor": "person:chair", "role": "chair", "department": department}
        value = {"type": kind, "request_id": request.request.id, "by": by, **extra}
        return self.decide({request.interrupt_id: value})

    def ext_date(self) -> Any:
        with self.banner.connect() as conn:
            return conn.execute(
                text(
                    "SELECT sfrstcr_grde_code, sfrstcr_incomplete_ext_date FROM sfrstcr"
                    " WHERE sfrstcr_term_code = :t AND sfrstcr_crn = :c AND sfrstcr_pidm = :p"
                ),
                {"t": self.cast.term, "c": self.cast.section, "p": self.cast.student},
            ).one()


@pytest.fixture
def store(tmp_path: Path) -> SealedContractStore:
    return SealedContractStore(
        create_engine(f"sqlite:///{tmp_path / 'app.db'}"), Fernet.generate_key()
    )


@pytest.fixture
def flow(
    guard: Guard,
    banner_copy: Engine,
    redactor: Redactor,
    canvas: CanvasClient,
    cast: Cast,
    store: SealedContractStore,
) -> ContractFlow:
    return ContractFlow(guard, banner_copy, redactor, canvas, cast, store)


def test_instructor_chair_registrar_then_banner_canvas_and_the_students_copy(
    flow: ContractFlow, cast: Cast, tmp_path: Path
) -> None:
    flow.extend(work_remaining=WORK)
    [chair_step] = outstanding(flow.app, "inc-g1")
    request = chair_step.request
    assert request.approver is Approver.DEPARTMENT_CHAIR
    contract_id = request.action_request.args["contract"]
    contract = flow.store.get(contract_id)
    assert contract.sha256 in request.description
    assert f"/api/approvals/{request.id}/contract" in request.description
    assert flow.store.status(contract_id) is ContractStatus.ROUTING

    page = PdfReader(io.BytesIO(contract.pdf)).pages[0].extract_text()
    student = reads.person_by_pidm(flow.banner, cast.student)
    section = flow.section
    for expected in (
        f"{student.first_name} {student.last_name}", student.banner_id,
        f"{section.subject} {section.course_number} {section.title}", cast.section, cast.term,
        LATER.strftime("%B %d, %Y"), "the grade F", "Submit the final lab report",
        "Department chair or dean", "Registrar", "Student:",
    ):  # fmt: skip
        assert expected in page, expected
    assert student.last_name not in (tmp_path / "app.db").read_bytes().decode("latin-1")

    # a chair of another department may neither see nor decide it; this one approves
    other = Principal(actor="person:chair2", role=Role.CHAIR, department="ZZZZ")
    checkpointer = flow.app.checkpointer
    assert not pending_approvals(checkpointer, flow.app, other, flow.directory)  # type: ignore[arg-type]
    assert pending_approvals(checkpointer, flow.app, flow.chair, flow.directory)  # type: ignore[arg-type]
    with pytest.raises(ValidationFailed, match="chair of the course's department"):
        flow.chair_answer("approve", department="ZZZZ")
    flow.chair_answer("approve", department=flow.department)
    assert flow.ext_date()[1] != LATER  # the registrar has not approved yet

    [registrar_step] = outstanding(flow.app, "inc-g1")
    assert registrar_step.request.approver is Approver.REGISTRAR
    assert registrar_step.request.action_request.args["contract"] == contract_id
    done = flow.decide(
        {registrar_step.interrupt_id: answer(registrar_step, "approve", flow.registrar)}
    )
    assert done["outcome"]["status"] == "done", done["outcome"]
    grade, ext = flow.ext_date()
    assert (grade, str(ext)[:10]) == ("I", LATER.isoformat())
    assert flow.store.status(contract_id) is ContractStatus.ACTIVE

    # Canvas: a section of the student's own whose dates bound access, and the contract message
    canvas = flow.canvas
    user = get_user(canvas, student.banner_id)
    group = reads.crosslist_group(flow.banner, cast.term, cast.section)
    grouped = group.group if group else None
    course = get_course(canvas, course_sis_id(cast.term, cast.section, grouped))
    own = section_sis_id(cast.term, cast.section)
    extension = [
        s for s in course.get_sections() if (s.sis_section_id or "").startswith(f"{own}-INC-")
    ]
    [ext_section] = extension
    assert ext_section.restrict_enrollments_to_section_dates is True
    assert ext_section.end_at.startswith(LATER.isoformat())
    assert [e.user_id for e in ext_section.get_enrollments()] == [user.id]
    [sent] = [
        c for c in canvas.canvas.get_conversations()
        if c.subject == "Your incomplete grade contract"
    ]  # fmt: skip
    assert sent.audience == [user.id]
    assert contract.sha256 in sent.last_message and student.last_name in sent.last_message

    # a completed grade later resolves the contract
    resolved = flow.grade_event("B", "g2")
    assert resolved["outcome"]["figures"] == {"contracts_resolved": 1}
    assert flow.store.status(contract_id) is ContractStatus.RESOLVED


def test_the_chair_rejects_and_nothing_changes(flow: ContractFlow) -> None:
    before = flow.ext_date()
    flow.extend(work_remaining=WORK)
    [chair_step] = outstanding(flow.app, "inc-g1")
    contract_id = chair_step.request.action_request.args["contract"]
    done = flow.chair_answer("reject", department=flow.department, reason="Too long.")
    assert done["outcome"]["status"] == "rejected" and "Too long." in done["outcome"]["detail"]
    assert flow.store.status(contract_id) is ContractStatus.REJECTED
    assert flow.ext_date() == before


def test_the_registrar_rejects_and_the_contract_records_it(flow: ContractFlow) -> None:
    before = flow.ext_date()
    flow.extend(work_remaining=WORK)
    [chair_step] = outstanding(flow.app, "inc-g1")
    contract_id = chair_step.request.action_request.args["contract"]
    flow.chair_answer("approve", department=flow.department)
    [confirm] = outstanding(flow.app, "inc-g1")
    done = flow.decide({confirm.interrupt_id: answer(confirm, "reject", flow.registrar)})
    assert done["outcome"]["status"] == "rejected"
    assert flow.store.status(contract_id) is ContractStatus.REJECTED
    assert flow.ext_date() == before


def test_an_extension_without_its_terms_is_refused_and_stays_pending(flow: ContractFlow) -> None:
    with pytest.raises(ValidationFailed, match="needs the work_remaining"):
        flow.extend()
    [still] = outstanding(flow.app, "inc-g1")
    assert still.request.approver is Approver.INSTRUCTOR_OF_RECORD


def test_the_contract_tools_refuse_while_banner_holds_no_approved_incomplete(
    flow: ContractFlow,
) -> None:
    """They need no approval of their own only because they check the registrar's was given."""
    from agents.toolbox.contract_tools import (
        ExtendAccessArgs,
        SendContractArgs,
        extend_access,
        send_contract,
    )

    flow.extend(work_remaining=WORK)
    [chair_step] = outstanding(flow.app, "inc-g1")
    contract_id = chair_step.request.action_request.args["contract"]
    student = {"term": flow.cast.term, "crn": flow.cast.section, "pidm": flow.cast.student}
    with pytest.raises(ValidationFailed, match="not approved by the registrar"):
        send_contract(flow.ctx, SendContractArgs(**student, contract=contract_id))
    with pytest.raises(ValidationFailed, match="not the incomplete's extension date"):
        extend_access(flow.ctx, ExtendAccessArgs(**student, until=LATER))
