"""What one chat turn returns to the surfaces (API, page, CLI) and what a hand-off carries.

The answer is already re-identified for the caller's own data; the transcript is redacted
(placeholders, never a name, Banner ID or e-mail), because it is what a help-desk case stores.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

HandoffReason = Literal[
    "sensitive", "asked_for_person", "no_answer", "tool_error", "max_steps", "out_of_scope"
]


class Citation(BaseModel):
    """A knowledge-base chunk an answer relied on, retrieved in the same turn."""

    model_config = ConfigDict(frozen=True)

    chunk_id: str
    source: str
    title: str
    heading: str
    anchor: str


class Handoff(BaseModel):
    """Why a turn goes to a person; the chat service opens the case and names its reference."""

    model_config = ConfigDict(frozen=True)

    reason: HandoffReason
    detail: str = Field(description="What the student is told and the help desk reads.")


class TranscriptLine(BaseModel):
    """One redacted line of a conversation."""

    model_config = ConfigDict(frozen=True)

    role: Literal["student", "assistant", "staff"]
    text: str


class TurnResult(BaseModel):
    """The outcome of one student message."""

    answer: str
    citations: list[Citation] = Field(default_factory=list)
    tools_used: list[str] = Field(default_factory=list)
    handoff: Handoff | None = None
    mode: Literal["model", "template"]
    tokens: int = Field(0, description="Prompt plus completion tokens; 0 in template mode.")
    transcript: list[TranscriptLine] = Field(
        default_factory=list, description="This turn's redacted lines (student, assistant)."
    )
