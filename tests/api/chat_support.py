"""A scripted :class:`~runtime.chat.ChatAgent` and an app whose chat runs it.

The fake returns real :class:`TurnResult` objects, redacting its transcript with the turn's
real redactor and vault as the support agent does: a question about holds is answered with a
citation, one asking for a person is handed off, one containing "explode" raises. The chat
service around it is the real one (stores, cases, audit, vaults) over the test's app database.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine

from agents.support.models import Citation, Handoff, TranscriptLine, TurnResult
from agents.toolbox import ToolContext
from core.db import make_engine
from core.settings import Settings
from policies.audit import AuditLog
from policies.pii.redactor import Redactor
from runtime.chat import CaseDesk, ChatService, ConversationStore
from runtime.vaults import VaultStore

HOLDS = Citation(
    chunk_id="registration-holds#2",
    source="holds/registration-holds.md",
    title="Registration holds",
    heading="Clearing a hold",
    anchor="clearing-a-hold",
)
HOLD_ANSWER = "A hold is cleared by the office that placed it; see the page on holds."


@dataclass
class FakeAgent:
    """Answers by keyword; remembers what it was called with."""

    calls: list[tuple[ToolContext, str, str]] = field(default_factory=list)

    def answer(self, ctx: ToolContext, *, message: str, thread_id: str) -> TurnResult:
        self.calls.append((ctx, message, thread_id))
        if "explode" in message:
            raise RuntimeError(f"the knowledge base fell over while reading {message!r}")
        if "person" in message:
            turn = TurnResult(
                answer="I will pass this to a person at the help desk.",
                handoff=Handoff(
                    reason="asked_for_person", detail="The student asked for a person."
                ),
                mode="template",
            )
        else:
            turn = TurnResult(
                answer=HOLD_ANSWER,
                citations=[HOLDS],
                tools_used=["kb_search", "banner_get_holds"],
                mode="model",
                tokens=321,
            )
        redact = ctx.redactor.redact_text
        turn.transcript = [
            TranscriptLine(role="student", text=redact(message, ctx.vault).text),
            TranscriptLine(role="assistant", text=redact(turn.answer, ctx.vault).text),
        ]
        return turn


def chat_service(
    settings: Settings, agent: FakeAgent, redactor: Redactor, term: str
) -> ChatService:
    """The real service around ``agent`` over the test's databases."""
    app_engine = make_engine(settings.database_url)
    banner = make_engine(settings.banner_url)
    conversations = ConversationStore(app_engine)
    conversations.create_schema()
    audit = AuditLog(app_engine)
    audit.create()
    return ChatService(
        agent=agent,
        conversations=conversations,
        cases=CaseDesk(app_engine),
        audit=audit,
        vaults=VaultStore.from_settings(settings, app_engine),
        redactor=redactor,
        context=lambda principal, vault: ToolContext(
            principal=principal, banner=banner, redactor=redactor, vault=vault
        ),
        current_term=lambda: term,
        max_chars=settings.chat_max_chars,
        rate_per_minute=settings.chat_rate_per_minute,
        on_close=lambda: dispose(app_engine, banner),
    )


def dispose(*engines: Engine) -> None:
    for engine in engines:
        engine.dispose()
