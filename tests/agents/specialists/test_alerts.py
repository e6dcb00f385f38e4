"""Early alerts end to end: simulated Canvas activity and Banner standing → score → outreach the
advisor approves, edits or rejects → advising comment → a suggested hold the registrar approves."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import httpx
import pytest
from langchain_openai import ChatOpenAI
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import Engine, text

from agents.approvals import PendingApproval, answer_all, decide, outstanding
from agents.deps import GraphDeps
from agents.drafting import BreakerPolicy, Drafter, DrafterLimits
from agents.events import HoldPlaced, ScanEngagement
from agents.rules.risk import RiskPolicy
from agents.specialists import alerts
from policies.approvals import Approver
from policies.guard import Guard
from policies.pii import Redactor
from policies.rbac import Principal, Role
from policies.scope import BannerDirectory
from sandbox.canvas.testing import SimulatorHandle
from sandbox.model.script import Rule
from sandbox.model.testing import running_model_sim
from tests.agents.specialists.harness import (
    NOW,
    addressing_model,
    agent_context,
    answer,
    canvas_course,
    deps_with,
    person,
)
from tests.policies.agent_harness import ScriptedModel
from tests.policies.conftest import Cast
from tools.banner import reads
from tools.canvas.client import CanvasClient

# Two absent students make the course's own maximum, so page views barely count: lower bars.
POLICY = RiskPolicy(advising_hold_code="AD", suggest_hold_at=0.6)
MODEL_BODY = "Hello {student}, I noticed some missed work this term. Could we meet this week?"


def _students(banner: Engine, cast: Cast) -> list[int]:
    """The section's students who have an advisor (someone must be able to approve)."""
    enrolled = [e.pidm for e in reads.section_roster(banner, cast.term, cast.section).enrolled]
    return [p for p in enrolled if reads.student_advisors(banner, p, cast.term)]


class Scan:
    def __init__(
        self, guard: Guard, banner: Engine, redactor: Redactor, canvas: CanvasClient,
        sim: SimulatorHandle, cast: Cast, model: ScriptedModel | None,
        drafter: Drafter | None = None,
    ) -> None:  # fmt: skip
        self.students = _students(banner, cast)
        course = canvas_course(canvas, banner, cast.term, cast.section, dict.fromkeys(
            self.students, 50.0))  # fmt: skip
        httpx.post(
            f"{sim.base_url}/sim/courses/{course.id}/activity",
            json={"days": 21, "seed": 3, "profiles": {"engaged": 0.6, "absent": 0.4}},
            headers={"Authorization": f"Bearer {sim.token}"},
        ).raise_for_status()
        deps = GraphDeps(guard=guard, drafter=drafter) if drafter else deps_with(guard, model)
        self.app = alerts.build(deps, POLICY, InMemorySaver())
        self.ctx = agent_context(Role.ALERT, cast.term, banner, redactor, canvas)
        self.thread = "scan"
        event = ScanEngagement(event_id="scan-1", occurred_at=NOW, term_code=cast.term)
        self.first = self.app.invoke(
            {"event": event.model_dump(mode="json")},
            {"configurable": {"thread_id": self.thread}},
            context=self.ctx,
        )
        self.directory = BannerDirectory(banner)
        self.banner = banner

    def pending(self) -> list[PendingApproval]:
        return outstanding(self.app, self.thread)

    def advisor_of(self, pending: PendingApproval) -> Principal:
        student = pending.request.subject["student"]
        assert isinstance(student, int)
        pidm = reads.student_advisors(self.banner, student, str(pending.request.subject["term"]))[
            0
        ].advisor_pidm
        return person(f"person:advisor-{pidm}", Role.ADVISOR, pidm)

    def decide(self, decisions: dict[str, Any]) -> dict[str, Any]:
        return decide(self.app, self.thread, decisions, directory=self.directory, context=self.ctx)


@pytest.fixture
def model() -> ScriptedModel:
    return addressing_model(MODEL_BODY)


def test_outreach_edit_reject_approve_then_comments_and_holds(
    guard: Guard, banner_copy: Engine, redactor: Redactor, canvas: CanvasClient,
    sim: SimulatorHandle, cast: Cast, model: ScriptedModel,
) -> None:  # fmt: skip
    scan = Scan(guard, banner_copy, redactor, canvas, sim, cast, model)
    pending = scan.pending()
    assert len(pending) >= 3, "the seeded activity should flag the absent students"
    assert {p.request.action_request.action for p in pending} == {"canvas_send_message"}
    assert {p.request.subject["student"] for p in pending} < set(scan.students)
    assert all(p.request.approver is Approver.STUDENT_ADVISOR for p in pending)
    first, second, *rest = pending
    student = first.request.subject["student"]
    assert isinstance(student, int)
    who = reads.person_by_pidm(banner_copy, student)
    assert first.request.action_request.args["body"] == MODEL_BODY.format(student=who.first_name)
    assert "Early-alert score" in first.request.description
    seen = "\n".join(str(m.content) for prompt in model.seen for m in prompt)
    assert "<PERSON_" in seen and (who.first_name or "?") not in seen
    assert str(student) not in seen and who.banner_id not in seen

    edited = {**first.request.action_request.args, "body": f"Hi {who.first_name}, let us talk."}
    result = scan.decide(
        {
            first.interrupt_id: answer(first, "edit", scan.advisor_of(first), args=edited),
            second.interrupt_id: answer(second, "reject", scan.advisor_of(second), reason="Ok."),
        }
        | {p.interrupt_id: answer(p, "approve", scan.advisor_of(p)) for p in rest}
    )
    sent = [c.last_message for c in canvas.canvas.get_conversations()]
    assert len(sent) == len(pending) - 1
    tail = MODEL_BODY.split("{student}")[1]
    drafted = [m for m in sent if m.startswith("Hello ") and m.endswith(tail)]
    assert f"Hi {who.first_name}, let us talk." in sent and len(drafted) == len(rest)

    follow = scan.pending()
    assert len(result["__interrupt__"]) == len(follow)
    comments = [p for p in follow if p.request.approver is Approver.STUDENT_ADVISOR]
    holds = [p for p in follow if p.request.approver is Approver.REGISTRAR]
    assert {p.request.action_request.action for p in comments} == {"banner_add_advising_comment"}
    assert {p.request.action_request.action for p in holds} <= {"banner_place_hold"}
    assert len(comments) == len(pending) - 1
    registrar = person("person:registrar", Role.REGISTRAR, cast.registrar)
    done = scan.decide(
        {p.interrupt_id: answer(p, "approve", scan.advisor_of(p)) for p in comments}
        | answer_all(holds, "approve", registrar)
    )
    figures = done["outcome"]["figures"]
    assert done["outcome"]["status"] == "done"
    assert (figures["flagged"], figures["sent"], figures["declined"]) == (
        len(pending), len(pending) - 1, 1
    )  # fmt: skip
    assert (figures["comments"], figures["holds_placed"]) == (len(comments), len(holds))
    with banner_copy.connect() as conn:
        noted: Sequence[str] = conn.execute(
            text("SELECT szrcmnt_text FROM szrcmnt WHERE szrcmnt_pidm = :p"), {"p": student}
        ).scalars().all()  # fmt: skip
    assert any(c.startswith("Early-alert outreach sent") for c in noted)
    for hold in holds:
        pidm = hold.request.subject["student"]
        assert isinstance(pidm, int)
        codes = [h.code for h in reads.student_holds(banner_copy, pidm, NOW.date()).holds]
        assert "AD" in codes


def test_template_mode_outreach_is_reidentified_only_when_sent(
    guard: Guard, banner_copy: Engine, redactor: Redactor, canvas: CanvasClient,
    sim: SimulatorHandle, cast: Cast,
) -> None:  # fmt: skip
    scan = Scan(guard, banner_copy, redactor, canvas, sim, cast, None)
    mine = scan.pending()[0]
    student = mine.request.subject["student"]
    assert isinstance(student, int)
    who = reads.person_by_pidm(banner_copy, student)
    body = mine.request.action_request.args["body"]
    assert body.startswith("[template mode") and f"Hi {who.first_name}," in body  # for the advisor
    scan.decide({mine.interrupt_id: answer(mine, "approve", scan.advisor_of(mine))})
    [conversation] = canvas.canvas.get_conversations()
    assert f"Hi {who.first_name}," in conversation.last_message
    assert "<PERSON_" not in conversation.last_message


def test_a_model_that_never_answers_still_leaves_every_outreach_waiting_labelled(
    guard: Guard, banner_copy: Engine, redactor: Redactor, canvas: CanvasClient,
    sim: SimulatorHandle, cast: Cast,
) -> None:  # fmt: skip
    with running_model_sim([Rule(hang=True)]) as model_sim:
        model = ChatOpenAI(
            model="sim", base_url=model_sim.base_url, api_key="x", timeout=0.5, max_retries=0
        )
        drafter = Drafter(
            model, "sim",
            limits=DrafterLimits(timeout_seconds=0.5, concurrency=2,
                                 breaker=BreakerPolicy(failures=2)),
        )  # fmt: skip
        started = time.monotonic()
        scan = Scan(guard, banner_copy, redactor, canvas, sim, cast, None, drafter)
        elapsed = time.monotonic() - started
        asked = model_sim.stats()["requests"]
    pending = scan.pending()
    # Two concurrent drafts time out; a third may start before the second's failure is
    # recorded; every later one finds the breaker open and never asks the model.
    assert len(pending) >= 4 and 2 <= asked <= 3
    bodies = [p.request.action_request.args["body"] for p in pending]
    timed_out = "[drafted from the template: the model did not answer in 0.5 s]"
    skipped = "[drafted from the template: the model failed 2 times in a row"
    assert sum(b.startswith(timed_out) for b in bodies) == asked
    assert sum(b.startswith(skipped) for b in bodies) == len(bodies) - asked
    assert elapsed < 10  # one timeout for two concurrent drafts, not one per student


def test_a_hold_event_is_a_defined_noop(guard: Guard, banner: Engine, redactor: Redactor) -> None:
    app = alerts.build(deps_with(guard, None), POLICY, InMemorySaver())
    event = HoldPlaced(event_id="h1", occurred_at=NOW, pidm=1, hold_code="AR")
    ctx = agent_context(Role.ALERT, "202610", banner, redactor, None)
    out = app.invoke({"event": event.model_dump(mode="json")},
                     {"configurable": {"thread_id": "h"}}, context=ctx)  # fmt: skip
    assert out["outcome"]["status"] == "noop"
    bad = app.invoke({"event": {"kind": "scheduled.scan_engagement"}},
                     {"configurable": {"thread_id": "b"}}, context=ctx)  # fmt: skip
    assert bad["outcome"]["status"] == "dead_letter"
