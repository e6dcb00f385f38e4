"""Drafting: the only place a language model writes anything, bounded and checked.

:mod:`~agents.drafting.drafter` renders prompts through the model or their templates,
:mod:`~agents.drafting.checks` holds a draft to its prompt's rules,
:mod:`~agents.drafting.breaker` decides when to stop asking a failing model,
:mod:`~agents.drafting.records` keeps what every draft cost, and
:mod:`~agents.drafting.model` builds the configured chat model.
"""

from agents.drafting.breaker import BreakerPolicy, BreakerState, breaker_state
from agents.drafting.drafter import (
    TEMPLATE_MODE_LABEL,
    Draft,
    Drafter,
    DrafterLimits,
    DraftRequest,
    drafted_by,
    fallback_label,
)
from agents.drafting.model import breaker_policy, chat_model_from_settings, drafter_from_settings
from agents.drafting.records import (
    DraftFigures,
    DraftLog,
    DraftRecord,
    MemoryDraftLog,
    draft_figures,
)

__all__ = [
    "TEMPLATE_MODE_LABEL",
    "BreakerPolicy",
    "BreakerState",
    "Draft",
    "DraftFigures",
    "DraftLog",
    "DraftRecord",
    "DraftRequest",
    "Drafter",
    "DrafterLimits",
    "MemoryDraftLog",
    "breaker_policy",
    "breaker_state",
    "chat_model_from_settings",
    "draft_figures",
    "drafted_by",
    "drafter_from_settings",
    "fallback_label",
]
