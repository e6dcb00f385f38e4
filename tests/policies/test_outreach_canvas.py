"""Outreach end to end: the alert agent drafts with pseudonyms, the advisor approves, Canvas gets
the real text (re-identified at the last step), and the model never saw who the student is."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langchain_core.runnables import RunnableConfig
from langgraph.types import Command
from sqlalchemy import Engine

from policies.approvals import ApprovalRequest, Approver
from policies.audit import AuditLog
from policies.guard import Guard
from policies.pii import PiiType, PseudonymVault
from policies.rbac import Principal, Role
from sandbox.canvas.testing import running_simulator
from tests.policies.agent_harness import agent, call, context, redactor_for, scripted
from tests.policies.conftest import Cast
from tools.banner import reads
from tools.canvas.client import CanvasClient


@pytest.fixture
def client(tmp_path: Path) -> Iterator[CanvasClient]:
    with running_simulator(tmp_path / "canvas.db") as sim:
        canvas = CanvasClient(sim.base_url, sim.token)
        yield canvas
        canvas.close()


def test_approved_outreach_reaches_canvas_reidentified(
    cast: Cast,
    banner: Engine,
    guard: Guard,
    audit: AuditLog,
    client: CanvasClient,
) -> None:
    person = reads.person_by_pidm(banner, cast.student)
    assert person.first_name, "the outreach greets the student by first name"
    client.account.create_user(
        {"unique_id": person.preferred_email, "sis_user_id": person.banner_id},
        user={"name": f"{person.first_name} {person.last_name}"},
    )
    vault = PseudonymVault()
    pidm = vault.pseudonym(PiiType.PIDM, str(cast.student))
    first = vault.pseudonym(PiiType.PERSON, person.first_name)
    principal = Principal(actor="agent:alert", role=Role.ALERT, term=cast.term)
    body = f"Hi {first}, you have missed two assignments. Can we talk this week?"
    model = scripted(
        call("canvas_send_message", {"pidm": pidm, "subject": "Checking in", "body": body}),
        AIMessage("Drafted for the advisor."),
    )
    app = agent(guard, principal, model)
    ctx = context(principal, banner, redactor_for(banner), canvas=client, vault=vault)
    config: RunnableConfig = {"configurable": {"thread_id": "outreach"}}
    paused = app.invoke({"messages": [HumanMessage("Weekly at-risk scan.")]}, config, context=ctx)
    request = ApprovalRequest.model_validate(paused["__interrupt__"][0].value)
    assert request.approver is Approver.STUDENT_ADVISOR
    assert request.action_request.args["body"] == f"Hi {person.first_name}, " + body.split(", ")[1]

    decision = {
        "type": "approve",
        "request_id": request.id,
        "by": {"actor": "person:advisor", "role": "advisor", "pidm": cast.advisor},
    }
    done = app.invoke(Command(resume=decision), config, context=ctx)
    sent = done["messages"][-2]
    assert isinstance(sent, ToolMessage) and sent.status != "error", sent.content

    [conversation] = client.canvas.get_conversations()
    assert conversation.last_message.startswith(f"Hi {person.first_name},")
    seen = "\n".join(str(m.content) for prompt in model.seen for m in prompt)
    assert person.first_name not in seen and person.banner_id not in seen
    assert [e.decision for e in audit.tail()] == ["needs-approval", "allow"]
    assert person.first_name not in str(audit.tail()[0].arguments)


def test_outreach_needs_the_students_own_advisor(
    cast: Cast, banner: Engine, guard: Guard, client: CanvasClient
) -> None:
    vault = PseudonymVault()
    pidm = vault.pseudonym(PiiType.PIDM, str(cast.other_student))
    principal = Principal(actor="agent:alert", role=Role.ALERT, term=cast.term)
    model = scripted(
        call("canvas_send_message", {"pidm": pidm, "subject": "Hello", "body": "Checking in."}),
        AIMessage("Drafted."),
    )
    app = agent(guard, principal, model)
    ctx = context(principal, banner, redactor_for(banner), canvas=client, vault=vault)
    config: RunnableConfig = {"configurable": {"thread_id": "outreach-other"}}
    paused = app.invoke({"messages": [HumanMessage("Scan.")]}, config, context=ctx)
    request = ApprovalRequest.model_validate(paused["__interrupt__"][0].value)
    decision = {
        "type": "approve",
        "request_id": request.id,
        "by": {"actor": "person:advisor", "role": "advisor", "pidm": cast.advisor},
    }
    done = app.invoke(Command(resume=decision), config, context=ctx)
    refused = done["messages"][-2]
    assert refused.status == "error" and "student's advisor" in refused.content
    assert list(client.canvas.get_conversations()) == []
