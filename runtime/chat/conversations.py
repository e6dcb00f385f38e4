"""Conversations and their redacted messages, owned by one student each.

Ownership is checked here, in one place: asking for another student's conversation is the same
:class:`NotFoundError` as asking for one that never existed, so an id reveals nothing.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine, func, insert, select, update

from agents.support.models import Citation
from core.clock import utcnow
from core.errors import NotFoundError
from runtime.chat.tables import create_schema, support_conversations, support_messages

Role = Literal["student", "assistant", "staff"]


class StoredMessage(BaseModel):
    """One line of a conversation as it is kept (text redacted)."""

    model_config = ConfigDict(frozen=True)

    seq: int
    role: Role
    text: str
    citations: list[Citation] = []
    tools_used: list[str] = []
    mode: str | None = None
    tokens: int | None = None
    latency_ms: float | None = None
    at: datetime


class Conversation(BaseModel):
    """A conversation's header."""

    model_config = ConfigDict(frozen=True)

    conversation_id: str
    student_pidm: int
    created_at: datetime
    updated_at: datetime
    closed: bool
    handed_off: bool


class ConversationStore:
    """Reads and writes ``support_conversations`` and ``support_messages``."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create_schema(self) -> None:
        """Create the chat tables if missing."""
        create_schema(self.engine)

    def start(self, student_pidm: int) -> str:
        """A new, empty conversation of ``student_pidm``; its id."""
        conversation_id = str(uuid.uuid4())
        now = utcnow()
        with self.engine.begin() as conn:
            conn.execute(
                insert(support_conversations).values(
                    conversation_id=conversation_id,
                    student_pidm=student_pidm,
                    created_at=now,
                    updated_at=now,
                    closed=False,
                    handed_off=False,
                )
            )
        return conversation_id

    def owned(self, student_pidm: int, conversation_id: str) -> Conversation:
        """The conversation if it is ``student_pidm``'s; otherwise not found (no hint why)."""
        c = support_conversations
        with self.engine.connect() as conn:
            row = conn.execute(
                select(c).where(
                    c.c.conversation_id == conversation_id, c.c.student_pidm == student_pidm
                )
            ).first()
        if row is None:
            raise NotFoundError("conversation", conversation_id=conversation_id)
        return Conversation.model_validate(row._asdict())

    def get(self, conversation_id: str) -> Conversation:
        """Any conversation (the help desk's view)."""
        c = support_conversations
        with self.engine.connect() as conn:
            row = conn.execute(select(c).where(c.c.conversation_id == conversation_id)).first()
        if row is None:
            raise NotFoundError("conversation", conversation_id=conversation_id)
        return Conversation.model_validate(row._asdict())

    def append(
        self,
        conversation_id: str,
        role: Role,
        text: str,
        *,
        citations: list[Citation] | None = None,
        tools_used: list[str] | None = None,
        mode: str | None = None,
        tokens: int | None = None,
        latency_ms: float | None = None,
        handed_off: bool = False,
    ) -> int:
        """Add one (already redacted) line; its sequence number. Touches the conversation."""
        m, c = support_messages, support_conversations
        now = utcnow()
        # Writing the conversation row first serialises appends to one conversation.
        values: dict[str, Any] = {"updated_at": now}
        if handed_off:
            values["handed_off"] = True
        with self.engine.begin() as conn:
            conn.execute(update(c).where(c.c.conversation_id == conversation_id).values(**values))
            last = conn.execute(
                select(func.max(m.c.seq)).where(m.c.conversation_id == conversation_id)
            ).scalar()
            seq = int(last or 0) + 1
            conn.execute(
                insert(m).values(
                    conversation_id=conversation_id,
                    seq=seq,
                    role=role,
                    text=text,
                    citations=[cite.model_dump() for cite in citations or ()],
                    tools_used=list(tools_used or ()),
                    mode=mode,
                    tokens=tokens,
                    latency_ms=latency_ms,
                    at=now,
                )
            )
        return seq

    def messages(self, conversation_id: str, *, after: int = 0) -> list[StoredMessage]:
        """The conversation's lines in order (those after ``after``)."""
        m = support_messages
        query = (
            select(m)
            .where(m.c.conversation_id == conversation_id, m.c.seq > after)
            .order_by(m.c.seq)
        )
        with self.engine.connect() as conn:
            return [StoredMessage.model_validate(row._asdict()) for row in conn.execute(query)]

    def last_seq(self, conversation_id: str, role: Role) -> int:
        """The sequence number of the conversation's last ``role`` line (0 if none)."""
        m = support_messages
        with self.engine.connect() as conn:
            found = conn.execute(
                select(func.max(m.c.seq)).where(
                    m.c.conversation_id == conversation_id, m.c.role == role
                )
            ).scalar()
        return int(found or 0)

    def student_messages_since(self, student_pidm: int, since: datetime) -> list[datetime]:
        """When ``student_pidm`` sent each message since ``since``, oldest first (rate limit)."""
        m, c = support_messages, support_conversations
        query = (
            select(m.c.at)
            .join(c, c.c.conversation_id == m.c.conversation_id)
            .where(c.c.student_pidm == student_pidm, m.c.role == "student", m.c.at > since)
            .order_by(m.c.at)
        )
        with self.engine.connect() as conn:
            return list(conn.execute(query).scalars())

    def close(self, conversation_id: str) -> None:
        """Mark the conversation closed (the student ended it)."""
        c = support_conversations
        with self.engine.begin() as conn:
            conn.execute(
                update(c)
                .where(c.c.conversation_id == conversation_id)
                .values(closed=True, updated_at=utcnow())
            )

    def of_student(self, student_pidm: int, limit: int = 20) -> list[Conversation]:
        """The student's newest conversations first."""
        c = support_conversations
        query = (
            select(c)
            .where(c.c.student_pidm == student_pidm)
            .order_by(c.c.updated_at.desc())
            .limit(limit)
        )
        with self.engine.connect() as conn:
            return [Conversation.model_validate(row._asdict()) for row in conn.execute(query)]
