"""Rollout modes at the one door: off refuses, shadow records and never executes, approve waits.

A scripted model plays a specialist that writes whatever it likes; the guard decides from the
run's workflow and bound section (trusted context), and a spy around the real tool executor
shows what actually ran.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage
from langgraph.prebuilt.tool_node import ToolCallRequest
from sqlalchemy import Engine, text

from core.db import make_engine
from policies.audit import AuditLog
from policies.guard import Execute, Guard, Result, _Call
from policies.pii import Redactor
from policies.rbac import Policy, Principal, Role
from policies.rollout import Mode, RolloutConfig, RolloutControl, ScopeKey, Workflow, write_rollout
from policies.rollout_gate import RolloutGate
from policies.rollout_log import RolloutLog
from tests.policies.agent_harness import agent, call, context, redactor_for, scripted
from tests.policies.conftest import Cast


class SpyGuard(Guard):
    """The real guard, with a spy around the real tool executor it is handed."""

    executed: list[str]

    def _execute(self, call: _Call, execute: Execute) -> Result:
        def spy(request: ToolCallRequest) -> Result:
            self.executed.append(request.tool_call["name"])
            return execute(request)

        return super()._execute(call, spy)


@pytest.fixture(scope="module")
def redactor(banner: Engine) -> Redactor:
    return redactor_for(banner)


def department_of(banner: Engine, term: str, crn: str) -> str:
    with banner.connect() as conn:
        return str(
            conn.execute(
                text(
                    "SELECT c.scbcrse_dept_code FROM ssbsect s JOIN scbcrse c"
                    " ON c.scbcrse_subj_code = s.ssbsect_subj_code"
                    " AND c.scbcrse_crse_numb = s.ssbsect_crse_numb"
                    " WHERE s.ssbsect_term_code = :t AND s.ssbsect_crn = :c"
                    " ORDER BY c.scbcrse_eff_term DESC LIMIT 1"
                ),
                {"t": term, "c": crn},
            ).scalar_one()
        )


def guard_with(
    policy: Policy, audit: AuditLog, tmp_path: Path, workflow: Workflow, mode: Mode, dept: str
) -> tuple[SpyGuard, RolloutLog]:
    path = tmp_path / "rollout.yaml"
    scope = {ScopeKey.DEPARTMENTS: [dept]}
    write_rollout(path, RolloutConfig().with_mode(workflow, mode, scope))
    log = RolloutLog(make_engine(f"sqlite:///{tmp_path}/app.db"))
    log.create()
    guard = SpyGuard(policy, audit, rollout=RolloutGate(RolloutControl(path), log))
    guard.executed = []
    return guard, log


def roster(cast: Cast) -> Principal:
    return Principal(actor="agent:roster", role=Role.ROSTER, term=cast.term)


def run(
    guard: Guard, cast: Cast, banner: Engine, redactor: Redactor, *turns: AIMessage, **bind: Any
) -> list[ToolMessage]:
    model = scripted(*turns, AIMessage("done"))
    ctx = context(roster(cast), banner, redactor)
    result = agent(guard, roster(cast), model).invoke(
        {"messages": [HumanMessage("sync")]},
        {"configurable": {"thread_id": "t1"}},
        context=replace(ctx, **bind),
    )
    return [m for m in result.get("messages", []) if isinstance(m, ToolMessage)]


def test_a_shadowed_write_never_reaches_the_tool_while_reads_still_run(
    cast: Cast, banner: Engine, policy: Policy, audit: AuditLog, redactor: Redactor,
    tmp_path: Path,
) -> None:  # fmt: skip
    dept = department_of(banner, cast.term, cast.section)
    guard, log = guard_with(policy, audit, tmp_path, Workflow.ROSTER_SYNC, Mode.SHADOW, dept)
    section = {"term": cast.term, "crn": cast.section}
    answers = run(
        guard, cast, banner, redactor,
        call("banner_get_section", section, "c1"),
        call("canvas_enroll_student", {**section, "pidm": cast.student}, "c2", "Enroll now!"),
        workflow=Workflow.ROSTER_SYNC, bound_term=cast.term, bound_crn=cast.section,
    )  # fmt: skip
    assert guard.executed == ["banner_get_section"]  # the read ran, the write did not
    read, write = answers
    assert read.status != "error"
    assert write.status == "error" and str(write.content).startswith("Shadowed by rollout")
    assert [(e.tool, e.decision, e.outcome) for e in audit.tail(5)] == [
        ("banner_get_section", "allow", "ok"),
        ("canvas_enroll_student", "shadow", "shadowed"),
    ]
    assert str(cast.student) not in str(audit.tail(1)[0].arguments)  # audited redacted
    [record] = log.shadow_records(Workflow.ROSTER_SYNC)
    assert (record.tool, record.target.crn, record.target.department) == (
        "canvas_enroll_student", cast.section, dept,
    )  # fmt: skip
    assert record.keys == {**section, "pidm": cast.student}
    assert record.would_have == {"canvas_enroll_student": 1}
    assert str(cast.student) not in str(record.arguments)


def test_the_section_comes_from_the_run_never_from_the_models_arguments(
    cast: Cast, banner: Engine, policy: Policy, audit: AuditLog, redactor: Redactor,
    tmp_path: Path,
) -> None:  # fmt: skip
    """The run is bound to the shadowed section; naming another section does not escape it."""
    dept = department_of(banner, cast.term, cast.section)
    guard, _ = guard_with(policy, audit, tmp_path, Workflow.ROSTER_SYNC, Mode.SHADOW, dept)
    elsewhere = {"term": cast.term, "crn": cast.other_section, "pidm": cast.student}
    [write] = run(
        guard, cast, banner, redactor, call("canvas_enroll_student", elsewhere, "c1"),
        workflow=Workflow.ROSTER_SYNC, bound_term=cast.term, bound_crn=cast.section,
    )  # fmt: skip
    assert guard.executed == [] and str(write.content).startswith("Shadowed by rollout")


def test_off_refuses_every_call_and_audits_it(
    cast: Cast, banner: Engine, policy: Policy, audit: AuditLog, redactor: Redactor,
    tmp_path: Path,
) -> None:  # fmt: skip
    dept = department_of(banner, cast.term, cast.section)
    guard, _ = guard_with(policy, audit, tmp_path, Workflow.ROSTER_SYNC, Mode.OFF, dept)
    [read] = run(
        guard, cast, banner, redactor,
        call("banner_get_section", {"term": cast.term, "crn": cast.section}, "c1"),
        workflow=Workflow.ROSTER_SYNC, bound_term=cast.term, bound_crn=cast.section,
    )  # fmt: skip
    assert guard.executed == []
    assert read.status == "error" and "switched off" in str(read.content)
    [event] = audit.tail(1)
    assert (event.decision, event.tool) == ("deny", "banner_get_section")


def test_other_workflows_and_sections_run_as_before(
    cast: Cast, banner: Engine, policy: Policy, audit: AuditLog, redactor: Redactor,
    tmp_path: Path,
) -> None:  # fmt: skip
    dept = department_of(banner, cast.term, cast.section)
    guard, _ = guard_with(policy, audit, tmp_path, Workflow.ROSTER_SYNC, Mode.OFF, dept)
    section = {"term": cast.term, "crn": cast.section}
    run(guard, cast, banner, redactor, call("banner_get_section", section, "c1"),
        workflow=Workflow.WITHDRAWALS, bound_term=cast.term, bound_crn=cast.section)  # fmt: skip
    run(guard, cast, banner, redactor, call("banner_get_section", section, "c1"))  # no workflow
    assert guard.executed == ["banner_get_section", "banner_get_section"]


def test_approve_makes_a_write_that_never_waits_wait_for_the_registrar(
    cast: Cast, banner: Engine, policy: Policy, audit: AuditLog, redactor: Redactor,
    tmp_path: Path,
) -> None:  # fmt: skip
    dept = department_of(banner, cast.term, cast.section)
    guard, _ = guard_with(policy, audit, tmp_path, Workflow.ROSTER_SYNC, Mode.APPROVE, dept)
    model = scripted(
        call("canvas_enroll_student", {"term": cast.term, "crn": cast.section,
                                       "pidm": cast.student}, "c1"),
        AIMessage("done"),
    )  # fmt: skip
    ctx = replace(
        context(roster(cast), banner, redactor),
        workflow=Workflow.ROSTER_SYNC, bound_term=cast.term, bound_crn=cast.section,
    )  # fmt: skip
    result = agent(guard, roster(cast), model).invoke(
        {"messages": [HumanMessage("sync")]}, {"configurable": {"thread_id": "t1"}}, context=ctx
    )
    [waiting] = result["__interrupt__"]
    assert waiting.value["action_request"]["action"] == "canvas_enroll_student"
    assert waiting.value["approver"] == "registrar"
    assert guard.executed == []
    assert [(e.tool, e.decision) for e in audit.tail(1)] == [
        ("canvas_enroll_student", "needs-approval")
    ]
