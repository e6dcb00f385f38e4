"""The chat's app-state tables (SQLAlchemy Core), created like the other app tables.

Message text is stored redacted (placeholders from the conversation's pseudonym vault), so the
transcript a help-desk case shows never holds a name, Banner ID or e-mail.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Engine,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
)

from core.db import UtcDateTime

metadata = MetaData()

support_conversations = Table(
    "support_conversations",
    metadata,
    Column("conversation_id", String(36), primary_key=True),
    Column("student_pidm", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    Column("closed", Boolean, nullable=False),
    Column("handed_off", Boolean, nullable=False),
    Index("ix_support_conversations_student", "student_pidm", "updated_at"),
)

support_messages = Table(
    "support_messages",
    metadata,
    Column(
        "conversation_id",
        String(36),
        ForeignKey("support_conversations.conversation_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", Integer, primary_key=True, autoincrement=False),
    Column("role", String(16), nullable=False),
    Column("text", Text, nullable=False),
    Column("citations", JSON, nullable=False),
    Column("tools_used", JSON, nullable=False),
    Column("mode", String(16)),
    Column("tokens", Integer),
    Column("latency_ms", Float),
    Column("at", UtcDateTime, nullable=False),
    Index("ix_support_messages_role_at", "role", "at"),
)

support_cases = Table(
    "support_cases",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("case_id", String(16), unique=True),
    Column("conversation_id", String(36), nullable=False, index=True),
    Column("student_pidm", Integer, nullable=False),
    Column("reason", String(40), nullable=False),
    Column("detail", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("opened_at", UtcDateTime, nullable=False),
    Column("answered_by", String(200)),
    Column("answer", Text),
    Column("answered_at", UtcDateTime),
)


def create_schema(engine: Engine) -> None:
    """Create the three tables if missing (idempotent)."""
    metadata.create_all(engine, checkfirst=True)
