"""What a student is asking about, by similarity to labelled examples (template mode's router).

Without a model the chatbot still has to pick the right tools. Each intent carries a handful of
example questions; a message goes to the intent of its most similar example when that
similarity clears a floor, and otherwise to ``policy`` (a knowledge-base question). The examples
are embedded once per process with the same local sentence embedding the knowledge base uses,
so no model hub, no network and no hosted model are involved.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from enum import StrEnum
from functools import cached_property
from typing import Protocol

from pydantic import BaseModel, ConfigDict


class Intent(StrEnum):
    """The question kinds the template mode can answer, and a request for a person."""

    HOLDS = "holds"
    REGISTRATION = "registration"
    AID = "aid"
    ASSIGNMENTS = "assignments"
    GRADES = "grades"
    MODULES = "modules"
    PERSON = "person"
    POLICY = "policy"


EXAMPLES: dict[Intent, tuple[str, ...]] = {
    Intent.HOLDS: (
        "why can't I register?",
        "do I have any holds on my account?",
        "what hold is blocking my registration",
        "how do I get my hold removed",
        "it says I have a registration hold",
        "who clears the hold on my record",
    ),
    Intent.REGISTRATION: (
        "what classes am I registered for?",
        "show my schedule this term",
        "how many credit hours am I taking",
        "am I still enrolled in my course",
        "am I on the wait list",
        "did my drop go through",
    ),
    Intent.AID: (
        "what is my financial aid status?",
        "how much aid was I awarded",
        "has my scholarship been paid out",
        "did my loan disburse",
        "what awards do I have this year",
        "is my financial aid accepted",
    ),
    Intent.ASSIGNMENTS: (
        "what assignments are due this week?",
        "what homework do I have coming up",
        "which assignments am I missing",
        "when is my next assignment due",
        "upcoming deadlines in my courses",
    ),
    Intent.GRADES: (
        "what are my grades?",
        "what is my current grade in my classes",
        "how am I doing in my courses",
        "show my scores in Canvas",
        "am I passing",
    ),
    Intent.MODULES: (
        "where are the modules for my course",
        "link to the course materials",
        "where do I find the lecture notes for BIOL 101",
        "open the modules of my class in Canvas",
        "course content for MATH 201",
    ),
    Intent.PERSON: (
        "I want to talk to a person",
        "can I speak to someone at the registrar",
        "connect me with a human",
        "I need help from an advisor, not a bot",
        "let me talk to staff",
    ),
}


_ASKS_FOR_PERSON = re.compile(
    r"\b(talk|speak|chat|get in touch)\s+(to|with)\s+(a |an |some )?(real |actual |live )?"
    r"(person|human|someone|somebody|staff|agent|advisor|counsel+or)\b|"
    r"\bconnect me (to|with)\b|\b(real|actual|live) (person|human)\b",
    re.IGNORECASE,
)
"""An explicit request for a person wins over whatever else the message is about."""


class Embedder(Protocol):
    """The sentence embedding of :mod:`tools.kb.embedding` (normalised vectors)."""

    def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector per text."""
        ...


class IntentMatch(BaseModel):
    """The chosen intent and the similarity that chose it."""

    model_config = ConfigDict(frozen=True)

    intent: Intent
    score: float


def _cosine(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


class IntentRouter:
    """Nearest labelled example wins, above ``floor``; else a knowledge-base question."""

    def __init__(self, embedder: Embedder, floor: float = 0.5) -> None:
        self.embedder = embedder
        self.floor = floor

    @cached_property
    def _examples(self) -> list[tuple[Intent, list[float]]]:
        labelled = [(intent, text) for intent, texts in EXAMPLES.items() for text in texts]
        vectors = self.embedder.embed([text for _intent, text in labelled])
        return [(intent, vector) for (intent, _text), vector in zip(labelled, vectors, strict=True)]

    def classify(self, message: str) -> IntentMatch:
        """The intent of ``message``."""
        if _ASKS_FOR_PERSON.search(message):
            return IntentMatch(intent=Intent.PERSON, score=1.0)
        [vector] = self.embedder.embed([message])
        best, score = max(
            ((intent, _cosine(vector, example)) for intent, example in self._examples),
            key=lambda pair: pair[1],
        )
        if score < self.floor:
            return IntentMatch(intent=Intent.POLICY, score=score)
        return IntentMatch(intent=best, score=score)
