"""The configured chat model, or the honest absence of one.

With ``BCA_MODEL`` set, drafts come from ``ChatOpenAI`` (OpenAI or any OpenAI-compatible
endpoint via ``BCA_OPENAI_BASE_URL``). Without it the system runs in **template mode**: each
prompt's deterministic fallback is rendered and every draft says so, so no person mistakes a
template for a model's judgement. The client's own retries are off: the drafter retries only
what is worth retrying, within the draft's time.
"""

from __future__ import annotations

from datetime import timedelta

from langchain_core.language_models import BaseChatModel
from langchain_openai import ChatOpenAI

from agents.drafting.breaker import BreakerPolicy
from agents.drafting.drafter import Drafter, DrafterLimits
from agents.drafting.records import DraftLog
from core.settings import Settings


def chat_model_from_settings(settings: Settings) -> BaseChatModel | None:
    """``ChatOpenAI`` for the configured model, or ``None`` for template mode."""
    if not settings.model:
        return None
    key = settings.openai_api_key.get_secret_value() or "not-needed"
    return ChatOpenAI(
        model=settings.model,
        base_url=settings.openai_base_url or None,
        api_key=key,
        temperature=0,
        timeout=settings.model_timeout_seconds,
        max_retries=0,
    )


def breaker_policy(settings: Settings) -> BreakerPolicy:
    """The circuit breaker the ``BCA_MODEL_BREAKER_*`` settings describe."""
    return BreakerPolicy(
        failures=settings.model_breaker_failures,
        cooldown=timedelta(seconds=settings.model_breaker_cooldown_seconds),
    )


def drafter_from_settings(settings: Settings, log: DraftLog | None = None) -> Drafter:
    """The drafter of the configured deployment, recording into ``log`` (shared by processes)."""
    return Drafter(
        chat_model_from_settings(settings),
        settings.model or None,
        limits=DrafterLimits(
            timeout_seconds=settings.model_timeout_seconds,
            max_retries=settings.model_max_retries,
            token_field=settings.resolved_token_field(),
            concurrency=settings.model_concurrency,
            breaker=breaker_policy(settings),
        ),
        log=log,
        banner_id_pattern=settings.banner_id_pattern,
    )
