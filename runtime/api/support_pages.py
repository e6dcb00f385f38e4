"""The support chat's pages: a student's conversation, and the help desk's open cases.

Plain form post-and-answer (no JavaScript needed), under the dashboard's session cookie and
CSRF token: ``/support`` sends a student to ``/dashboard/chat`` (the cookie is scoped to
``/dashboard``); the help desk and the registrar work cases at ``/dashboard/support``, where
the registrar also sees the chat's figures. The pages call the same :class:`ChatService` as the
API, so they can never allow what the API refuses.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from core.errors import BcaError, NotFoundError
from policies.rbac import Principal, Role
from runtime.api.auth import require_roles
from runtime.api.chat import HELPDESK_ROLES, pidm_of
from runtime.api.dashboard import COOKIE_PATH, CheckedForm, _render, signed_in
from runtime.api.services import Deps, Services
from runtime.chat import ChatRateLimited, ChatService, MessageTooLong
from runtime.chat.figures import chat_figures

router = APIRouter(include_in_schema=False)

StudentPerson = Annotated[Principal, Depends(require_roles(Role.STUDENT, source=signed_in))]
HelpDeskPerson = Annotated[Principal, Depends(require_roles(*HELPDESK_ROLES, source=signed_in))]
CHAT_PAGE = f"{COOKIE_PATH}/chat"
DESK_PAGE = f"{COOKIE_PATH}/support"


@router.get("/support")
def support() -> RedirectResponse:
    """The address students are given; the page lives under the dashboard's cookie."""
    return RedirectResponse(CHAT_PAGE, status_code=status.HTTP_303_SEE_OTHER)


# -- the student -------------------------------------------------------------------------------


def _conversation(chat: ChatService, person: Principal, conversation_id: str) -> dict[str, Any]:
    """The template's view of a conversation (none when the id is not the student's)."""
    if not conversation_id:
        return {"transcript": None}
    try:
        return {"transcript": chat.transcript(pidm_of(person), conversation_id)}
    except NotFoundError:
        return {"transcript": None, "error": "That conversation was not found."}


async def _chat_page(
    request: Request,
    deps: Services,
    person: Principal,
    conversation_id: str,
    *,
    error: str | None = None,
    draft: str = "",
    code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    chat = await run_in_threadpool(deps.chat.get)
    view = await run_in_threadpool(_conversation, chat, person, conversation_id)
    view["error"] = error or view.get("error")
    return _render(
        request, deps, person, "chat.html", code, active="chat", draft=draft,
        max_chars=deps.settings.chat_max_chars, **view,
    )  # fmt: skip


@router.get(CHAT_PAGE, response_class=HTMLResponse)
async def chat_page(
    request: Request, deps: Deps, person: StudentPerson, c: str = ""
) -> HTMLResponse:
    """The student's conversation ``c`` (or a new one) and the question form."""
    return await _chat_page(request, deps, person, c)


@router.post(CHAT_PAGE, response_class=HTMLResponse)
async def chat_post(
    request: Request, deps: Deps, person: StudentPerson, form: CheckedForm
) -> Response:
    """Ask, then show the conversation (post/redirect/get); refusals re-render with the draft."""
    conversation_id = form.get("conversation_id", "")
    message = form.get("message", "")
    chat = await run_in_threadpool(deps.chat.get)
    try:
        reply = await run_in_threadpool(
            lambda: chat.ask(pidm_of(person), message, conversation_id or None, term=person.term)
        )
    except MessageTooLong as exc:
        return await _chat_page(
            request, deps, person, conversation_id, error=str(exc), draft=message, code=413
        )
    except ChatRateLimited as exc:
        page = await _chat_page(
            request, deps, person, conversation_id, error=str(exc), draft=message, code=429
        )
        page.headers["Retry-After"] = str(exc.retry_after)
        return page
    except NotFoundError:
        return await _chat_page(
            request, deps, person, "", error="That conversation was not found.", code=404
        )
    except BcaError as exc:  # empty message, closed conversation
        return await _chat_page(
            request, deps, person, conversation_id, error=str(exc), draft=message, code=422
        )
    return RedirectResponse(
        f"{CHAT_PAGE}?c={reply.conversation_id}#latest", status_code=status.HTTP_303_SEE_OTHER
    )


@router.post(CHAT_PAGE + "/{conversation_id}/close")
async def chat_close(
    deps: Deps, person: StudentPerson, conversation_id: str, _form: CheckedForm
) -> RedirectResponse:
    """End the conversation; back to an empty form."""
    chat = await run_in_threadpool(deps.chat.get)
    await run_in_threadpool(chat.close, pidm_of(person), conversation_id)
    return RedirectResponse(f"{CHAT_PAGE}?closed=1", status_code=status.HTTP_303_SEE_OTHER)


# -- the help desk -----------------------------------------------------------------------------


async def _desk_page(
    request: Request,
    deps: Services,
    person: Principal,
    *,
    error: str | None = None,
    code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    chat = await run_in_threadpool(deps.chat.get)
    cases = await run_in_threadpool(chat.open_cases)
    figures = (
        await run_in_threadpool(chat_figures, deps.app_engine)
        if person.role is Role.REGISTRAR
        else None
    )
    return _render(
        request, deps, person, "support_desk.html", code, active="support", cases=cases,
        figures=figures, error=error, answered=request.query_params.get("answered"),
    )  # fmt: skip


@router.get(DESK_PAGE, response_class=HTMLResponse)
async def desk_page(request: Request, deps: Deps, person: HelpDeskPerson) -> HTMLResponse:
    """Open cases with their redacted transcripts and an answer form; figures for the registrar."""
    return await _desk_page(request, deps, person)


@router.post(DESK_PAGE + "/cases/{case_id}/answer", response_class=HTMLResponse)
async def desk_answer(
    request: Request, deps: Deps, person: HelpDeskPerson, case_id: str, form: CheckedForm
) -> Response:
    """Answer a case; errors re-render the desk saying why."""
    chat = await run_in_threadpool(deps.chat.get)
    try:
        await run_in_threadpool(chat.answer_case, person, case_id, form.get("text", ""))
    except NotFoundError:
        return await _desk_page(request, deps, person, error=f"No case {case_id}.", code=404)
    except BcaError as exc:
        return await _desk_page(request, deps, person, error=str(exc), code=422)
    return RedirectResponse(
        f"{DESK_PAGE}?answered={case_id}", status_code=status.HTTP_303_SEE_OTHER
    )
