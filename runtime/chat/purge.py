"""Retention: conversations, their messages and closed cases older than an age are deleted.

A conversation counts by its last activity. One with a case still open or answered is kept
(the help desk still needs its transcript) until the case closes. The conversation's pseudonym
vault goes with it, and its checkpointed agent thread when a checkpointer is given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from pydantic import BaseModel
from sqlalchemy import Engine, delete, exists, select

from core.clock import utcnow
from runtime.chat.service import thread_of
from runtime.chat.tables import (
    create_schema,
    support_cases,
    support_conversations,
    support_messages,
)
from runtime.vaults import metadata as vault_metadata
from runtime.vaults import pii_vaults


class PurgeCounts(BaseModel):
    """What a purge deleted."""

    conversations: int
    messages: int
    cases: int
    threads: int


def purge(
    engine: Engine,
    older_than: timedelta,
    *,
    delete_thread: Callable[[str], None] | None = None,
) -> PurgeCounts:
    """Delete what is older than ``older_than``; ``delete_thread`` drops a checkpoint thread."""
    create_schema(engine)
    vault_metadata.create_all(engine, checkfirst=True)
    cutoff = utcnow() - older_than
    c, m, k = support_conversations, support_messages, support_cases
    unfinished = exists().where(k.c.conversation_id == c.c.conversation_id, k.c.status != "closed")
    with engine.begin() as conn:
        old = conn.execute(
            select(c.c.conversation_id, c.c.student_pidm).where(
                c.c.updated_at < cutoff, ~unfinished
            )
        ).all()
        ids = [row.conversation_id for row in old]
        threads = [thread_of(row.student_pidm, row.conversation_id) for row in old]
        messages = conn.execute(delete(m).where(m.c.conversation_id.in_(ids))).rowcount
        cases = conn.execute(
            delete(k).where(
                k.c.status == "closed", (k.c.opened_at < cutoff) | k.c.conversation_id.in_(ids)
            )
        ).rowcount
        conversations = conn.execute(delete(c).where(c.c.conversation_id.in_(ids))).rowcount
        if threads:
            conn.execute(delete(pii_vaults).where(pii_vaults.c.thread_id.in_(threads)))
    if delete_thread is not None:
        for thread in threads:
            delete_thread(thread)
    return PurgeCounts(
        conversations=conversations,
        messages=messages,
        cases=cases,
        threads=len(threads) if delete_thread is not None else 0,
    )
