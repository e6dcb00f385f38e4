"""The state every agent graph shares, and what a run leaves behind.

The router and each specialist subgraph run over :class:`AgentState`, so a specialist is a node
of the router with no translation layer. Everything in the state is JSON-serialisable (it lives
in the checkpointer while a person decides) and holds **redacted** text only where a model will
read it: the ``messages`` channel is the model's whole view of the world.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, Literal, TypedDict

from langchain_core.messages import AnyMessage
from langgraph.graph.message import add_messages
from pydantic import BaseModel, ConfigDict, Field

OutcomeStatus = Literal["done", "noop", "dead_letter", "needs_person", "rejected"]


class Outcome(BaseModel):
    """How a run ended: recorded in the inbox and shown in the event monitor."""

    model_config = ConfigDict(frozen=True)

    status: OutcomeStatus
    detail: str
    figures: dict[str, int] = Field(default_factory=dict)


class PersonException(BaseModel):
    """Something a person must resolve (e.g. a student with no Canvas account yet)."""

    model_config = ConfigDict(frozen=True)

    kind: str = Field(description="Short machine name, e.g. 'canvas_user_missing'.")
    detail: str = Field(description="One sentence for the exceptions queue.")
    term: str | None = None
    crn: str | None = None
    pidm: int | None = None
    record: str | None = Field(
        None,
        description="The Banner record to fix, as a person reads it"
        " (e.g. \"SPRIDEN A00012345 Lee Kim; GOREMAL UNIV 'lee.kim@'\"): staff-only.",
    )


class AgentState(TypedDict, total=False):
    """The channels of every agent graph."""

    event: dict[str, Any]
    """The event being handled, as JSON (``agents.events.parse_event`` re-types it)."""
    messages: Annotated[list[AnyMessage], add_messages]
    """What the model sees and says; tool results in it are redacted by the guard."""
    outcome: dict[str, Any]
    """An :class:`Outcome` as JSON, set by the last node of a run."""
    exceptions: Annotated[list[dict[str, Any]], operator.add]
    """:class:`PersonException` records as JSON, appended by any node."""
