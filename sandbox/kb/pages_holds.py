"""Help pages about holds: an overview and one page per STVHLDD hold code."""

from __future__ import annotations

from sandbox.kb.facts import Facts, HoldType
from sandbox.kb.offices import clearance

Page = tuple[str, str]


def _hold_page(hold: HoldType) -> Page:
    office, how = clearance(hold.code)
    blocks = hold.blocks()
    blocked = "\n".join(f"- {item}" for item in blocks) or "- nothing by itself: it is a notice"
    web = (
        "It is shown in the student portal under My Holds."
        if hold.on_web
        else "It is not shown in the student portal; the office that placed it will contact you."
    )
    name = hold.description
    name = name if name.lower().endswith("hold") else f"{name} hold"
    text = f"""# {name} ({hold.code})

The {name} (code {hold.code}) is placed on your student record by the
{office.name}. {web}

## What the {hold.code} hold blocks

While the {hold.code} hold is in force it blocks:

{blocked}

## Who clears the {name}

The {office.name} clears {hold.code} holds. {how}

Contact: {office.email}, {office.phone}, {office.building} ({office.hours}).

## After the {hold.code} hold is released

Once released, the hold disappears from My Holds and you can register, request transcripts or
graduate again as usual. If the hold is still listed two business days after you resolved it,
contact the {office.name}.
"""
    return f"holds/{hold.code.lower()}-hold.md", text


def _short(hold: HoldType) -> str:
    return ", ".join(item.split(" (")[0] for item in hold.blocks()) or "nothing"


def hold_pages(facts: Facts) -> list[Page]:
    """The overview and one page per hold code."""
    rows = "\n".join(
        f"| {h.code} | {h.description} | {_short(h)} | {clearance(h.code)[0].name} |"
        for h in facts.holds
    )
    overview = f"""# Holds on your student record

A hold stops certain services until a problem is resolved: an unpaid balance, missing
documents, a required advising meeting. Holds have a start date and an end date; a hold
placed for later in the term does not block anything yet, and an expired or released hold
no longer blocks anything.

## How to see your holds

Sign in to the student portal and open My Holds. Each hold shows its code, the office that
placed it, the dates it is in force and, for balance holds, the amount owed. The support
chatbot can also list the holds in force on your record today.

## Hold codes and who clears them

| code | hold | blocks | cleared by |
|---|---|---|---|
{rows}

## Why a hold can block registration

Holds with the registration indicator stop you from adding or dropping classes. Clear them
before your registration time ticket opens for {facts.next_term_name}, since a registration hold
released late can cost you seats in full sections.
"""
    return [("holds/index.md", overview), *(_hold_page(h) for h in facts.holds)]
