"""The tools that act on an approved incomplete contract: Canvas access and the student's copy.

Both run only after the registrar has approved the Banner write the contract rests on (the
incompletes graph composes them once Banner holds the I), so neither waits for a person again.
The student's copy is read from the sealed contract store by id: the text with the student's
name never passes through the model, the arguments or the audit trail.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from pydantic import Field

from agents.toolbox.arguments import SectionArgs, StudentRef
from agents.toolbox.context import ToolContext
from agents.toolbox.contracts import ContractStatus
from agents.toolbox.keys import canvas_user_id, course_of
from core.errors import ValidationFailed
from core.ids import section_sis_id
from tools.banner import grading, reads
from tools.canvas import extensions, messages
from tools.canvas.models import ConversationSpec


class ExtendAccessArgs(SectionArgs):
    """A student's Canvas access to a section's course, kept until a date."""

    pidm: StudentRef
    until: date = Field(description="Last day of access (the incomplete's extension date).")


class SendContractArgs(SectionArgs):
    """An approved contract to send to its student."""

    pidm: StudentRef
    contract: str = Field(pattern=r"^[0-9a-f]{24}$", description="The contract's id.")


def _incomplete_in_banner(ctx: ToolContext, a: SectionArgs, pidm: int) -> date:
    """Banner's extension date of the student's I, refusing when Banner holds none.

    These two writes need no approval of their own because they only carry out one that was
    given: the extension date reaches Banner only through the registrar's approved
    ``banner_resolve_incomplete``, and the contract turns active only after it. Checked here,
    in the tools, from Banner and the contract store, whatever composed the call.
    """
    facts = grading.section_grading(ctx.banner, a.term, a.crn)
    held = next((r for r in facts.registrations if r.pidm == pidm), None)
    if held is None or held.grade != "I" or held.incomplete_ext_date is None:
        raise ValidationFailed("Banner holds no incomplete for this student in this section")
    return held.incomplete_ext_date


def extend_access(ctx: ToolContext, a: ExtendAccessArgs) -> Any:
    """Access until the end of ``until`` (UTC) through the student's extension section."""
    if a.until != _incomplete_in_banner(ctx, a, a.pidm):
        raise ValidationFailed(
            "the access date is not the incomplete's extension date in Banner (not approved yet?)"
        )
    spec = extensions.AccessExtensionSpec(
        sis_course_id=course_of(ctx, a.term, a.crn),
        sis_section_id=section_sis_id(a.term, a.crn),
        sis_user_id=reads.person_by_pidm(ctx.banner, a.pidm).banner_id,
        end_at=datetime.combine(a.until, time(23, 59, 59), tzinfo=UTC),
    )
    return extensions.extend_access(ctx.lms(), spec)


def send_contract(ctx: ToolContext, a: SendContractArgs) -> Any:
    """The contract's text (with its SHA-256) as a Canvas conversation to its student."""
    contract = ctx.contract_store().get(a.contract)
    if (contract.term, contract.crn, contract.pidm) != (a.term, a.crn, a.pidm):
        raise ValidationFailed("that contract belongs to another student or section")
    if ctx.contract_store().status(a.contract) is not ContractStatus.ACTIVE:
        raise ValidationFailed("that contract is not approved by the registrar yet")
    spec = ConversationSpec(
        recipients=[canvas_user_id(ctx, a.pidm)],
        subject="Your incomplete grade contract",
        body=f"{contract.text}\n\nContract SHA-256: {contract.sha256}",
    )
    return messages.send_conversation(ctx.lms(), spec)
