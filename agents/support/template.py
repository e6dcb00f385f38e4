"""Template mode: the tools an intent needs, and an answer composed from what they returned.

With no model configured (the default) the chatbot is still useful and still honest: code picks
the calls (:func:`next_calls`, by intent and by what the turn has found so far), the guard runs
them as it would a model's, and :func:`compose` writes a labelled answer in which every fact
names the tool it came from and every policy statement its knowledge-base source. Nothing here
invents a value: a failed lookup is said to have failed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from langchain_core.messages import AIMessage
from pydantic import BaseModel, ConfigDict

from agents.support.intents import Intent
from agents.support.models import Citation, Handoff
from agents.support.turn import HANDOFF_TOOL, KB_TOOL, Source, ToolAnswer
from core.ids import banner_section_of

_COURSE = re.compile(r"\b([A-Za-z]{2,4})[ -]?(\d{3,4}[A-Za-z]?)\b")
TEMPLATE_LABEL = "(Answered from templates and your records; no AI model wrote this.)"
_EXCERPT = 320

_HOLD_FIRST = frozenset({Intent.HOLDS, Intent.REGISTRATION})
"""Intents whose help-page search waits for the holds: the page of the hold in force is the
one that answers "why can't I register?"."""
_PERSONAL_TOOLS: dict[Intent, tuple[str, ...]] = {
    Intent.HOLDS: ("my_holds",),
    Intent.REGISTRATION: ("my_registration", "my_holds"),
    Intent.AID: ("my_aid",),
    Intent.ASSIGNMENTS: ("my_assignments",),
    Intent.GRADES: ("my_grades",),
}


def course_in(question: str) -> str | None:
    """A course named like ``BIOL 101`` in the question, upper-cased."""
    match = _COURSE.search(question)
    return f"{match.group(1).upper()} {match.group(2).upper()}" if match else None


def _call(name: str, args: dict[str, Any], call_id: str) -> dict[str, Any]:
    return {"name": name, "args": args, "id": call_id}


def next_calls(
    intent: Intent, question: str, done: Sequence[ToolAnswer], step: int, prefix: str
) -> AIMessage | None:
    """The calls the turn still needs, as one composed message; None when it has enough.

    ``prefix`` keeps call ids unique within the conversation's thread (one per turn).
    """
    calls: list[dict[str, Any]] = []
    if step == 0:
        if intent is Intent.PERSON:
            calls.append(
                {"name": HANDOFF_TOOL, "args": {"reason": "the student asked for a person"}}
            )
        elif intent is Intent.MODULES:
            course = course_in(question)
            if course:
                calls.append({"name": "course_modules", "args": {"course": course}})
            else:
                calls.append({"name": "my_registration", "args": {}})
        else:
            calls.extend({"name": n, "args": {}} for n in _PERSONAL_TOOLS.get(intent, ()))
            if intent not in _HOLD_FIRST:
                calls.append({"name": KB_TOOL, "args": {"query": question}})
    elif step == 1 and intent in _HOLD_FIRST:
        holds = _holds(done)
        queries = [
            f"{hold.get('description') or hold.get('code')} hold: what it blocks, who clears it"
            for hold in holds
        ] or [question]
        calls.extend({"name": KB_TOOL, "args": {"query": q}} for q in queries)
    if not calls:
        return None
    return AIMessage(
        f"Template mode: the lookups for a {intent.value} question.",
        tool_calls=[
            _call(c["name"], c["args"], f"{prefix}-{step}-{i}-{c['name']}")
            for i, c in enumerate(calls)
        ],
    )


def _holds(done: Sequence[ToolAnswer]) -> list[dict[str, Any]]:
    for answer in done:
        if answer.name == "my_holds" and answer.ok and isinstance(answer.data, dict):
            return [h for h in answer.data.get("holds", []) if isinstance(h, dict)]
    return []


def _money(value: Any) -> str:
    return f"${float(value):,.2f}" if isinstance(value, int | float) else str(value)


def _holds_facts(data: dict[str, Any]) -> list[str]:
    holds = [h for h in data.get("holds", []) if isinstance(h, dict)]
    if not holds:
        return ["You have no holds in force today (my_holds)."]
    lines = [
        f"{h.get('code')} — {h.get('description') or 'hold'}"
        + (f", {_money(h['amount_owed'])} owed" if h.get("amount_owed") else "")
        + (f", in force until {h.get('to_date')}" if h.get("to_date") else "")
        + " (my_holds)."
        for h in holds
    ]
    verdict = (
        "At least one of these holds blocks registration (my_holds)."
        if data.get("blocks_registration")
        else "None of these holds blocks registration (my_holds)."
    )
    return [*lines, verdict]


def _registration_facts(data: dict[str, Any]) -> list[str]:
    courses = [c for c in data.get("courses", []) if isinstance(c, dict)]
    if not courses:
        return [f"You have no registrations in term {data.get('term', '')} (my_registration)."]
    lines = [
        f"{c.get('subject')} {c.get('course_number')} {c.get('title') or ''} (CRN {c.get('crn')}):"
        f" {c.get('status_description') or c.get('status')}, {c.get('credit_hours')} credit hours"
        " (my_registration)."
        for c in courses
    ]
    total = data.get("enrolled_credit_hours")
    if total is not None:
        lines.append(f"Enrolled credit hours this term: {total} (my_registration).")
    return lines


def _aid_facts(data: dict[str, Any]) -> list[str]:
    if not data.get("has_aid_record"):
        return [f"There is no financial aid record for aid year {data.get('aid_year')} (my_aid)."]
    lines = [
        f"{a.get('fund_title') or a.get('fund')}: {a.get('status_description') or a.get('status')},"
        f" offered {_money(a.get('offered'))}, accepted {_money(a.get('accepted'))},"
        f" paid {_money(a.get('paid'))} (my_aid)."
        for a in data.get("awards", [])
        if isinstance(a, dict)
    ]
    return lines or [f"No awards yet for aid year {data.get('aid_year')} (my_aid)."]


def _rows(data: Any) -> list[dict[str, Any]]:
    return [r for r in data if isinstance(r, dict)] if isinstance(data, list) else []


def _assignment_facts(data: Any) -> list[str]:
    rows = _rows(data)
    if not rows:
        return ["Nothing is due in your Canvas courses in the coming days (my_assignments)."]
    return [
        f"{a.get('course_code')}: {a.get('name')} due {a.get('due_at')}"
        + (" (handed in)" if a.get("submitted") else " (not handed in yet)")
        + " (my_assignments)."
        for a in rows
    ]


def _crn(sis_section_id: Any) -> str:
    """The CRN of a Banner section in brackets, so two sections of one course are told apart."""
    section = banner_section_of(sis_section_id) if isinstance(sis_section_id, str) else None
    return f" (CRN {section[1]})" if section else ""


def _grade_facts(data: Any) -> list[str]:
    rows = _rows(data)
    if not rows:
        return ["Canvas shows no current grades for you yet (my_grades)."]
    return [
        f"{g.get('course_code') or g.get('name')}{_crn(g.get('sis_section_id'))}:"
        f" current score {g.get('current_score')}"
        + (f", grade {g.get('current_grade')}" if g.get("current_grade") else "")
        + " (my_grades)."
        for g in rows
    ]


def _module_facts(data: Any) -> list[str]:
    data = data if isinstance(data, dict) else {}
    page = f"{data.get('course_code') or 'The course'}'s modules: {data.get('modules_url')}"
    rows = _rows(data.get("modules"))
    if not rows:
        return [f"That course has no published modules yet; {page} (course_modules)."]
    return [f"{page} (course_modules)."] + [
        f"Module {m.get('name')}: {m.get('url')} (course_modules)." for m in rows
    ]


FACTS: dict[str, Callable[[Any], list[str]]] = {
    "my_holds": _holds_facts,
    "my_registration": _registration_facts,
    "my_aid": _aid_facts,
    "my_assignments": _assignment_facts,
    "my_grades": _grade_facts,
    "course_modules": _module_facts,
}
_LOOKUP_NAMES = {
    "my_holds": "your holds",
    "my_registration": "your registration",
    "my_aid": "your financial aid",
    "my_assignments": "your upcoming assignments",
    "my_grades": "your grades",
    "course_modules": "that course's modules",
    KB_TOOL: "the help pages",
}


class Composed(BaseModel):
    """A template answer, its citations and, when it cannot answer, the hand-off."""

    model_config = ConfigDict(frozen=True)

    answer: str
    citations: list[Citation]
    handoff: Handoff | None = None


_BULLET = re.compile(r"\n\s*[-*]\s+")


def _excerpt(text: str) -> str:
    """The chunk's start on one line; its bullet list reads as a list separated by ';'."""
    flat = " ".join(_BULLET.sub("; ", "\n" + text.strip()).removeprefix("; ").split())
    flat = flat.replace(":;", ":")
    return flat if len(flat) <= _EXCERPT else flat[:_EXCERPT].rsplit(" ", 1)[0] + " …"


def compose(
    intent: Intent, done: Sequence[ToolAnswer], found: Sequence[Source], *, max_sources: int = 3
) -> Composed:
    """The labelled answer for the turn's results (see the module docstring)."""
    failed = [a for a in done if not a.ok]
    if failed:
        what = ", ".join(dict.fromkeys(_LOOKUP_NAMES.get(a.name, a.name) for a in failed))
        detail = f"I could not look up {what} just now, so I will not guess."
        return Composed(
            answer=f"{detail} A person from the help desk will follow up. {TEMPLATE_LABEL}",
            citations=[],
            handoff=Handoff(reason="tool_error", detail=detail),
        )
    facts = [fact for a in done if a.name in FACTS for fact in FACTS[a.name](a.data)]
    cited = list(found[:max_sources])
    if not facts and not cited:
        detail = "I don't know the answer to that, and I would rather not guess."
        return Composed(
            answer=f"{detail} I have passed your question to a person at the help desk."
            f" {TEMPLATE_LABEL}",
            citations=[],
            handoff=Handoff(reason="no_answer", detail=detail),
        )
    parts = ["Here is what I found:"] if facts else []
    parts += [f"- {fact}" for fact in facts]
    if cited:
        parts += ["", "From the help pages:"] if parts else ["From the help pages:"]
        parts += [f"- {_excerpt(s.text)} [{s.chunk_id}] ({s.title} — {s.heading})" for s in cited]
    parts += ["", TEMPLATE_LABEL]
    return Composed(answer="\n".join(parts), citations=[s.citation() for s in cited])
