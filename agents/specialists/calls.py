"""The one door, as graph plumbing: code composes tool calls, a guarded tool node runs them.

Deterministic nodes decide by the rules and then *emit* their reads and writes as
``AIMessage(tool_calls=[...])``, one message per call whose text is that call's reasoning (the
guard quotes it in the approval request and the audit). :func:`dispatch` sends every call that
has no answer yet to the guarded tool node as its own task (LangGraph's ``Send`` with a
``tool_call_with_context``), so calls that need a person pause as **parallel interrupts**, one
per call, each with its own interrupt id, resumable one by one or all at once.

Results come back as redacted ``ToolMessage`` s; :func:`results` reads them as JSON. A node that
needs a real identifier from a result (to compose the next call) gets it back from the run's
vault with :func:`real_pidm`: identifiers in code-composed calls are real values, so a paused
call can be resumed by another process, whose vault never saw this run's pseudonyms.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, ToolCall, ToolMessage
from langgraph.graph import END, StateGraph
from langgraph.types import Send

from agents.state import Outcome, OutcomeStatus
from agents.toolbox import guarded_tool_node
from core.ids import banner_section_of
from policies.guard import Guard
from policies.pii import PseudonymVault
from policies.rbac import Role


def compose(name: str, args: Mapping[str, Any], call_id: str, reasoning: str = "") -> AIMessage:
    """One tool call decided by code; ``reasoning`` must hold no personal data."""
    return AIMessage(reasoning, tool_calls=[{"name": name, "args": dict(args), "id": call_id}])


def _answered(messages: Sequence[AnyMessage]) -> set[str]:
    return {m.tool_call_id for m in messages if isinstance(m, ToolMessage)}


def unanswered(messages: Sequence[AnyMessage]) -> list[tuple[AIMessage, ToolCall]]:
    """Calls in ``messages`` that no ``ToolMessage`` answers yet, in order."""
    done = _answered(messages)
    return [
        (m, call)
        for m in messages
        if isinstance(m, AIMessage)
        for call in m.tool_calls
        if call["id"] not in done
    ]


def dispatch(tools: str, otherwise: str) -> Callable[[Mapping[str, Any]], list[Send] | str]:
    """A conditional edge: each unanswered call to ``tools`` as its own task, else ``otherwise``.

    A run that already has its outcome ends instead (a run handles one event on its thread).
    """

    def route(state: Mapping[str, Any]) -> list[Send] | str:
        if state.get("outcome"):
            return END
        pending = unanswered(state.get("messages", []))
        if not pending:
            return otherwise
        return [
            Send(
                tools,
                {
                    "__type": "tool_call_with_context",
                    "tool_call": call,
                    "state": {"messages": [message]},  # the guard quotes its reasoning
                },
            )
            for message, call in pending
        ]

    return route


@dataclass(frozen=True)
class GuardedSteps:
    """Adds ``composer`` → (its calls through the guard) → ``then`` steps to one graph."""

    graph: StateGraph[Any, Any, Any, Any]
    guard: Guard
    role: Role

    def add(self, composer: str, tools: str, then: str) -> None:
        """One step; ``tools`` is the name of its own guarded tool node."""
        self.graph.add_node(tools, guarded_tool_node(self.guard, self.role))
        self.graph.add_conditional_edges(composer, dispatch(tools, then), [tools, then, END])
        self.graph.add_edge(tools, then)

    def unless_finished(self, source: str, then: str) -> None:
        """``source`` → ``then``, or the end once the run has its outcome."""
        self.graph.add_conditional_edges(source, dispatch(then, then), [then, END])


@dataclass(frozen=True)
class CallResult:
    """A tool's answer: parsed JSON (redacted) or the refusal or error text."""

    ok: bool
    data: Any
    text: str


def results(messages: Iterable[AnyMessage], ids: Iterable[str]) -> dict[str, CallResult]:
    """The answers to the calls ``ids`` that have one."""
    wanted = set(ids)
    found: dict[str, CallResult] = {}
    for m in messages:
        if isinstance(m, ToolMessage) and m.tool_call_id in wanted:
            text = m.content if isinstance(m.content, str) else json.dumps(m.content)
            try:
                data = json.loads(text)
            except ValueError:
                data = None
            found[m.tool_call_id] = CallResult(ok=m.status != "error", data=data, text=text)
    return found


def real_pidm(vault: PseudonymVault, value: Any) -> int:
    """A PIDM as composed calls carry it: the real number behind a result's pseudonym."""
    return int(vault.reidentify(str(value)))


def finish(
    status: OutcomeStatus, detail: str, figures: dict[str, int] | None = None
) -> dict[str, Any]:
    """The state update that ends a run with its :class:`~agents.state.Outcome`."""
    return {"outcome": Outcome(status=status, detail=detail, figures=figures or {}).model_dump()}


def section_of_course(course_id: str) -> tuple[str, str] | None:
    """(term, CRN) of a course addressed by its one-section SIS id (``{term}-{crn}``), else None.

    A numeric Canvas id or a cross-list group's course names no single section.
    """
    return banner_section_of(course_id)


def list_sections(term: str) -> AIMessage:
    """The call that lists a term's sections (for term-wide scheduled events)."""
    return compose(
        "banner_get_term_sections", {"term": term}, f"sections:{term}", f"List term {term}."
    )


def active_sections(messages: Sequence[AnyMessage], term: str) -> list[str] | str:
    """CRNs of the term's active, gradable sections from :func:`list_sections`, or the error."""
    listed = results(messages, [f"sections:{term}"]).get(f"sections:{term}")
    if listed is None or not listed.ok or not isinstance(listed.data, list):
        return listed.text if listed is not None else "no answer"
    return [s["crn"] for s in listed.data if s.get("status") == "A" and s.get("gradable")]
