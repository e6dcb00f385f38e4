"""The one place a deployment's chat service is built: ``bca chat``, the API and ``bca up``.

Tests come in through the same seam: :func:`build_chat_service` takes an agent, or builds the
configured one with :func:`support_agent` (the packaged sentence embedding, the knowledge base,
the model of ``BCA_MODEL`` or template mode, the guard and the checkpointer of the pipeline).
"""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from datetime import date

from agents.checkpoints import open_checkpointer
from agents.drafting.model import chat_model_from_settings
from agents.support.agent import SupportAgent
from agents.support.config import SupportConfig
from agents.toolbox import ToolContext
from core.errors import ServiceUnavailable
from core.settings import Settings
from policies.audit import AuditLog
from policies.pii import PseudonymVault
from policies.rbac import Principal
from policies.rollout import Workflow
from runtime.chat.cases import CaseDesk
from runtime.chat.conversations import ConversationStore
from runtime.chat.service import ChatAgent, ChatService
from runtime.pipeline import Pipeline
from runtime.rollout import chatbot_switched_off
from runtime.scheduler import active_terms
from tools.canvas.client import CanvasClient
from tools.canvas.session import INTERACTIVE_RETRY
from tools.kb.embedding import load_embedder
from tools.kb.store import KnowledgeBase, open_kb


def knowledge_base(settings: Settings) -> KnowledgeBase:
    """The configured knowledge base; an empty one is a clear error, not an "I don't know"."""
    kb = open_kb(settings, load_embedder())
    if kb.count() == 0:
        raise ServiceUnavailable(
            "the knowledge base is empty: run `bca kb build` (the sandbox's help pages) or"
            " `bca kb ingest PATH` (your institution's folder) first"
        )
    return kb


def support_agent(settings: Settings, pipeline: Pipeline, resources: ExitStack) -> ChatAgent:
    """The configured :class:`SupportAgent`; its checkpointer closes with ``resources``."""
    saver = resources.enter_context(open_checkpointer(settings.resolved_checkpoint_url()))
    return SupportAgent(
        pipeline.deps.guard,
        load_embedder(),
        chat_model_from_settings(settings),
        SupportConfig.from_settings(settings),
        saver,
    )


def build_chat_service(settings: Settings, *, agent: ChatAgent | None = None) -> ChatService:
    """The chat service over the configured databases, Canvas, redactor and knowledge base.

    The tool contexts are the pipeline's (the same Banner engine and redactor the other agents
    get) with the knowledge base and a Canvas client of its own, retrying briefly
    (:data:`~tools.canvas.session.INTERACTIVE_RETRY`); ``close_resources()`` disposes them.
    """
    pipeline = Pipeline.from_settings(settings)
    resources = ExitStack()
    resources.callback(pipeline.dispose)
    try:
        kb = knowledge_base(settings) if agent is None else None
        chosen = agent if agent is not None else support_agent(settings, pipeline, resources)
    except BaseException:
        resources.close()
        raise
    audit = AuditLog(pipeline.app_engine)
    audit.create()
    conversations = ConversationStore(pipeline.app_engine)
    conversations.create_schema()

    def current_term() -> str | None:
        terms = active_terms(pipeline.banner, date.today())
        return terms[-1] if terms else None

    canvas = CanvasClient.from_settings(settings, retry=INTERACTIVE_RETRY)
    resources.callback(canvas.close)

    def context(principal: Principal, vault: PseudonymVault) -> ToolContext:
        return replace(
            pipeline.context(principal, vault),
            kb=kb,
            canvas=canvas,
            workflow=Workflow.CHATBOT,
            bound_term=principal.term,
        )

    return ChatService(
        agent=chosen,
        conversations=conversations,
        cases=CaseDesk(pipeline.app_engine),
        audit=audit,
        vaults=pipeline.vaults,
        redactor=pipeline.redactor,
        context=context,
        current_term=current_term,
        max_chars=settings.chat_max_chars,
        rate_per_minute=settings.chat_rate_per_minute,
        on_close=resources.close,
        switched_off=chatbot_switched_off(pipeline.deps.guard.rollout, current_term),
    )
