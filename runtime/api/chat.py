"""``/api/chat`` (students) and ``/api/support/cases`` (the help desk) over the chat service.

The student is the token's subject: a conversation id in the body only chooses among the
caller's own conversations, and another student's id is the same 404 as an unknown one. Limits
answer with their own status: an empty message 422, one over ``BCA_CHAT_MAX_CHARS`` 413, more
than ``BCA_CHAT_RATE_PER_MINUTE`` a minute 429 with ``Retry-After``.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from policies.rbac import Principal, Role
from runtime.api.auth import require_roles
from runtime.api.services import Deps
from runtime.chat import ChatRateLimited, ChatReply, ChatService, MessageTooLong
from runtime.chat.cases import Case
from runtime.chat.service import CaseView, Transcript

router = APIRouter(tags=["chat"])

HELPDESK_ROLES = (Role.HELPDESK, Role.REGISTRAR)
"""Who reads and answers hand-off cases."""

Student = Annotated[Principal, Depends(require_roles(Role.STUDENT))]
HelpDesk = Annotated[Principal, Depends(require_roles(*HELPDESK_ROLES))]


class ChatBody(BaseModel):
    """One student message; ``conversation_id`` null starts a new conversation."""

    model_config = ConfigDict(extra="forbid")

    message: str = Field(min_length=1, description="The question; blank is refused (422).")
    conversation_id: str | None = Field(None, max_length=36)


class AnswerBody(BaseModel):
    """A help-desk answer to a case."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=1)


def pidm_of(principal: Principal) -> int:
    """A student principal's PIDM (the token layer guarantees one)."""
    assert principal.pidm is not None
    return principal.pidm


async def chat_service(deps: Deps) -> ChatService:
    """The deployment's chat service (built on first use)."""
    return await run_in_threadpool(deps.chat.get)


Chat = Annotated[ChatService, Depends(chat_service)]


async def too_long(_request: Request, exc: Exception) -> JSONResponse:
    """413 naming the limit."""
    assert isinstance(exc, MessageTooLong)
    return JSONResponse(
        {"detail": str(exc), "limit": exc.limit},
        status_code=status.HTTP_413_CONTENT_TOO_LARGE,
    )


async def rate_limited(_request: Request, exc: Exception) -> JSONResponse:
    """429 with ``Retry-After`` in seconds."""
    assert isinstance(exc, ChatRateLimited)
    return JSONResponse(
        {"detail": str(exc), "limit": exc.limit},
        status_code=status.HTTP_429_TOO_MANY_REQUESTS,
        headers={"Retry-After": str(exc.retry_after)},
    )


@router.post(
    "/api/chat",
    summary="Ask the support assistant",
    responses={404: {}, 413: {}, 422: {}, 429: {}},
)
async def ask(body: ChatBody, student: Student, chat: Chat) -> ChatReply:
    """Answer one message in the caller's conversation; a hand-off opens a case."""
    return await run_in_threadpool(
        chat.ask, pidm_of(student), body.message, body.conversation_id, term=student.term
    )


@router.get("/api/chat/{conversation_id}", summary="The caller's conversation")
async def transcript(conversation_id: str, student: Student, chat: Chat) -> Transcript:
    """The caller's own transcript, help-desk answers included."""
    return await run_in_threadpool(chat.transcript, pidm_of(student), conversation_id)


@router.post(
    "/api/chat/{conversation_id}/close",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="End the caller's conversation",
)
async def close(conversation_id: str, student: Student, chat: Chat) -> Response:
    """The student is done; the conversation and its cases close."""
    await run_in_threadpool(chat.close, pidm_of(student), conversation_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/api/support/cases", summary="Open hand-off cases")
async def open_cases(_staff: HelpDesk, chat: Chat) -> list[CaseView]:
    """Open cases, oldest first, with their redacted transcripts."""
    return await run_in_threadpool(chat.open_cases)


@router.post("/api/support/cases/{case_id}/answer", summary="Answer a case")
async def answer_case(case_id: str, body: AnswerBody, staff: HelpDesk, chat: Chat) -> Case:
    """Answer an open case; the student sees the answer in their conversation."""
    return await run_in_threadpool(chat.answer_case, staff, case_id, body.text)
