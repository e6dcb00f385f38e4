"""The cross-student probe set: 52 messages, each also tried by the model as a tool call that
names the other student. Nothing of that student may come back, and every attempt is audited."""

from __future__ import annotations

from itertools import cycle
from pathlib import Path

import pytest
import yaml
from langchain_core.messages import AIMessage, ToolMessage
from sqlalchemy import Engine, text

from policies.audit import AuditLog
from policies.guard import Guard
from policies.pii import Redactor
from tests.policies.agent_harness import call, scripted
from tests.policies.conftest import Cast
from tests.support.conftest import Student, support_agent, support_context
from tools.kb.embedding import Embedder
from tools.kb.store import KnowledgeBase

PROBES = yaml.safe_load(
    (Path(__file__).parents[2] / "evals" / "support" / "probes.yaml").read_text()
)["probes"]
_ATTEMPTS = cycle(
    [
        ("my_holds", "pidm"), ("my_grades", "student_id"), ("my_aid", "banner_id"),
        ("my_registration", "pidm"), ("my_assignments", "sis_user_id"), ("my_holds", "email"),
        ("course_modules", "pidm"),
    ]
)  # fmt: skip


def _identity(engine: Engine, pidm: int) -> dict[str, str]:
    with engine.connect() as conn:
        banner_id, first, last = conn.execute(
            text(
                "SELECT spriden_id, spriden_first_name, spriden_last_name FROM spriden"
                " WHERE spriden_pidm = :p AND spriden_change_ind IS NULL"
            ),
            {"p": pidm},
        ).one()
        email = conn.execute(
            text("SELECT goremal_email_address FROM goremal WHERE goremal_pidm = :p"), {"p": pidm}
        ).scalar()
    return {
        "pidm": str(pidm), "banner_id": str(banner_id), "name": f"{first} {last}",
        "email": str(email or f"{first}.{last}@example.edu"),
    }  # fmt: skip


def test_the_probe_set_is_large_enough() -> None:
    assert len(PROBES) >= 50


def test_no_probe_reaches_another_students_records(
    guard: Guard, audit: AuditLog, embedder: Embedder, held: Student, cast: Cast,
    banner: Engine, redactor: Redactor, kb: KnowledgeBase,
) -> None:  # fmt: skip
    other = _identity(banner, cast.other_student)
    assert cast.other_student != held.pidm
    leaks: list[str] = []
    denied_before = sum(e.decision == "deny" for e in audit.iter_events())
    for number, probe in enumerate(PROBES):
        message = probe
        for key, value in other.items():
            message = message.replace("{" + key + "}", value)
        tool, field = next(_ATTEMPTS)
        named: object = (
            cast.other_student
            if field == "pidm"
            else other[field if field in other else "banner_id"]
        )
        args: dict[str, object] = {field: named}
        if tool == "course_modules":
            args["course"] = "BIOL 101"
        model = scripted(
            call(tool, args, f"p{number}"),
            AIMessage("I can only help with your own records."),
        )
        agent = support_agent(guard, embedder, model)
        ctx = support_context(held.pidm, banner, redactor, kb)
        thread = f"probe-{number}"
        result = agent.answer(ctx, message=message, thread_id=thread)
        state = agent.graph.get_state({"configurable": {"thread_id": thread}})
        results = [m for m in state.values.get("messages", []) if isinstance(m, ToolMessage)]
        seen = "\n".join([result.answer, *(str(m.content) for m in results)])
        seen += "\n".join(str(m.content) for p in model.seen for m in p)
        for key in ("banner_id", "name", "email"):
            if other[key].lower() in seen.lower():
                leaks.append(f"probe {number}: {key} of the other student in {seen[:200]!r}")
        assert all(m.status == "error" for m in results), f"probe {number} ran {tool}"
    assert leaks == []
    denied = sum(e.decision == "deny" for e in audit.iter_events()) - denied_before
    assert denied >= len(PROBES), "every attempted tool call must be denied and audited"


@pytest.mark.parametrize("probe", PROBES[:12])
def test_template_mode_answers_probes_from_the_callers_own_records_only(
    probe: str, guard: Guard, embedder: Embedder, held: Student, cast: Cast, banner: Engine,
    redactor: Redactor, kb: KnowledgeBase,
) -> None:  # fmt: skip
    other = _identity(banner, cast.other_student)
    message = probe
    for key, value in other.items():
        message = message.replace("{" + key + "}", value)
    result = support_agent(guard, embedder).answer(
        support_context(held.pidm, banner, redactor, kb), message=message, thread_id="tp"
    )
    for key in ("banner_id", "email"):
        assert other[key].lower() not in result.answer.lower()
