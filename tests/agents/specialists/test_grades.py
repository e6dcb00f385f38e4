"""Grade passback end to end: Canvas → rules → parallel interrupts → Banner → read-back."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from langgraph.graph.state import CompiledStateGraph
from sqlalchemy import Engine

from agents.approvals import answer_all, decide, outstanding, pending_approvals
from agents.checkpoints import open_checkpointer
from agents.events import CanvasGradeChange, CloseGrading
from agents.rules.grades import AnomalyThresholds
from agents.specialists import grades
from agents.specialists.calls import section_of_course
from core.errors import ValidationFailed
from policies.approvals import Approver
from policies.audit import AuditLog
from policies.guard import Guard
from policies.pii import Redactor
from policies.rbac import Principal, Role
from policies.scope import BannerDirectory
from sandbox.canvas.testing import SimulatorHandle
from tests.agents.specialists.harness import (
    NOW,
    agent_context,
    answer,
    canvas_course,
    deps_with,
    drafting_model,
    person,
)
from tests.policies.agent_harness import ScriptedModel
from tests.policies.conftest import Cast
from tools.banner import reads, writes
from tools.banner.models import FinalGradeIn
from tools.canvas.client import CanvasClient

MODEL_SENTENCE = "The score sits far below the rest of this section."
THRESHOLDS = AnomalyThresholds(min_section_scores=2)


def _scores(banner: Engine, cast: Cast) -> dict[int, float | None]:
    """Every enrolled student scored 80-89 except: the cast's student 95 (an A), one outlier
    at 20 (an F, far from the section), one not in Canvas at all (missing)."""
    pidms = [e.pidm for e in reads.section_roster(banner, cast.term, cast.section).enrolled]
    others = [p for p in pidms if p != cast.student]
    assert len(others) >= 4, "the cast's section is too small for the passback tests"
    scores: dict[int, float | None] = {p: 80.0 + i % 10 for i, p in enumerate(others)}
    scores[cast.student] = 95.0
    scores[others[0]] = 20.0
    scores[others[1]] = None
    return scores


class Run:
    """A close-of-grading run paused at its approvals."""

    def __init__(
        self,
        guard: Guard,
        banner: Engine,
        redactor: Redactor,
        canvas: CanvasClient,
        cast: Cast,
        checkpointer: Any,
        model: ScriptedModel | None,
    ) -> None:
        self.scores = _scores(banner, cast)
        canvas_course(canvas, banner, cast.term, cast.section, self.scores)
        self.app: CompiledStateGraph[Any, Any, Any, Any] = grades.build(
            deps_with(guard, model), THRESHOLDS, checkpointer
        )
        self.ctx = agent_context(Role.GRADE, cast.term, banner, redactor, canvas)
        self.thread = "grades-close"
        event = CloseGrading(event_id="close-1", occurred_at=NOW, term_code=cast.term)
        self.first = self.app.invoke(
            {"event": event.model_dump(mode="json")},
            {"configurable": {"thread_id": self.thread}},
            context=self.ctx,
            durability="sync",
        )
        self.directory = BannerDirectory(banner)

    def pending(self) -> list[Any]:
        return outstanding(self.app, self.thread)

    def decide(self, decisions: dict[str, Any]) -> dict[str, Any]:
        return decide(self.app, self.thread, decisions, directory=self.directory, context=self.ctx)


@pytest.fixture
def checkpointer(checkpoint_url: str) -> Iterator[Any]:
    with open_checkpointer(checkpoint_url) as saver:
        yield saver


@pytest.fixture
def model() -> ScriptedModel:
    return drafting_model(MODEL_SENTENCE)


@pytest.fixture
def run(
    guard: Guard,
    banner_copy: Engine,
    redactor: Redactor,
    canvas: CanvasClient,
    cast: Cast,
    checkpointer: Any,
    model: ScriptedModel,
) -> Run:
    return Run(guard, banner_copy, redactor, canvas, cast, checkpointer, model)


def instructor(cast: Cast) -> Principal:
    return person("person:instructor", Role.INSTRUCTOR, cast.instructor)


def grade_of(banner: Engine, cast: Cast, pidm: int) -> str | None:
    roster = reads.section_roster(banner, cast.term, cast.section)
    return next(e.grade for e in roster.enrolled if e.pidm == pidm)


def test_one_parallel_interrupt_per_student_for_the_instructor_of_record(
    run: Run, cast: Cast, banner_copy: Engine, model: ScriptedModel
) -> None:
    scored = {p: s for p, s in run.scores.items() if s is not None}
    assert len(run.first["__interrupt__"]) == len(scored)
    pending = run.pending()
    assert len({p.interrupt_id for p in pending}) == len(scored)
    by_student = {p.request.action_request.args["pidm"]: p.request for p in pending}
    assert set(by_student) == set(scored)
    top = by_student[cast.student]
    assert top.approver is Approver.INSTRUCTOR_OF_RECORD
    assert top.action_request.args == {
        "term": cast.term, "crn": cast.section, "pidm": cast.student, "grade": "A"
    }  # fmt: skip
    assert "Canvas final score 95" in top.description and "Banner code A" in top.description
    outlier = next(p for p, s in scored.items() if s == 20.0)
    assert MODEL_SENTENCE in by_student[outlier].description  # the model explained the anomaly
    assert MODEL_SENTENCE not in top.description
    # the model saw pseudonyms only
    person_ = reads.person_by_pidm(banner_copy, outlier)
    seen = "\n".join(str(m.content) for prompt in model.seen for m in prompt)
    assert "<PIDM_" in seen
    for secret in (str(outlier), person_.banner_id, person_.last_name or "?"):
        assert secret not in seen
    # nothing is posted yet; the missing score is an exception for a person
    assert all(grade_of(banner_copy, cast, p) is None for p in run.scores)
    state = run.app.get_state({"configurable": {"thread_id": run.thread}}).values
    kinds = [e["kind"] for e in state["exceptions"]]
    assert kinds == ["grade_missing"]


def test_approve_edit_reject_per_student_then_the_rest_as_a_batch(
    run: Run, cast: Cast, banner_copy: Engine, audit: AuditLog
) -> None:
    me = instructor(cast)
    pending = run.pending()
    first, second, third, *rest = pending
    edited = {**second.request.action_request.args, "grade": "C"}
    result = run.decide(
        {
            first.interrupt_id: answer(first, "approve", me),
            second.interrupt_id: answer(second, "edit", me, args=edited),
            third.interrupt_id: answer(third, "reject", me, reason="Regrade pending."),
        }
    )
    assert len(result["__interrupt__"]) == len(rest)
    still = run.pending()
    assert {p.interrupt_id for p in still} == {p.interrupt_id for p in rest}  # tasks with results
    args = {p.interrupt_id: p.request.action_request.args for p in pending}
    assert (
        grade_of(banner_copy, cast, args[first.interrupt_id]["pidm"])
        == args[first.interrupt_id]["grade"]
    )
    assert grade_of(banner_copy, cast, edited["pidm"]) == "C"
    assert grade_of(banner_copy, cast, args[third.interrupt_id]["pidm"]) is None

    done = run.decide(answer_all(still, "approve", me))
    assert "__interrupt__" not in done
    outcome = done["outcome"]
    assert outcome["status"] == "done"
    total = len(pending)
    expected = {
        "proposed": total, "posted": total - 1, "edited": 1, "declined": 1,
        "confirmed": total - 1, "missing": 1,
    }  # fmt: skip
    assert {k: outcome["figures"][k] for k in expected} == expected
    for p in rest:
        a = p.request.action_request.args
        assert grade_of(banner_copy, cast, a["pidm"]) == a["grade"]
    events = [e for e in audit.tail(500) if e.tool == "banner_post_grade"]
    asked = {e.approval_id for e in events if e.decision == "needs-approval"}
    assert len(asked) == total  # re-raised on each partial resume, one request per student
    decisions = [e.decision for e in events if e.decision != "needs-approval"]
    assert decisions.count("allow") == total - 1 and decisions.count("deny") == 1
    assert audit.verify().ok


def test_figures(run: Run, cast: Cast) -> None:
    done = run.decide(answer_all(run.pending(), "approve", instructor(cast)))
    figures = done["outcome"]["figures"]
    total = len([s for s in run.scores.values() if s is not None])
    assert (figures["proposed"], figures["posted"], figures["confirmed"]) == (total,) * 3
    assert (figures["declined"], figures["edited"], figures["missing"]) == (0, 0, 1)
    assert figures["sections"] == 1 and figures["sections_without_course"] >= 1


@pytest.mark.parametrize(
    ("who", "sees"),
    [("instructor", True), ("advisor", False), ("registrar", False), ("other_instructor", False)],
)
def test_pending_approvals_list_only_what_the_person_may_decide(
    run: Run, cast: Cast, checkpointer: Any, who: str, sees: bool
) -> None:
    people = {
        "instructor": instructor(cast),
        "advisor": person("person:advisor", Role.ADVISOR, cast.advisor),
        "registrar": person("person:registrar", Role.REGISTRAR, cast.registrar),
        "other_instructor": person("person:other", Role.INSTRUCTOR, cast.registrar),
    }
    listed = pending_approvals(checkpointer, run.app, people[who], run.directory)
    expected = {p.interrupt_id for p in run.pending()} if sees else set()
    assert {p.interrupt_id for p in listed} == expected
    assert all(p.thread_id == run.thread for p in listed)


@pytest.mark.parametrize(
    ("mangle", "says"),
    [
        (lambda a, p: {**a, "type": "maybe"}, "malformed approval decision"),
        (lambda a, p: {k: v for k, v in a.items() if k != "by"}, "malformed approval decision"),
        (lambda a, p: {**a, "request_id": "nope"}, "waits for request"),
        (lambda a, p: {**a, "type": "edit", "args": {"grade": "A"}}, "do not fit the action"),
        (
            lambda a, p: {**a, "by": {"actor": "person:r", "role": "registrar", "pidm": None}},
            "instructor of record",
        ),
    ],
)
def test_a_malformed_or_ineligible_answer_leaves_the_graph_paused(
    run: Run, cast: Cast, banner_copy: Engine, mangle: Any, says: str
) -> None:
    before = run.pending()
    target = before[0]
    bad = mangle(answer(target, "approve", instructor(cast)), target)
    with pytest.raises(ValidationFailed, match=says):
        run.decide({target.interrupt_id: bad})
    assert [p.interrupt_id for p in run.pending()] == [p.interrupt_id for p in before]
    assert all(grade_of(banner_copy, cast, p) is None for p in run.scores)
    with pytest.raises(ValidationFailed, match="waits for"):
        run.decide({"no-such-interrupt": answer(target, "approve", instructor(cast))})


def test_resume_in_a_new_process_from_the_same_checkpointer(
    run: Run, cast: Cast, banner_copy: Engine, sim: SimulatorHandle, checkpoint_url: str,
    tmp_path: Path,
) -> None:  # fmt: skip
    args = {
        "checkpoints": checkpoint_url,
        "banner": str(banner_copy.url.database),
        "audit": str(tmp_path / "app.db"),
        "canvas_url": sim.base_url,
        "canvas_token": sim.token,
        "thread": run.thread,
        "term": cast.term,
        "instructor": str(cast.instructor),
    }
    script = Path(__file__).with_name("resume_grades.py")
    proc = subprocess.run(
        [sys.executable, str(script), json.dumps(args)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout.strip().splitlines()[-1])
    scored = [p for p, s in run.scores.items() if s is not None]
    assert report["pending"] == len(scored)
    assert report["outcome"]["status"] == "done"
    assert report["outcome"]["figures"]["confirmed"] == len(scored)
    for pidm in scored:
        assert grade_of(banner_copy, cast, pidm) is not None
    assert run.pending() == []


class GradeChange:
    """A Canvas grade change on the cast's section, its course scored as :func:`_scores` says,
    after Banner was given the final grades ``posted``; it names ``student`` (a PIDM) by Banner
    ID as Canvas's envelope does, or no student."""

    thread = "grades-change"

    def __init__(
        self,
        guard: Guard,
        banner: Engine,
        redactor: Redactor,
        canvas: CanvasClient,
        cast: Cast,
        checkpointer: Any,
        posted: dict[int, str],
        student: int | None = None,
    ) -> None:
        self.scores = _scores(banner, cast)
        course = canvas_course(canvas, banner, cast.term, cast.section, self.scores)
        assert section_of_course(course.sis_course_id) == (cast.term, cast.section)
        for pidm, code in posted.items():
            writes.post_final_grade(
                banner,
                FinalGradeIn(term=cast.term, pidm=pidm, crn=cast.section, grade=code),
                user="REGISTRAR",
                grade_date=NOW.date(),
            )
        self.app: CompiledStateGraph[Any, Any, Any, Any] = grades.build(
            deps_with(guard, None), THRESHOLDS, checkpointer
        )
        self.banner_id = (
            None if student is None else reads.person_by_pidm(banner, student).banner_id
        )
        event = CanvasGradeChange(
            event_id="grade-change-1",
            occurred_at=NOW,
            course_id=course.sis_course_id,
            assignment_id="1",
            score=95.0,
            old_score=90.0,
            user_id=None if student is None else "1",
            user_sis_id=self.banner_id,
        )
        self.result = self.app.invoke(
            {"event": event.model_dump(mode="json")},
            {"configurable": {"thread_id": self.thread}},
            context=agent_context(Role.GRADE, cast.term, banner, redactor, canvas),
            durability="sync",
        )

    def state(self) -> dict[str, Any]:
        return self.app.get_state({"configurable": {"thread_id": self.thread}}).values

    def asked_nobody(self) -> dict[str, Any]:
        """The run's outcome, once checked to be a noop that asked no one to approve anything."""
        assert "__interrupt__" not in self.result
        assert outstanding(self.app, self.thread) == []
        assert self.result["outcome"]["status"] == "noop"
        outcome: dict[str, Any] = self.result["outcome"]
        return outcome


GradeChangeRun = Callable[..., GradeChange]


@pytest.fixture
def grade_change(
    guard: Guard,
    banner_copy: Engine,
    redactor: Redactor,
    canvas: CanvasClient,
    cast: Cast,
    checkpointer: Any,
) -> GradeChangeRun:
    """Runs a :class:`GradeChange` over this test's fixtures: ``posted=``, ``student=``."""
    return partial(GradeChange, guard, banner_copy, redactor, canvas, cast, checkpointer)


def test_a_grade_change_before_any_final_grade_is_posted_asks_nobody(
    grade_change: GradeChangeRun, banner_copy: Engine, cast: Cast, audit: AuditLog
) -> None:
    change = grade_change(posted={})
    assert change.asked_nobody()["detail"] == (
        f"no final grade has been posted for section {cast.term}/{cast.section} yet; final "
        "grades are proposed at close of grading"
    )
    assert change.state().get("exceptions", []) == []  # not even the missing score
    # one Banner read decided it: Canvas was not asked, nothing was proposed or written
    assert [e.tool for e in audit.tail(500)] == ["banner_get_section_grading"]
    assert all(grade_of(banner_copy, cast, p) is None for p in change.scores)


def test_a_grade_change_naming_no_student_after_passback_began_regrades_the_section(
    grade_change: GradeChangeRun, banner_copy: Engine, cast: Cast
) -> None:
    # the cast's student scored 95 (an A) in Canvas, but Banner already holds a B
    change = grade_change(posted={cast.student: "B"})
    scored = {p for p, s in change.scores.items() if s is not None}
    assert len(change.result["__interrupt__"]) == len(scored)
    pending = outstanding(change.app, change.thread)
    by_student = {p.request.action_request.args["pidm"]: p.request for p in pending}
    assert set(by_student) == scored
    correction = by_student[cast.student]
    assert correction.action_request.args["grade"] == "A"
    assert "Banner holds B" in correction.description
    assert [e["kind"] for e in change.state()["exceptions"]] == ["grade_missing"]
    assert grade_of(banner_copy, cast, cast.student) == "B"  # nothing written before approval


def test_a_grade_change_naming_its_student_proposes_that_students_correction_only(
    grade_change: GradeChangeRun, banner_copy: Engine, cast: Cast
) -> None:
    # Banner holds a B for the cast's student, whom Canvas scores 95 (an A); the others' grades
    # are still to be approved from close of grading and are not proposed again
    change = grade_change(posted={cast.student: "B"}, student=cast.student)
    assert len(change.result["__interrupt__"]) == 1
    (pending,) = outstanding(change.app, change.thread)
    assert pending.request.action_request.args["pidm"] == cast.student
    assert pending.request.action_request.args["grade"] == "A"
    assert "Banner holds B" in pending.request.description
    state = change.state()
    assert state.get("exceptions", []) == []  # another student's missing score is not this one's
    assert state["figures"] | {"proposed": 1, "unchanged": 0} == state["figures"]
    seen = json.dumps(
        [m.model_dump(mode="json") for m in state["messages"]]
        + [state.get("proposals"), state.get("figures"), state.get("outcome")],
        default=str,
    )
    assert change.banner_id is not None and change.banner_id not in seen
    assert grade_of(banner_copy, cast, cast.student) == "B"  # nothing written before approval


def test_a_grade_change_naming_a_student_banner_already_agrees_with_asks_nobody(
    grade_change: GradeChangeRun, cast: Cast
) -> None:
    change = grade_change(posted={cast.student: "A"}, student=cast.student)
    outcome = change.asked_nobody()
    assert outcome["figures"]["proposed"] == 0
    assert outcome["figures"]["unchanged"] == 1
    assert change.state().get("exceptions", []) == []


def test_a_grade_change_naming_a_student_not_in_the_section_asks_nobody(
    grade_change: GradeChangeRun, cast: Cast
) -> None:
    change = grade_change(posted={cast.student: "A"}, student=cast.other_student)
    outcome = change.asked_nobody()
    assert "no gradable registration in section" in outcome["detail"]
    assert change.banner_id and change.banner_id not in json.dumps(outcome)
