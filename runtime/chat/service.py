"""One student message in, one answer out: the chat service around the support agent.

:class:`ChatService` owns what the agent must not: the caller's identity (a PIDM from the token,
never from the message), which conversation is theirs, the rate limit, the redacted transcript,
the case a hand-off opens and its reference in the answer, the audit records, and an honest
answer when the agent fails. The agent is anything with :class:`ChatAgent`'s ``answer``.

The rate limit counts the student's own stored messages of the last minute, so it holds across
every API process and restart with no state of its own; the student's line is stored before the
agent is asked, so parallel requests count each other and a failed turn keeps the question.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from agents.support.models import Citation, Handoff, TurnResult
from agents.toolbox import ToolContext
from core.clock import utcnow
from core.errors import BcaError, ServiceUnavailable, ValidationFailed
from policies.audit import AuditEvent, AuditLog
from policies.guard import Redactor
from policies.pii import PseudonymVault
from policies.rbac import Principal, Role
from runtime.chat.cases import Case, CaseDesk
from runtime.chat.conversations import ConversationStore, StoredMessage
from runtime.inbox import InvalidTransition
from runtime.vaults import VaultStore

log = logging.getLogger(__name__)

RATE_WINDOW = timedelta(minutes=1)
COULD_NOT_ANSWER = (
    "I could not answer that right now. I have passed your question to the help desk, "
    "and a person will reply here."
)
TOOL_ERROR_DETAIL = "The assistant failed while answering; a person should answer the question."


class ChatAgent(Protocol):
    """What the service needs of the support agent (``agents.support.agent.SupportAgent``)."""

    def answer(self, ctx: ToolContext, *, message: str, thread_id: str) -> TurnResult:
        """Answer one student message in the conversation's thread."""
        ...


ContextFactory = Callable[[Principal, PseudonymVault], ToolContext]
"""Builds a turn's tool context for the agent's principal and the conversation's vault."""


class MessageTooLong(BcaError):
    """A message over ``BCA_CHAT_MAX_CHARS``."""

    def __init__(self, limit: int, length: int) -> None:
        self.limit = limit
        super().__init__(f"the message has {length} characters; the limit is {limit}")


class ChatRateLimited(BcaError):
    """More than ``BCA_CHAT_RATE_PER_MINUTE`` messages in a minute from one student."""

    def __init__(self, limit: int, retry_after: int) -> None:
        self.limit = limit
        self.retry_after = retry_after
        super().__init__(f"more than {limit} messages a minute; try again in {retry_after} seconds")


class CaseRef(BaseModel):
    """The hand-off a reply announces."""

    model_config = ConfigDict(frozen=True)

    case_id: str
    reason: str


class StaffAnswer(BaseModel):
    """A help-desk answer the student has not been shown in a reply yet."""

    model_config = ConfigDict(frozen=True)

    text: str
    at: datetime


class ChatReply(BaseModel):
    """What the API, the page and the CLI return for one message."""

    conversation_id: str
    answer: str
    citations: list[Citation]
    tools_used: list[str]
    handoff: CaseRef | None
    staff_answers: list[StaffAnswer] = []


class Transcript(BaseModel):
    """A conversation as its owner sees it (their own data re-identified)."""

    conversation_id: str
    closed: bool
    handed_off: bool
    messages: list[StoredMessage]
    cases: list[CaseRef]


class CaseView(BaseModel):
    """A case with its redacted transcript, for the help desk."""

    case: Case
    messages: list[StoredMessage]


def thread_of(student_pidm: int, conversation_id: str) -> str:
    """The agent's checkpointer thread (and the vault's key) of a conversation."""
    return f"support:{student_pidm}:{conversation_id}"


@dataclass
class ChatService:
    """Conversations, cases and audit around one :class:`ChatAgent`."""

    agent: ChatAgent
    conversations: ConversationStore
    cases: CaseDesk
    audit: AuditLog
    vaults: VaultStore
    redactor: Redactor
    context: ContextFactory
    current_term: Callable[[], str | None]
    max_chars: int = 4000
    rate_per_minute: int = 10
    on_close: Callable[[], None] = field(default=lambda: None)
    switched_off: Callable[[], bool] = field(default=lambda: False)
    """Whether the rollout controls switched the chatbot off; asked at every message."""

    # -- the student -----------------------------------------------------------------------

    def ask(
        self,
        student_pidm: int,
        message: str,
        conversation_id: str | None = None,
        *,
        term: str | None = None,
    ) -> ChatReply:
        """Answer ``message`` in the student's conversation (a new one when None)."""
        if self.switched_off():
            raise ServiceUnavailable(
                "the support assistant is unavailable right now; please contact the help desk"
            )
        text = self.checked(message)
        self._within_rate(student_pidm)
        if conversation_id is None:
            conversation_id = self.conversations.start(student_pidm)
        elif self.conversations.owned(student_pidm, conversation_id).closed:
            raise InvalidTransition("that conversation is closed; start a new one")
        thread = thread_of(student_pidm, conversation_id)
        since = self.conversations.last_seq(conversation_id, "student")
        with self.vaults.kept(thread) as vault:
            self.conversations.append(
                conversation_id, "student", self.redactor.redact_text(text, vault).text
            )
            principal = Principal(
                actor="agent:support",
                role=Role.SUPPORT,
                on_behalf_of=student_pidm,
                term=term or self.current_term(),
            )
            started = time.perf_counter()
            turn, failure = self._turn(self.context(principal, vault), text, thread)
            latency_ms = (time.perf_counter() - started) * 1000
            case = (
                self.cases.open(conversation_id, student_pidm, turn.handoff)
                if turn.handoff
                else None
            )
            reference = f"\n\nYour reference is {case.case_id}." if case else ""
            stored = _assistant_line(turn) or self.redactor.redact_text(turn.answer, vault).text
            self.conversations.append(
                conversation_id,
                "assistant",
                stored + reference,
                citations=turn.citations,
                tools_used=turn.tools_used,
                mode=turn.mode,
                tokens=turn.tokens,
                latency_ms=latency_ms,
                handed_off=case is not None,
            )
            staff = [
                StaffAnswer(text=vault.reidentify(m.text), at=m.at)
                for m in self.conversations.messages(conversation_id, after=since)
                if m.role == "staff"
            ]
        self._audit_turn(student_pidm, thread, conversation_id, turn, case, failure, latency_ms)
        return ChatReply(
            conversation_id=conversation_id,
            answer=turn.answer + reference,
            citations=turn.citations,
            tools_used=turn.tools_used,
            handoff=CaseRef(case_id=case.case_id, reason=case.reason) if case else None,
            staff_answers=staff,
        )

    def checked(self, message: str) -> str:
        """The message without surrounding blanks; refused when empty or over the limit."""
        text = message.strip()
        if not text:
            raise ValidationFailed("the message is empty")
        if len(text) > self.max_chars:
            raise MessageTooLong(self.max_chars, len(text))
        return text

    def transcript(self, student_pidm: int, conversation_id: str) -> Transcript:
        """The student's own conversation, staff answers included, their data re-identified."""
        conversation = self.conversations.owned(student_pidm, conversation_id)
        vault = self.vaults.load(thread_of(student_pidm, conversation_id))
        messages = [
            m.model_copy(update={"text": vault.reidentify(m.text)})
            for m in self.conversations.messages(conversation_id)
        ]
        return Transcript(
            conversation_id=conversation_id,
            closed=conversation.closed,
            handed_off=conversation.handed_off,
            messages=messages,
            cases=[
                CaseRef(case_id=c.case_id, reason=c.reason)
                for c in self.cases.of_conversation(conversation_id)
            ],
        )

    def close(self, student_pidm: int, conversation_id: str) -> None:
        """The student ends their conversation; its cases close with it."""
        self.conversations.owned(student_pidm, conversation_id)
        self.conversations.close(conversation_id)
        self.cases.close_conversation(conversation_id)

    # -- the help desk ---------------------------------------------------------------------

    def open_cases(self) -> list[CaseView]:
        """Open cases, oldest first, each with its redacted transcript."""
        return [
            CaseView(case=case, messages=self.conversations.messages(case.conversation_id))
            for case in self.cases.listed(("open",))
        ]

    def answer_case(self, staff: Principal, case_id: str, text: str) -> Case:
        """A person's answer: kept redacted on the case and as a staff line of the conversation."""
        answer = self.checked(text)
        case = self.cases.get(case_id)
        thread = thread_of(case.student_pidm, case.conversation_id)
        with self.vaults.kept(thread) as vault:
            redacted = self.redactor.redact_text(answer, vault).text
        answered = self.cases.answer(case_id, staff.actor, redacted)
        self.conversations.append(case.conversation_id, "staff", redacted)
        self.audit.append(
            AuditEvent(
                actor=staff.actor,
                role=staff.role.value,
                tool="support_case_answer",
                arguments={"case_id": case_id, "conversation_id": case.conversation_id},
                decision="allow",
                outcome=f"answered {case_id}",
                on_behalf_of=str(case.student_pidm),
                thread_id=thread,
            )
        )
        return answered

    def close_resources(self) -> None:
        """Release what the factory opened for the agent (engines, the Canvas session)."""
        self.on_close()

    # -- inside a turn ---------------------------------------------------------------------

    def _within_rate(self, student_pidm: int) -> None:
        now = utcnow()
        sent = self.conversations.student_messages_since(student_pidm, now - RATE_WINDOW)
        if len(sent) >= self.rate_per_minute:
            wait = (sent[-self.rate_per_minute] + RATE_WINDOW - now).total_seconds()
            raise ChatRateLimited(self.rate_per_minute, max(1, math.ceil(wait)))

    def _turn(self, ctx: ToolContext, text: str, thread: str) -> tuple[TurnResult, str | None]:
        """The agent's turn, or the honest fallback and the failure's kind."""
        try:
            return self.agent.answer(ctx, message=text, thread_id=thread), None
        except Exception as exc:
            # The exception's text may quote the student's data: log and audit its kind only.
            log.warning("support agent failed in %s: %s", thread, type(exc).__name__)
            fallback = TurnResult(
                answer=COULD_NOT_ANSWER,
                handoff=Handoff(reason="tool_error", detail=TOOL_ERROR_DETAIL),
                mode="template",
            )
            return fallback, type(exc).__name__

    def _audit_turn(
        self,
        student_pidm: int,
        thread: str,
        conversation_id: str,
        turn: TurnResult,
        case: Case | None,
        failure: str | None,
        latency_ms: float,
    ) -> None:
        actor, role = f"student:{student_pidm}", Role.STUDENT.value
        outcome = "answered" if case is None else f"handed off as {case.case_id} ({case.reason})"
        if failure:
            outcome = f"agent failed ({failure}); {outcome}"
        self.audit.append(
            AuditEvent(
                actor=actor,
                role=role,
                tool="support_chat_turn",
                arguments={
                    "conversation_id": conversation_id,
                    "mode": turn.mode,
                    "tokens": turn.tokens,
                    "tools_used": turn.tools_used,
                    "citations": [c.chunk_id for c in turn.citations],
                },
                decision="allow",
                outcome=outcome,
                latency_ms=latency_ms,
                on_behalf_of=str(student_pidm),
                thread_id=thread,
            )
        )
        if case is not None:
            self.audit.append(
                AuditEvent(
                    actor=actor,
                    role=role,
                    tool="support_case_open",
                    arguments={"case_id": case.case_id, "reason": case.reason},
                    decision="allow",
                    outcome=f"opened {case.case_id}",
                    on_behalf_of=str(student_pidm),
                    thread_id=thread,
                )
            )


def _assistant_line(turn: TurnResult) -> str | None:
    """The agent's own redacted assistant line(s) of the turn, if it gave any."""
    lines = [line.text for line in turn.transcript if line.role == "assistant"]
    return "\n\n".join(lines) if lines else None
