"""Reading one chat turn out of a conversation's messages: its calls, results and sources.

A conversation lives in one checkpointed thread, so ``messages`` holds every earlier turn too.
A turn is what follows the student's latest message; citations are checked against the chunks
retrieved in it and nothing older, so an answer cannot lean on a source it did not look up.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from langchain_core.messages import AIMessage, AnyMessage, HumanMessage, ToolMessage
from pydantic import BaseModel, ConfigDict

from agents.support.models import Citation

KB_TOOL = "kb_search"
HANDOFF_TOOL = "request_person"


class ToolAnswer(BaseModel):
    """One tool call of the turn and what came back (redacted JSON, or the error text)."""

    model_config = ConfigDict(frozen=True)

    name: str
    args: dict[str, Any]
    ok: bool
    data: Any
    text: str


class Source(BaseModel):
    """A retrieved chunk as the kb_search tool returned it."""

    model_config = ConfigDict(frozen=True)

    chunk_id: str
    source: str
    title: str
    heading: str
    anchor: str
    text: str
    score: float

    def citation(self) -> Citation:
        """The citation of this chunk."""
        return Citation(
            chunk_id=self.chunk_id,
            source=self.source,
            title=self.title,
            heading=self.heading,
            anchor=self.anchor,
        )


def this_turn(messages: Sequence[AnyMessage]) -> list[AnyMessage]:
    """The messages after the student's latest one."""
    for index in range(len(messages) - 1, -1, -1):
        if isinstance(messages[index], HumanMessage):
            return list(messages[index + 1 :])
    return list(messages)


def _parsed(message: ToolMessage) -> tuple[Any, str]:
    text = message.content if isinstance(message.content, str) else json.dumps(message.content)
    try:
        return json.loads(text), text
    except ValueError:
        return None, text


def answers(turn: Sequence[AnyMessage]) -> list[ToolAnswer]:
    """Every answered tool call of the turn, in call order."""
    calls = {call["id"]: call for m in turn if isinstance(m, AIMessage) for call in m.tool_calls}
    found: list[ToolAnswer] = []
    for m in turn:
        if isinstance(m, ToolMessage) and m.tool_call_id in calls:
            call = calls[m.tool_call_id]
            data, text = _parsed(m)
            found.append(
                ToolAnswer(
                    name=call["name"],
                    args=dict(call["args"]),
                    ok=m.status != "error",
                    data=data,
                    text=text,
                )
            )
    return found


def sources(turn_answers: Sequence[ToolAnswer], min_score: float) -> list[Source]:
    """Chunks the turn's knowledge-base searches found at or above ``min_score``, best first."""
    seen: dict[str, Source] = {}
    for answer in turn_answers:
        if answer.name != KB_TOOL or not answer.ok or not isinstance(answer.data, list):
            continue
        for hit in answer.data:
            source = Source.model_validate(hit)
            kept = seen.get(source.chunk_id)
            if source.score >= min_score and (kept is None or kept.score < source.score):
                seen[source.chunk_id] = source
    return sorted(seen.values(), key=lambda s: -s.score)


def tokens_of(turn: Sequence[AnyMessage]) -> int:
    """Prompt plus completion tokens the model spent in the turn (its usage metadata)."""
    return sum(
        m.usage_metadata["total_tokens"]
        for m in turn
        if isinstance(m, AIMessage) and m.usage_metadata is not None
    )
