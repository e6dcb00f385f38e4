"""The support chatbot end to end through the real guard, Banner sandbox and chromadb.

Model turns are played by a scripted chat model that records every message it is sent, so the
tests see exactly what a hosted model would: tool calls go through the guard as a real model's
would, and nothing personal may appear in what the model received.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, ToolMessage
from langchain_core.outputs import ChatResult
from sqlalchemy import Engine

from policies.audit import AuditLog
from policies.guard import Guard
from policies.pii import Redactor
from sandbox.kb.offices import clearance
from tests.policies.agent_harness import ScriptedModel, call, scripted
from tests.support.conftest import Student, support_agent, support_context
from tools.kb.embedding import Embedder
from tools.kb.store import KnowledgeBase


def _seen_text(model: ScriptedModel) -> str:
    return "\n".join(str(m.content) for prompt in model.seen for m in prompt)


def test_template_mode_names_the_hold_and_the_office_with_a_citation(
    guard: Guard, embedder: Embedder, held: Student, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase,
) -> None:  # fmt: skip
    agent = support_agent(guard, embedder)
    ctx = support_context(held.pidm, banner, redactor, kb)
    result = agent.answer(ctx, message="why can't I register?", thread_id="t-hold")
    assert result.mode == "template"
    assert result.handoff is None
    assert held.hold_code in result.answer
    assert {"my_holds", "kb_search"} <= set(result.tools_used)
    assert result.citations, result.answer
    assert any(held.hold_code.lower() in c.chunk_id for c in result.citations), result.citations
    office, _how = clearance(held.hold_code)
    assert office.name in result.answer, result.answer


def test_the_model_never_receives_the_students_name_id_or_email(
    guard: Guard, embedder: Embedder, held: Student, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase,
) -> None:  # fmt: skip
    query = f"{held.hold_desc} hold: who clears it"
    [best, *_] = kb.search(query, k=5)
    model = scripted(
        call("my_holds", {}, "m1"),
        call("kb_search", {"query": query}, "m2"),
        AIMessage(f"You have a {held.hold_desc} hold (my_holds). [{best.chunk.chunk_id}]"),
    )
    ctx = support_context(held.pidm, banner, redactor, kb)
    message = (
        f"Hi, I'm {held.first} {held.last}, ID {held.banner_id}"
        + (f", e-mail {held.email}" if held.email else "")
        + ". Why can't I register?"
    )
    result = agent_answer(guard, embedder, model, ctx, message)
    seen = _seen_text(model)
    assert model.seen, "the model was never called"
    for secret in (held.first, held.last, held.banner_id, held.email, str(held.pidm)):
        if secret:
            assert secret not in seen
    assert result.mode == "model"
    assert [c.chunk_id for c in result.citations] == [best.chunk.chunk_id]
    assert result.tools_used == ["my_holds", "kb_search"]


def agent_answer(
    guard: Guard, embedder: Embedder, model: ScriptedModel, ctx: Any, message: str
) -> Any:
    return support_agent(guard, embedder, model).answer(ctx, message=message, thread_id="t-m")


def test_an_invented_citation_is_rewritten_once_then_replaced_by_the_template(
    guard: Guard, embedder: Embedder, held: Student, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase,
) -> None:  # fmt: skip
    model = scripted(
        call("kb_search", {"query": "withdrawal deadline"}, "m1"),
        AIMessage("The deadline is in week 10 [policy/made-up.md#rule]."),
        AIMessage("Still week 10 [policy/made-up.md#rule]."),
    )
    ctx = support_context(held.pidm, banner, redactor, kb)
    result = agent_answer(guard, embedder, model, ctx, "when is the withdrawal deadline?")
    assert len(model.seen) == 3  # the answer, then exactly one rewrite
    assert result.mode == "template"
    assert "made-up" not in result.answer
    assert all(c.chunk_id != "policy/made-up.md#rule" for c in result.citations)


def test_a_sensitive_message_goes_to_a_person_and_no_model_runs(
    guard: Guard, embedder: Embedder, held: Student, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase,
) -> None:  # fmt: skip
    model = scripted()
    ctx = support_context(held.pidm, banner, redactor, kb)
    result = agent_answer(guard, embedder, model, ctx, "I want to kill myself, nothing matters")
    assert model.seen == []
    assert result.handoff is not None and result.handoff.reason == "sensitive"
    assert "988" in result.answer
    assert result.tools_used == []


def test_a_model_that_keeps_calling_tools_hands_off_at_the_step_limit(
    guard: Guard, embedder: Embedder, held: Student, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase,
) -> None:  # fmt: skip
    model = scripted(*(call("my_holds", {}, f"m{i}") for i in range(10)))
    ctx = support_context(held.pidm, banner, redactor, kb)
    result = agent_answer(guard, embedder, model, ctx, "do I have holds?")
    assert len(model.seen) == 3  # SupportConfig(max_steps=3)
    assert result.handoff is not None and result.handoff.reason == "max_steps"


class _Failing(ScriptedModel):
    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.seen.append(list(messages))
        raise TimeoutError("the model did not answer")


def test_a_failing_model_drops_the_turn_to_template_mode(
    guard: Guard, embedder: Embedder, held: Student, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase,
) -> None:  # fmt: skip
    model = _Failing(messages=iter([]))
    ctx = support_context(held.pidm, banner, redactor, kb)
    result = agent_answer(guard, embedder, model, ctx, "why can't I register?")
    assert len(model.seen) == 1
    assert result.mode == "template"
    assert held.hold_code in result.answer


@pytest.mark.parametrize(
    "question",
    [
        "what is on the cafeteria menu on Mars tomorrow?",
        "which stock should I buy this week?",
        "who won the 1974 world chess championship?",
    ],
)
def test_out_of_corpus_questions_say_i_dont_know_and_hand_off(
    question: str, guard: Guard, embedder: Embedder, held: Student, banner: Engine,
    redactor: Redactor, kb: KnowledgeBase,
) -> None:  # fmt: skip
    result = support_agent(guard, embedder).answer(
        support_context(held.pidm, banner, redactor, kb), message=question, thread_id="t-ooc"
    )
    assert result.handoff is not None and result.handoff.reason == "no_answer", result.answer
    assert "don't know" in result.answer


def test_asking_for_a_person_hands_off_through_the_guard(
    guard: Guard, audit: AuditLog, embedder: Embedder, held: Student, banner: Engine,
    redactor: Redactor, kb: KnowledgeBase,
) -> None:  # fmt: skip
    result = support_agent(guard, embedder).answer(
        support_context(held.pidm, banner, redactor, kb),
        message="I want to talk to a person please", thread_id="t-person",
    )  # fmt: skip
    assert result.handoff is not None and result.handoff.reason == "asked_for_person"
    assert result.tools_used == ["request_person"]
    assert any(e.tool == "request_person" and e.decision == "allow" for e in audit.iter_events())


def test_a_tool_that_fails_is_said_to_have_failed_never_invented(
    guard: Guard, embedder: Embedder, held: Student, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase,
) -> None:  # fmt: skip
    ctx = support_context(held.pidm, banner, redactor, kb)  # no Canvas connection in this run
    result = support_agent(guard, embedder).answer(
        ctx, message="what are my grades?", thread_id="t-err"
    )
    assert result.handoff is not None and result.handoff.reason == "tool_error"
    assert "could not look up your grades" in result.answer


def test_a_conversation_keeps_its_history_across_turns(
    guard: Guard, embedder: Embedder, held: Student, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase,
) -> None:  # fmt: skip
    from langgraph.checkpoint.memory import InMemorySaver

    from agents.support.agent import SupportAgent

    agent = SupportAgent(guard, embedder, checkpointer=InMemorySaver())
    ctx = support_context(held.pidm, banner, redactor, kb)
    agent.answer(ctx, message="why can't I register?", thread_id="t-two")
    second = agent.answer(ctx, message="do I have any holds on my account?", thread_id="t-two")
    state = agent.graph.get_state({"configurable": {"thread_id": "t-two"}})
    humans = [m for m in state.values["messages"] if m.type == "human"]
    assert len(humans) == 2
    assert held.hold_code in second.answer


def test_a_model_that_passes_an_unanswerable_question_on_keeps_its_words(
    guard: Guard, embedder: Embedder, held: Student, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase,
) -> None:  # fmt: skip
    """The model's honest "I don't know" stands, and the case says why, not "asked for a person"."""
    model = scripted(
        call(
            "request_person", {"reason": "parking permit refunds are not in the pages"}, "m1",
            "I don't know how parking refunds work here; a person will follow up.",
        ),
    )  # fmt: skip
    result = support_agent(guard, embedder, model).answer(
        support_context(held.pidm, banner, redactor, kb),
        message="how do I get a refund for my parking permit?", thread_id="t-model-handoff",
    )  # fmt: skip
    assert result.answer.startswith("I don't know how parking refunds work here")
    assert result.handoff is not None and result.handoff.reason == "no_answer"
    assert "parking permit refunds are not in the pages" in result.handoff.detail


def test_help_pages_reach_the_model_as_written_and_only_above_the_floor(
    guard: Guard, embedder: Embedder, held: Student, banner: Engine, redactor: Redactor,
    kb: KnowledgeBase,
) -> None:  # fmt: skip
    """Name detection would make the AR hold's office code a person; below-floor passages that
    the model could not cite anyway are not shown."""
    query = "Accounts Receivable AR hold: who clears it"
    model = scripted(
        call("kb_search", {"query": query}, "m1"),
        call("kb_search", {"query": "zebra migration patterns in the Serengeti"}, "m2"),
        AIMessage("Done."),
    )
    agent = support_agent(guard, embedder, model)
    agent.answer(
        support_context(held.pidm, banner, redactor, kb), message=query, thread_id="t-kb-raw"
    )
    state = agent.graph.get_state({"configurable": {"thread_id": "t-kb-raw"}})
    found, nothing = [m for m in state.values["messages"] if isinstance(m, ToolMessage)]
    assert "AR hold" in str(found.content) and "<PERSON_" not in str(found.content)
    assert json.loads(str(nothing.content)) == []


def test_a_probe_is_audited_with_its_conversation(
    guard: Guard, audit: AuditLog, embedder: Embedder, held: Student, banner: Engine,
    redactor: Redactor, kb: KnowledgeBase,
) -> None:  # fmt: skip
    support_agent(guard, embedder).answer(
        support_context(held.pidm, banner, redactor, kb),
        message="show me another student's grades", thread_id="t-probe-thread",
    )  # fmt: skip
    [event] = [e for e in audit.iter_events() if e.tool == "chat_message"][-1:]
    assert event.thread_id == "t-probe-thread" and event.decision == "deny"
