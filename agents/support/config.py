"""The chatbot's limits and words, from settings: trusted configuration, never model output."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from core.settings import Settings


class SupportConfig(BaseModel):
    """How far one turn may go and what it says when a person must take over."""

    model_config = ConfigDict(frozen=True)

    max_steps: int = Field(4, ge=1, description="Model tool-calling rounds per turn.")
    min_score: float = Field(0.35, ge=0, le=1, description="Least similarity of a usable chunk.")
    max_sources: int = Field(3, ge=1, description="Chunks a template answer quotes.")
    intent_floor: float = Field(0.5, ge=0, le=1, description="Least similarity of an intent.")
    crisis_resources: str = Settings.model_fields["chat_crisis_resources"].default
    token_field: str = Field("max_tokens", description="The model API's completion-limit field.")

    @classmethod
    def from_settings(cls, settings: Settings) -> SupportConfig:
        """The configuration the ``BCA_CHAT_*`` and ``BCA_KB_*`` settings describe."""
        return cls(
            max_steps=settings.chat_max_steps,
            min_score=settings.kb_min_score,
            crisis_resources=settings.chat_crisis_resources,
            token_field=settings.resolved_token_field(),
        )
