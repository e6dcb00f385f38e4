"""Which actions wait for a person, who that person may be, and what a request and answer look like.

The rules, by tool: a final grade is approved by the section's **instructor of record** (the
SIRASGN row with PRIMARY_IND 'Y'); outreach to a student and an advising comment by the
student's **advisor** (SGRADVR); placing or releasing a hold, and ending a share of a section's
enrollments above the threshold, by a **registrar**. Nobody approves a request they made, made on
their behalf, or about their own record (separation of duties), and a request expires.

:class:`ApprovalRequest` is the LangGraph interrupt payload, shaped like an agent-inbox request
(action and args, a markdown description, the responses allowed); :data:`ApprovalDecision` is
the resume value, validated so that a malformed answer is refused with a clear message.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, ValidationError

from core.errors import ValidationFailed
from policies.rbac import Approval, Principal, Role
from policies.scope import ApproverDirectory, Directory, Subject


class Approver(StrEnum):
    """Who may approve an action, as a relationship to its subject."""

    INSTRUCTOR_OF_RECORD = "instructor_of_record"
    STUDENT_ADVISOR = "student_advisor"
    REGISTRAR = "registrar"
    DEPARTMENT_CHAIR = "department_chair"


APPROVERS: dict[str, Approver] = {
    "banner_post_grade": Approver.INSTRUCTOR_OF_RECORD,
    "banner_place_hold": Approver.REGISTRAR,
    "banner_release_hold": Approver.REGISTRAR,
    "banner_resolve_incomplete": Approver.REGISTRAR,
    "banner_add_advising_comment": Approver.STUDENT_ADVISOR,
    "canvas_send_message": Approver.STUDENT_ADVISOR,
    "canvas_end_enrollments": Approver.REGISTRAR,
    "canvas_apply_roster_plan": Approver.REGISTRAR,
}
"""The approver of each action that can need a person; a grant needing approval for a tool not
listed here could never be approved, so the guard refuses to start with one."""

ResponseType = Literal["approve", "edit", "reject", "comment"]
ALL_RESPONSES: tuple[ResponseType, ...] = ("approve", "edit", "reject", "comment")


class ApprovalSettings(BaseModel):
    """Tunable parts of the approval rules."""

    model_config = ConfigDict(frozen=True)

    ttl: timedelta = Field(timedelta(hours=72), description="How long a request stays answerable.")
    end_enrollment_threshold: float = Field(
        0.10,
        ge=0.0,
        le=1.0,
        description="Share of a section's enrollments one call may end without a person.",
    )


def needs_approval(approval: Approval, share: float | None, settings: ApprovalSettings) -> bool:
    """Whether a granted call waits for a person; ``share`` is the bulk share it would change."""
    match approval:
        case Approval.ALWAYS:
            return True
        case Approval.NEVER:
            return False
        case Approval.ABOVE_THRESHOLD:
            return share is None or share > settings.end_enrollment_threshold


class Requester(BaseModel):
    """Who asked for the action (copied from the principal)."""

    model_config = ConfigDict(frozen=True)

    actor: str
    role: Role
    pidm: int | None = None
    on_behalf_of: int | None = None

    @classmethod
    def of(cls, principal: Principal) -> Requester:
        """The requester fields of a principal."""
        return cls(
            actor=principal.actor,
            role=principal.role,
            pidm=principal.pidm,
            on_behalf_of=principal.on_behalf_of,
        )


class ActionRequest(BaseModel):
    """The tool call awaiting approval (agent-inbox ``action_request``)."""

    model_config = ConfigDict(frozen=True)

    action: str
    args: dict[str, Any]


class ApprovalRequest(BaseModel):
    """The interrupt payload: what would run, why, who may decide and until when."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["approval_request"] = "approval_request"
    id: str
    action_request: ActionRequest
    description: str = Field(description="Markdown: the action, the model's reasoning, evidence.")
    allowed_responses: list[ResponseType] = Field(default_factory=lambda: list(ALL_RESPONSES))
    approver: Approver
    requested_by: Requester
    subject: dict[str, str | int | None] = Field(
        description="The student and section the action is about (term, crn, student)."
    )
    thread_id: str | None
    created_at: datetime
    expires_at: datetime


def request_id(thread_id: str | None, tool_call_id: str) -> str:
    """A request id that is the same every time the interrupted node re-runs."""
    return hashlib.sha256(f"{thread_id}:{tool_call_id}".encode()).hexdigest()[:24]


def describe(action: str, args: dict[str, Any], reasoning: str | None, evidence: list[str]) -> str:
    """The markdown a person reads before deciding."""
    lines = [f"### `{action}` needs your approval", "", "| argument | value |", "|---|---|"]
    texts = {k: str(v) for k, v in args.items()}
    cells = {k: v.replace("|", "\\|") for k, v in texts.items() if "\n" not in v}
    lines += [f"| {k} | `{v}` |" for k, v in cells.items()]
    for name, text in texts.items():
        if "\n" in text:  # a drafted message: a table cell would break at its first newline
            lines += ["", f"**{name}**", "", "```text", text, "```"]
    if reasoning:
        lines += ["", "**The agent's reasoning**", "", reasoning]
    lines += ["", "**Evidence**", ""] + [f"- {item}" for item in evidence]
    return "\n".join(lines)


class DecidedBy(BaseModel):
    """The person answering, as authenticated by the approvals API."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    actor: str = Field(min_length=1)
    role: Role
    pidm: int | None = None
    department: str | None = Field(None, description="A chair's department, from their token.")


class _Answer(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    request_id: str = Field(min_length=1)
    by: DecidedBy


class Approve(_Answer):
    """Run the action as requested."""

    type: Literal["approve"]


class Edit(_Answer):
    """Run the action with these arguments instead (checked again like the original)."""

    type: Literal["edit"]
    args: dict[str, Any]


class Reject(_Answer):
    """Do not run the action."""

    type: Literal["reject"]
    reason: str = ""


class Comment(_Answer):
    """Do not run the action; hand this text back to the agent."""

    type: Literal["comment"]
    text: str = Field(min_length=1)


ApprovalDecision = Annotated[Approve | Edit | Reject | Comment, Field(discriminator="type")]


class _DecisionRoot(RootModel[ApprovalDecision]):
    """Lets a decision be validated from a plain resume value."""


def parse_decision(value: Any) -> Approve | Edit | Reject | Comment:
    """Validate a resume value; a malformed one raises :class:`ValidationFailed` saying why."""
    try:
        return _DecisionRoot.model_validate(value).root
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'decision'}: {e['msg']}" for e in exc.errors()
        )
        raise ValidationFailed(
            "malformed approval decision (expected type approve|edit|reject|comment with "
            f"request_id and by{{actor, role, pidm}}): {problems}"
        ) from None


APPROVING_ROLE: dict[Approver, Role] = {
    Approver.INSTRUCTOR_OF_RECORD: Role.INSTRUCTOR,
    Approver.STUDENT_ADVISOR: Role.ADVISOR,
    Approver.REGISTRAR: Role.REGISTRAR,
    Approver.DEPARTMENT_CHAIR: Role.CHAIR,
}
"""The one role that decides each kind of request (a person of another role decides none)."""

_ONLY = {
    Approver.REGISTRAR: "only a registrar may approve this action",
    Approver.INSTRUCTOR_OF_RECORD: "only the section's instructor of record may approve this grade",
    Approver.STUDENT_ADVISOR: "only the student's advisor may approve this action",
    Approver.DEPARTMENT_CHAIR: "only the chair of the course's department may approve this",
}


def refusal_of_approver(
    approver: Approver,
    by: DecidedBy,
    requester: Requester,
    subject: Subject,
    directory: Directory,
) -> str | None:
    """None when ``by`` may approve; else why not (separation of duties first)."""
    if by.actor == requester.actor or (
        by.pidm is not None and by.pidm in (requester.pidm, requester.on_behalf_of)
    ):
        return "no one may approve their own request or one made on their behalf"
    if by.pidm is not None and by.pidm == subject.student:
        return "no one may approve an action about their own record"
    if by.role is not APPROVING_ROLE[approver]:
        return _ONLY[approver]
    match approver:
        case Approver.INSTRUCTOR_OF_RECORD:
            if (
                by.pidm is None
                or subject.term is None
                or subject.crn is None
                or not directory.is_primary_instructor(by.pidm, subject.term, subject.crn)
            ):
                return _ONLY[approver]
        case Approver.STUDENT_ADVISOR:
            if (
                by.pidm is None
                or subject.student is None
                or subject.term is None
                or not directory.is_advisor_of(by.pidm, subject.student, subject.term)
            ):
                return _ONLY[approver]
        case Approver.DEPARTMENT_CHAIR:
            if by.department is None or by.department != subject.department:
                return _ONLY[approver]
    return None


def approver_of_role(role: Role) -> Approver | None:
    """The kind of request a person of ``role`` decides, if any."""
    return next((a for a, approving in APPROVING_ROLE.items() if approving is role), None)


@dataclass(frozen=True)
class Reach:
    """The requests a person may decide, as sets a query can filter by before the final check.

    ``approver`` is the one kind of request their role decides. ``subjects`` is None when
    every request of that kind is theirs (a registrar); otherwise it maps each term asked
    about to the students (an advisor's advisees) or the CRNs (an instructor's sections of
    record) they may decide for. The separation-of-duties exclusions come from ``by``. A
    reach is only a narrowing: :func:`refusal_of_approver` still judges each listed request.
    """

    approver: Approver
    by: DecidedBy
    subjects: Mapping[str, frozenset[int] | frozenset[str]] | None = None


@dataclass(frozen=True)
class ReachDirectory:
    """A :class:`Directory` answering from a reach's sets what they hold, the rest from Banner.

    The final :func:`refusal_of_approver` over a listed page then asks Banner nothing per
    request: the advisees or sections of record were read for this listing a moment ago.
    """

    reach: Reach
    directory: Directory

    def _known(self, approver: Approver, pidm: int, term: str) -> frozenset[Any] | None:
        reach = self.reach
        if reach.approver is not approver or reach.by.pidm != pidm or reach.subjects is None:
            return None
        return reach.subjects.get(term)

    def is_advisor_of(self, advisor_pidm: int, student_pidm: int, term: str) -> bool:
        """From the reach's advisees of the term when it holds them."""
        known = self._known(Approver.STUDENT_ADVISOR, advisor_pidm, term)
        if known is None:
            return self.directory.is_advisor_of(advisor_pidm, student_pidm, term)
        return student_pidm in known

    def is_primary_instructor(self, pidm: int, term: str, crn: str) -> bool:
        """From the reach's sections of record of the term when it holds them."""
        known = self._known(Approver.INSTRUCTOR_OF_RECORD, pidm, term)
        if known is None:
            return self.directory.is_primary_instructor(pidm, term, crn)
        return crn in known

    def teaches(self, instructor_pidm: int, term: str, crn: str) -> bool:
        """Banner's answer (a reach holds no assignments)."""
        return self.directory.teaches(instructor_pidm, term, crn)

    def teaches_student(self, instructor_pidm: int, student_pidm: int, term: str) -> bool:
        """Banner's answer (a reach holds no rosters)."""
        return self.directory.teaches_student(instructor_pidm, student_pidm, term)

    def on_roster(self, student_pidm: int, term: str, crn: str) -> bool:
        """Banner's answer (a reach holds no rosters)."""
        return self.directory.on_roster(student_pidm, term, crn)


def reach_of(by: DecidedBy, terms: Iterable[str], directory: ApproverDirectory) -> Reach | None:
    """What ``by`` may decide among requests of ``terms``; None when nothing (another role).

    ``terms`` are those of the waiting requests of ``by``'s kind: the relationships are read
    once per term from Banner, never once per request.
    """
    approver = approver_of_role(by.role)
    if approver is None:
        return None
    if approver in (Approver.REGISTRAR, Approver.DEPARTMENT_CHAIR):
        return Reach(approver, by)  # a chair's department is judged per request, by the rule
    if by.pidm is None:
        return None
    pidm = by.pidm
    subjects: dict[str, frozenset[int] | frozenset[str]] = {
        term: frozenset(directory.advisees(pidm, term))
        if approver is Approver.STUDENT_ADVISOR
        else frozenset(directory.sections_of_record(pidm, term))
        for term in terms
    }
    return Reach(approver, by, subjects)


def expired(created_at: datetime, now: datetime, settings: ApprovalSettings) -> bool:
    """Whether a request answered at ``now`` has outlived its time to live."""
    return now > created_at + settings.ttl
