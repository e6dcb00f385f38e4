"""The one place a deployment's chat service is built: ``bca chat``, the API and ``bca up``.

Tests and the lead's agent come in through the same seam: :func:`build_chat_service` takes the
agent, or builds the configured one with :func:`support_agent`.
"""

from __future__ import annotations

from datetime import date

from core.errors import ServiceUnavailable
from core.settings import Settings
from policies.audit import AuditLog
from runtime.chat.cases import CaseDesk
from runtime.chat.conversations import ConversationStore
from runtime.chat.service import ChatAgent, ChatService
from runtime.pipeline import Pipeline
from runtime.scheduler import active_terms


def support_agent(settings: Settings) -> ChatAgent:
    """The configured support agent (``agents.support.agent.SupportAgent``).

    Until that module lands, the chat answers 503 saying so rather than pretending.
    """
    raise ServiceUnavailable(
        "the support agent is not wired yet: runtime/chat/factory.support_agent must build "
        f"agents.support.agent.SupportAgent (model: {settings.model or 'template mode'})"
    )


def build_chat_service(settings: Settings, *, agent: ChatAgent | None = None) -> ChatService:
    """The chat service over the configured databases, Canvas and redactor.

    The tool contexts are the pipeline's (the same Banner engine, Canvas client and redactor
    the other agents get); ``close_resources()`` disposes them.
    """
    chosen = agent if agent is not None else support_agent(settings)
    pipeline = Pipeline.from_settings(settings)
    audit = AuditLog(pipeline.app_engine)
    audit.create()
    conversations = ConversationStore(pipeline.app_engine)
    conversations.create_schema()

    def current_term() -> str | None:
        terms = active_terms(pipeline.banner, date.today())
        return terms[-1] if terms else None

    return ChatService(
        agent=chosen,
        conversations=conversations,
        cases=CaseDesk(pipeline.app_engine),
        audit=audit,
        vaults=pipeline.vaults,
        redactor=pipeline.redactor,
        context=pipeline.context,
        current_term=current_term,
        max_chars=settings.chat_max_chars,
        rate_per_minute=settings.chat_rate_per_minute,
        on_close=pipeline.dispose,
    )
