"""The support chatbot as a LangGraph graph: screen, then tools through the guard, then an answer.

One thread per conversation (``support:{pidm}:{conversation_id}``), so the checkpointer keeps the
redacted history; each turn enters with the student's message, already redacted.

::

    screen ──sensitive──> END (crisis resources; a person follows up, no model runs)
      │
      ├─ model mode ──> agent ⇄ tools (guard)     at most ``max_steps`` rounds, then hand-off
      │                   │ answer
      │                   └─> cite: citations checked, one rewrite, else the template answer
      └─ template mode ─> plan ⇄ tools (guard)    intent by embedding similarity, calls by code
                           └─> compose

A model that fails (timeout, outage, an invented placeholder) drops the turn to template mode
rather than to an error: the rules-first promise holds for the chatbot too.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypedDict

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, AnyMessage, SystemMessage
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.config import get_config
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.graph.state import CompiledStateGraph
from langgraph.runtime import Runtime

from agents.rules.sensitive import screen
from agents.support.citations import check_citations
from agents.support.config import SupportConfig
from agents.support.intents import Intent, IntentRouter
from agents.support.models import Handoff, HandoffReason
from agents.support.template import compose, next_calls
from agents.support.turn import HANDOFF_TOOL, ToolAnswer, answers, sources, this_turn
from agents.toolbox import ToolContext, guarded_tools
from agents.toolbox.student_tools import CHAT_TOOLS
from policies.audit import AuditEvent
from policies.guard import Guard
from policies.rbac import Role
from prompts.loader import load_prompt

ROLE = Role.SUPPORT
PROMPT = "support_answer@2"
Mode = Literal["model", "template"]


class SupportState(TypedDict, total=False):
    """One conversation; everything but ``messages`` is reset by each turn's input."""

    messages: Annotated[list[AnyMessage], add_messages]
    question: str
    """This turn's message, redacted."""
    turn: int
    mode: Mode
    intent: str
    steps: int
    note: str
    """Why a model turn fell back to template mode, if it did."""
    reply: dict[str, Any]
    """The outcome: ``answer``, ``citations``, ``handoff`` (:mod:`agents.support.models`)."""


def _reply(
    answer: str, citations: list[Any] | None = None, handoff: Handoff | None = None
) -> dict[str, Any]:
    return {
        "reply": {
            "answer": answer,
            "citations": [c.model_dump() for c in citations or []],
            "handoff": handoff.model_dump() if handoff else None,
        }
    }


class SupportGraph:
    """Builds the graph around the guard, the intent router, the model (or none) and limits."""

    def __init__(
        self,
        guard: Guard,
        router: IntentRouter,
        model: BaseChatModel | None,
        config: SupportConfig,
    ) -> None:
        self.guard = guard
        self.router = router
        self.config = config
        self.prompt = load_prompt(PROMPT)
        self.tools = [t for t in guarded_tools(guard.policy, ROLE) if t.name in CHAT_TOOLS]
        tools = self.tools
        self.model = (
            model.bind_tools(tools).bind(**{config.token_field: self.prompt.max_tokens})
            if model is not None
            else None
        )
        self.writer = (
            model.bind(**{config.token_field: self.prompt.max_tokens})
            if model is not None
            else None
        )

    # -- nodes ----------------------------------------------------------------------------

    def screen(self, state: SupportState, runtime: Runtime[ToolContext]) -> dict[str, Any]:
        """Sensitive messages to a person first; probes for others' records into the audit."""
        question = state.get("question", "")
        found = screen(question)
        principal = runtime.context.principal
        if found.probe:
            self.guard.audit.append(
                AuditEvent(
                    actor=principal.actor,
                    role=principal.role.value,
                    on_behalf_of=str(principal.on_behalf_of),
                    tool="chat_message",
                    arguments={"message": question},
                    decision="deny",
                    outcome="the message asks for records beyond the student's own; only the"
                    " student's own tools are available",
                    thread_id=get_config().get("configurable", {}).get("thread_id"),
                )
            )
        if found.probe and found.sensitive is None:
            detail = "The message asked for records or actions beyond the student's own."
            return _reply(
                "I can only look up your own records, and I cannot change any record or act"
                " for anyone else. I have passed your message to a person at the help desk.",
                handoff=Handoff(reason="out_of_scope", detail=detail),
            )
        if found.sensitive is None:
            return {"mode": "template" if self.model is None else state.get("mode", "model")}
        detail = f"Your message was passed straight to a person ({found.sensitive.value})."
        return _reply(
            f"I'm concerned by what you wrote, and a person should help you with it, not an"
            f" automated assistant. {self.config.crisis_resources} {detail}",
            handoff=Handoff(reason="sensitive", detail=detail),
        )

    def plan(self, state: SupportState) -> dict[str, Any]:
        """Template mode: the next code-composed calls, or the composed answer."""
        intent = Intent(state.get("intent") or self.router.classify(state["question"]).intent)
        turn = this_turn(state["messages"])
        done = answers(turn)
        step = state.get("steps", 0)
        calls = next_calls(intent, state["question"], done, step, prefix=f"t{state.get('turn', 0)}")
        if calls is not None:
            return {"messages": [calls], "intent": intent.value, "steps": step + 1}
        if any(a.name == HANDOFF_TOOL and a.ok for a in done):
            return _requested_person(intent)
        composed = compose(
            intent, done, sources(done, self.config.min_score), max_sources=self.config.max_sources
        )
        return {
            "intent": intent.value,
            **_reply(composed.answer, composed.citations, composed.handoff),
        }

    def agent(self, state: SupportState) -> dict[str, Any]:
        """Model mode: one model round (answer or tool calls); a failing model → template mode."""
        assert self.model is not None
        step = state.get("steps", 0)
        if step >= self.config.max_steps:
            detail = "I could not finish looking this up within my limit of steps."
            return _reply(
                f"{detail} I have passed your question to a person at the help desk.",
                handoff=Handoff(reason="max_steps", detail=detail),
            )
        system = SystemMessage(self.prompt.system)
        try:
            reply = self.model.invoke([system, *state["messages"]])
        except Exception as exc:  # any model failure falls back, named in the note
            return {"mode": "template", "steps": 0, "note": f"model failed: {type(exc).__name__}"}
        return {"messages": [reply], "steps": step + 1}

    def cite(self, state: SupportState) -> dict[str, Any]:
        """Model mode's last step: the answer's citations must be this turn's chunks."""
        turn = this_turn(state["messages"])
        done = answers(turn)
        found = sources(done, self.config.min_score)
        handed = next((a for a in done if a.name == HANDOFF_TOOL and a.ok), None)
        if handed is not None:  # the turn ends at the hand-off: the words are the call's own
            said = next((m.text for m in reversed(turn) if isinstance(m, AIMessage)), "")
            said_check = check_citations(said, found)
            kept = said if said_check.ok else ""
            # the router reads an explicit request for a person first, then by similarity
            asked = self.router.classify(state.get("question", "")).intent is Intent.PERSON
            return _model_handoff(asked, handed, kept, said_check.cited)
        last = turn[-1] if turn else None
        answer = last.text if isinstance(last, AIMessage) else ""
        check = check_citations(answer, found)
        if not check.ok and self.writer is not None:
            note = SystemMessage(
                f"{self.prompt.system}\n\nYour previous answer cited {', '.join(check.invented)},"
                " which this turn did not retrieve. Rewrite it citing only: "
                + (", ".join(s.chunk_id for s in found) or "no chunk (cite nothing)")
            )
            try:
                rewrite = self.writer.invoke([note, *state["messages"]])
            except Exception:  # a failed rewrite is handled like a bad one
                rewrite = None
            if rewrite is not None:
                answer, check = rewrite.text, check_citations(rewrite.text, found)
                if check.ok:
                    return {"messages": [rewrite], **_reply(answer, check.cited)}
        if not check.ok or not answer.strip():
            return {
                "mode": "template",
                "steps": 0,
                "note": "the model's answer cited unretrieved sources",
            }
        return _reply(answer, check.cited)

    # -- edges ----------------------------------------------------------------------------

    @staticmethod
    def close(state: SupportState) -> dict[str, Any]:
        """The turn's answer joins the history (model answers are there already)."""
        answer = state["reply"]["answer"]
        last = state["messages"][-1] if state.get("messages") else None
        if isinstance(last, AIMessage) and not last.tool_calls and last.text == answer:
            return {}
        return {"messages": [AIMessage(answer, name=state.get("mode", "template"))]}

    @staticmethod
    def _after_screen(state: SupportState) -> str:
        if state.get("reply"):
            return "close"
        return "plan" if state.get("mode") == "template" else "agent"

    @staticmethod
    def _after_step(state: SupportState) -> str:
        if state.get("reply"):
            return "close"
        if state.get("mode") == "template":
            last = state["messages"][-1] if state.get("messages") else None
            return (
                "tools"
                if isinstance(last, AIMessage) and last.tool_calls and _pending(state)
                else "plan"
            )
        last = state["messages"][-1]
        if isinstance(last, AIMessage) and last.tool_calls:
            return "tools"
        return "cite"

    def _after_tools(self, state: SupportState) -> str:
        if state.get("mode") == "template":
            return "plan"
        done = answers(this_turn(state["messages"]))
        return "cite" if any(a.name == HANDOFF_TOOL and a.ok for a in done) else "agent"

    @staticmethod
    def _after_cite(state: SupportState) -> str:
        return "close" if state.get("reply") else "plan"

    def build(
        self, checkpointer: BaseCheckpointSaver[Any] | None = None
    ) -> CompiledStateGraph[Any, Any, Any, Any]:
        """The compiled graph (context: the run's :class:`ToolContext`)."""
        graph: StateGraph[Any, Any, Any, Any] = StateGraph(SupportState, context_schema=ToolContext)
        graph.add_node("screen", self.screen)
        graph.add_node("plan", self.plan)
        graph.add_node("agent", self.agent)
        graph.add_node("cite", self.cite)
        graph.add_node("tools", self.guard.tool_node(self.tools))
        graph.add_node("close", self.close)
        graph.add_edge(START, "screen")
        graph.add_conditional_edges("screen", self._after_screen, ["plan", "agent", "close"])
        graph.add_conditional_edges("plan", self._after_step, ["tools", "plan", "cite", "close"])
        graph.add_conditional_edges("agent", self._after_step, ["tools", "plan", "cite", "close"])
        graph.add_conditional_edges("tools", self._after_tools, ["plan", "agent", "cite"])
        graph.add_conditional_edges("cite", self._after_cite, ["plan", "close"])
        graph.add_edge("close", END)
        return graph.compile(checkpointer=checkpointer)


def _pending(state: SupportState) -> bool:
    last = state["messages"][-1]
    answered = {a for a in (getattr(m, "tool_call_id", None) for m in state["messages"]) if a}
    return isinstance(last, AIMessage) and any(c["id"] not in answered for c in last.tool_calls)


def _model_handoff(asked: bool, call: ToolAnswer, answer: str, cited: list[Any]) -> dict[str, Any]:
    """The model passed the turn to a person: its own words stand when they cite honestly.

    The reason is what the student did: ``asked`` for a person (in so many words, or by the
    intent router's reading), else asked what the model could not answer ("I don't know",
    with the model's stated reason for the help desk).
    """
    if asked:
        reason: HandoffReason = "asked_for_person"
        detail, fallback = _ASKED_DETAIL, _ASKED_ANSWER
    else:
        stated = str(call.args.get("reason") or "").strip()[:300]
        reason = "no_answer"
        detail = "I could not answer this from the college's pages or your records" + (
            f" ({stated})." if stated else "."
        )
        fallback = f"I don't know. {detail} I have passed your question to a person."
    kept = bool(answer.strip())
    return _reply(
        answer if kept else fallback, cited if kept else [], Handoff(reason=reason, detail=detail)
    )


_ASKED_DETAIL = "You asked to talk to a person."
_ASKED_ANSWER = "I have asked a person at the help desk to pick up this conversation."


def _requested_person(intent: Intent) -> dict[str, Any]:
    return {
        "intent": intent.value,
        **_reply(_ASKED_ANSWER, handoff=Handoff(reason="asked_for_person", detail=_ASKED_DETAIL)),
    }
