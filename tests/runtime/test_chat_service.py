"""The chat service's stores on SQLite and PostgreSQL: case references, the rate limit, purge."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any, TypedDict

import pytest
from langgraph.graph import END, START, StateGraph
from sqlalchemy import Engine, func, select, update

from agents.checkpoints import open_checkpointer
from agents.toolbox import ToolContext
from core.clock import utcnow
from core.db import make_engine
from core.errors import NotFoundError
from policies.audit import AuditLog
from policies.pii.redactor import Redactor
from runtime.chat import CaseDesk, ChatRateLimited, ChatService, ConversationStore
from runtime.chat.purge import purge
from runtime.chat.service import thread_of
from runtime.chat.tables import support_cases, support_conversations, support_messages
from runtime.vaults import VaultStore, pii_vaults
from tests.api.chat_support import FakeAgent

STUDENT, OTHER = 1001, 1002


@pytest.fixture(scope="module")
def patterns_only() -> Redactor:
    """Presidio with the Banner ID and e-mail patterns (no name directory, no NER)."""
    return Redactor(use_ner=False)


@pytest.fixture
def engine(app_url: str) -> Iterator[Engine]:
    found = make_engine(app_url)
    yield found
    found.dispose()


@pytest.fixture
def service(engine: Engine, patterns_only: Redactor, tmp_path: Path) -> ChatService:
    conversations = ConversationStore(engine)
    conversations.create_schema()
    audit = AuditLog(engine)
    audit.create()
    vaults = VaultStore(engine, b"x" * 43 + b"=")
    vaults.create_schema()
    banner = make_engine(f"sqlite:///{tmp_path}/unused-banner.db")
    return ChatService(
        agent=FakeAgent(),
        conversations=conversations,
        cases=CaseDesk(engine),
        audit=audit,
        vaults=vaults,
        redactor=patterns_only,
        context=lambda principal, vault: ToolContext(
            principal=principal, banner=banner, redactor=patterns_only, vault=vault
        ),
        current_term=lambda: "202610",
        rate_per_minute=3,
    )


def test_case_references_count_up_and_ownership_holds(service: ChatService) -> None:
    first = service.ask(STUDENT, "a person please")
    second = service.ask(OTHER, "a person please")
    assert first.handoff and second.handoff
    assert (first.handoff.case_id, second.handoff.case_id) == ("HD-000001", "HD-000002")
    with pytest.raises(NotFoundError):
        service.ask(OTHER, "hold?", first.conversation_id)
    with pytest.raises(NotFoundError):
        service.transcript(OTHER, first.conversation_id)


def test_the_rate_limit_counts_the_last_minute(service: ChatService, engine: Engine) -> None:
    for _ in range(3):
        service.ask(STUDENT, "hold?")
    with pytest.raises(ChatRateLimited) as refused:
        service.ask(STUDENT, "hold?")
    assert 1 <= refused.value.retry_after <= 60
    assert _count(engine, support_messages) == 6  # the refused message was not stored
    with engine.begin() as conn:  # a minute later
        conn.execute(update(support_messages).values(at=utcnow() - timedelta(seconds=61)))
    assert service.ask(STUDENT, "hold?").answer


class _State(TypedDict, total=False):
    n: int


def _graph(saver: Any) -> Any:
    graph = StateGraph(_State)
    graph.add_node("step", lambda state: {"n": 1})
    graph.add_edge(START, "step")
    graph.add_edge("step", END)
    return graph.compile(checkpointer=saver)


def test_purge_deletes_what_is_old_and_finished(
    service: ChatService, engine: Engine, tmp_path: Path, patterns_only: Redactor
) -> None:
    done = service.ask(STUDENT, "hold? my id is A00012345")
    service.close(STUDENT, done.conversation_id)
    handed = service.ask(STUDENT, "a person please")  # its case stays open
    answered_closed = service.ask(OTHER, "a person please")
    assert answered_closed.handoff
    service.close(OTHER, answered_closed.conversation_id)
    recent = service.ask(OTHER, "hold?")
    old = [done.conversation_id, handed.conversation_id, answered_closed.conversation_id]
    c = support_conversations
    long_ago = utcnow() - timedelta(days=200)
    with engine.begin() as conn:
        conn.execute(update(c).where(c.c.conversation_id.in_(old)).values(updated_at=long_ago))
        conn.execute(update(support_cases).values(opened_at=long_ago))
    with open_checkpointer(str(tmp_path / "checkpoints.db")) as saver:
        graph = _graph(saver)
        threads = {
            cid: thread_of(pidm, cid)
            for pidm, cid in [
                (STUDENT, done.conversation_id),
                (STUDENT, handed.conversation_id),
                (OTHER, recent.conversation_id),
            ]
        }
        for thread in threads.values():
            graph.invoke({}, {"configurable": {"thread_id": thread}})
        counts = purge(engine, timedelta(days=180), delete_thread=saver.delete_thread)

        def kept(cid: str) -> bool:
            config = {"configurable": {"thread_id": threads[cid]}}
            return saver.get_tuple(config) is not None  # type: ignore[arg-type]

        assert not kept(done.conversation_id)
        assert kept(handed.conversation_id) and kept(recent.conversation_id)
    assert (counts.conversations, counts.messages, counts.cases, counts.threads) == (2, 4, 1, 2)
    with engine.connect() as conn:
        left: set[str] = set(conn.execute(select(c.c.conversation_id)).scalars())
        vaults: set[str] = set(conn.execute(select(pii_vaults.c.thread_id)).scalars())
    assert left == {handed.conversation_id, recent.conversation_id}
    assert thread_of(STUDENT, done.conversation_id) not in vaults
    assert [case.status for case in service.cases.listed(("open",))] == ["open"]


def _count(engine: Engine, table: Any) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())
