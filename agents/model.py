"""The chat model, or the honest absence of one.

With ``BCA_MODEL`` set, drafts come from ``ChatOpenAI`` (OpenAI or any OpenAI-compatible
endpoint via ``BCA_OPENAI_BASE_URL``). Without it the system runs in **template mode**: each
prompt's deterministic fallback is rendered and every draft says so, so no person mistakes a
template for a model's judgement. Either way the model only ever drafts and explains; rules
decide.
"""

from __future__ import annotations

from collections.abc import Mapping

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict

from core.settings import Settings
from prompts import load_prompt

TEMPLATE_MODE_LABEL = "[template mode: drafted from a fixed template, no language model]"


def chat_model_from_settings(settings: Settings) -> BaseChatModel | None:
    """``ChatOpenAI`` for the configured model, or ``None`` for template mode."""
    if not settings.model:
        return None
    from langchain_openai import ChatOpenAI

    key = settings.openai_api_key.get_secret_value() or None
    return ChatOpenAI(
        model=settings.model,
        base_url=settings.openai_base_url or None,
        api_key=key,
        temperature=0,
        timeout=60,
        max_retries=3,
    )


class Draft(BaseModel):
    """A drafted text with its provenance, as shown to the approving person."""

    model_config = ConfigDict(frozen=True)

    text: str
    prompt_ref: str
    model: str | None

    @property
    def template_mode(self) -> bool:
        """Whether no model was involved."""
        return self.model is None


class Drafter:
    """Renders a prompt through the model, or its fallback in template mode."""

    def __init__(self, model: BaseChatModel | None, model_name: str | None = None) -> None:
        self._model = model
        self._name = model_name or (type(model).__name__ if model is not None else None)

    def draft(self, prompt_ref: str, variables: Mapping[str, object]) -> Draft:
        """Draft from already-redacted ``variables``; the prompt sees placeholders only."""
        prompt = load_prompt(prompt_ref)
        if self._model is None:
            body = prompt.render("fallback", variables)
            return Draft(text=f"{TEMPLATE_MODE_LABEL}\n{body}", prompt_ref=prompt.ref, model=None)
        reply = self._model.invoke(
            [
                SystemMessage(prompt.render("system", variables)),
                HumanMessage(prompt.render("user", variables)),
            ]
        )
        return Draft(text=reply.text.strip(), prompt_ref=prompt.ref, model=self._name)
