"""Case inputs per prompt, and how each becomes the prompt's variables and the call it feeds.

The builders mirror the specialists (:mod:`agents.specialists.alerts` and
:mod:`agents.specialists.grades`): the subject arrives as the run's pseudonym (as the guard
hands it over), free text (the early-alert reasons, a grade anomaly's evidence) is redacted
with the real Presidio redactor into the case's vault, and the drafted text goes into the very
tool call the specialist composes (``canvas_send_message`` for the advisor to approve,
``banner_post_grade`` whose reasoning the instructor reads). A new prompt adds an input model
and a builder here.

A program-review case (:class:`NarrativeInput`) has no student at all: its findings are what
a build states from suppressed tables, composed as :func:`runtime.analytics.narrate` composes
them, and its draft goes into no tool call (the build stores it).

A support-chat case (:class:`ChatInput`) is what a signed-in student writes, turn by turn;
other students appear in it as ``{key.field}`` references into the people fixture, filled in
only when the case runs, so the suite file holds no identifier.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from agents.drafting.narrative import NARRATIVE_PROMPT, Finding, narrative_variables
from agents.routing import ROLES, Specialist
from agents.specialists.alerts import OUTREACH_PROMPT
from agents.specialists.grades import ANOMALY_PROMPT
from evals.people import Person
from policies.pii import PiiType, PseudonymVault
from policies.rbac import Role

Redact = Callable[[str], str]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    student: str = Field(description="Key of the subject in the people fixture.")
    mentions: list[str] = Field(
        default_factory=list, description="Other people whose identifiers the input holds."
    )


class OutreachInput(_Input):
    """An early-alert flag: the student, the section and the score's reasons (free text)."""

    crn: str = Field(pattern=r"^\d{5}$")
    reasons: list[str] = Field(min_length=1)
    advisor: str = "Your advisor"


class AnomalyInput(_Input):
    """One anomaly of a proposed final grade."""

    crn: str = Field(pattern=r"^\d{5}$")
    term: str = Field(pattern=r"^\d{6}$")
    grade: str = Field(min_length=1, max_length=6)
    check: str
    evidence: str


_REFERENCE = re.compile(r"\{([a-z][a-z0-9_]*)\.([a-z_]+)\}")
REFERENCE_FIELDS = frozenset({"name", "first_name", "last_name", "banner_id", "email", "pidm"})


class NarrativeInput(BaseModel):
    """A build's findings over its period: no person, nothing to redact."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    period: str = Field(min_length=1, description="The build's terms, e.g. 201910 to 202120.")
    findings: list[Finding] = Field(min_length=1)


class ChatInput(_Input):
    """One support-chat case: who is signed in, what they write, and in which mode."""

    message: str = Field(min_length=1, max_length=2000, description="The turn that is scored.")
    before: list[str] = Field(
        default_factory=list, max_length=3, description="Earlier turns of the same conversation."
    )
    mode: Literal["model", "template"] = Field(
        "model", description="template: the chatbot with no model (its deployed default)."
    )

    @field_validator("message", "before")
    @classmethod
    def _references_are_named(cls, value: str | list[str], info: ValidationInfo) -> Any:
        named = {info.data.get("student"), *info.data.get("mentions", [])}
        for text in [value] if isinstance(value, str) else value:
            for key, field in _REFERENCE.findall(text):
                if field not in REFERENCE_FIELDS:
                    raise ValueError(
                        f"{{{key}.{field}}}: a reference names one of {sorted(REFERENCE_FIELDS)}"
                    )
                if key not in named:
                    raise ValueError(f"{{{key}.{field}}}: {key!r} is not the student or a mention")
        return value

    def turns(self, people: dict[str, Person]) -> list[str]:
        """The messages as the student sends them, references filled from ``people``."""

        def value(match: re.Match[str]) -> str:
            person, field = people[match[1]], match[2]
            if field == "name":
                return f"{person.first_name} {person.last_name}"
            return str(getattr(person, field))

        return [_REFERENCE.sub(value, text) for text in [*self.before, self.message]]


@dataclass(frozen=True)
class Composed:
    """The prompt's variables (redacted) and how to compose the call the draft goes into."""

    variables: dict[str, Any]
    role: Role
    tool: str | None
    """The call the draft goes into; None: it goes into none (the build stores a narrative)."""
    call_args: Callable[[str], dict[str, Any]]
    """The call's arguments given the drafted text."""


def _outreach(
    raw: OutreachInput, people: dict[str, Person], vault: PseudonymVault, redact: Redact
) -> Composed:
    person = people[raw.student]
    pidm = vault.pseudonym(PiiType.PIDM, str(person.pidm))
    variables = {
        "student": vault.pseudonym(PiiType.PERSON, person.first_name),
        "course": f"your course (CRN {raw.crn})",
        "reasons": [redact(r) for r in raw.reasons],
        "advisor": raw.advisor,
    }
    return Composed(
        variables,
        ROLES[Specialist.ALERTS],
        "canvas_send_message",
        lambda text: {"pidm": pidm, "subject": "Checking in about your course", "body": text},
    )


def _anomaly(
    raw: AnomalyInput, people: dict[str, Person], vault: PseudonymVault, redact: Redact
) -> Composed:
    person = people[raw.student]
    pidm = vault.pseudonym(PiiType.PIDM, str(person.pidm))
    variables = {
        "student": pidm,
        "course": f"CRN {raw.crn} ({raw.term})",
        "grade": raw.grade,
        "check": raw.check,
        "evidence": redact(raw.evidence),
    }
    return Composed(
        variables,
        ROLES[Specialist.GRADES],
        "banner_post_grade",
        lambda text: {
            "pidm": pidm,
            "term": raw.term,
            "crn": raw.crn,
            "grade": raw.grade,
            "reasoning": text,
        },
    )


def _narrative(
    raw: NarrativeInput, people: dict[str, Person], vault: PseudonymVault, redact: Redact
) -> Composed:
    variables = narrative_variables(raw.period, raw.findings)
    return Composed(variables, Role.RESEARCH, None, lambda text: {})


@dataclass(frozen=True)
class InputKind:
    """A prompt's input model and its builder."""

    model: type[BaseModel]
    build: Callable[[Any, dict[str, Person], PseudonymVault, Redact], Composed]
    """Composes a case's input; a subject is looked up by its key among the fixture people."""


INPUTS: dict[str, InputKind] = {
    OUTREACH_PROMPT.partition("@")[0]: InputKind(OutreachInput, _outreach),
    ANOMALY_PROMPT.partition("@")[0]: InputKind(AnomalyInput, _anomaly),
    NARRATIVE_PROMPT.partition("@")[0]: InputKind(NarrativeInput, _narrative),
}
