"""The typed vocabulary of redaction: entity kinds, found entities and redaction results.

These are the shapes other areas (the guard, the CLI, the audit trail) receive. None of them
carries an original value: an :class:`Entity` says where a value was and which pseudonym
replaced it, never what it was, so a result can be logged or shown as JSON without leaking.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class PiiType(StrEnum):
    """Kinds of personal data the redactor knows; the value is the pseudonym's prefix."""

    PERSON = "PERSON"
    EMAIL = "EMAIL"
    PHONE = "PHONE"
    SSN = "SSN"
    DATE_OF_BIRTH = "DATE_OF_BIRTH"
    ADDRESS = "ADDRESS"
    BANNER_ID = "BANNER_ID"
    PIDM = "PIDM"
    USERNAME = "USERNAME"


class Entity(BaseModel):
    """One piece of personal data found in a text: where it was, what kind, how sure."""

    model_config = ConfigDict(frozen=True)

    type: PiiType
    start: int = Field(ge=0, description="Offset of the first character in the original text.")
    end: int = Field(ge=0, description="Offset just past the last character.")
    score: float = Field(ge=0.0, le=1.0)
    recognizer: str = Field(description="Which recognizer found it (for tuning, not for trust).")
    token: str | None = Field(None, description="The pseudonym that replaced it, once redacted.")


class RedactionResult(BaseModel):
    """A redacted text and the entities that were replaced in it."""

    model_config = ConfigDict(frozen=True)

    text: str
    entities: list[Entity]
