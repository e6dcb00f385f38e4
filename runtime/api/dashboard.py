"""``/dashboard``: the pages people use to decide approvals and watch the system.

Server-rendered (Jinja2) plain HTML forms, so every page works without JavaScript and with a
keyboard. Sign-in takes a token (``bca token`` prints one; an OIDC deployment pastes its own),
verifies it like the API does and keeps it in an HttpOnly, ``SameSite=Strict`` cookie scoped to
``/dashboard``. Every form post carries a CSRF token derived from the session (HMAC of the
token), so a page from elsewhere cannot post in the person's name even if the browser sent the
cookie; the sign-in form uses a double-submit cookie for the same reason.

The pages reuse the API's pieces (the approval desk, the event list, the audit tail), so the
dashboard can never allow what the API refuses.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from markdown_it import MarkdownIt
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool

from core.errors import BcaError, NotFoundError
from core.settings import Settings
from policies.approvals import ApprovalRequest
from policies.rbac import Principal, Role
from runtime.api.approvals import DecisionBody, detail_of
from runtime.api.audit import latest, verification
from runtime.api.auth import (
    APPROVER_ROLES,
    EXCEPTION_ROLES,
    OPERATOR_ROLES,
    RESOLVER_ROLES,
    InvalidToken,
    TokenVerifier,
    local_secret,
    require_roles,
    verifier,
)
from runtime.api.events import list_page
from runtime.api.queue import DEFAULT_PAGE, OutOfScope, RequestExpired
from runtime.api.services import Deps, Services
from runtime.inbox import Status
from runtime.ledger import ExceptionRow, RunLedger
from runtime.section_rerun import ACCOUNT_KINDS, can_rerun, rerun_section
from tools.banner import reads
from tools.banner.errors import PersonNotFound

SESSION_COOKIE = "bca_session"
LOGIN_CSRF_COOKIE = "bca_login_csrf"
COOKIE_PATH = "/dashboard"
ARG_PREFIX = "arg:"
QUEUE_PAGE = DEFAULT_PAGE
"""Cards on the approvals page: the oldest this many; decided ones make room for the next."""

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)
templates = Jinja2Templates(directory=Path(__file__).with_name("templates"))
_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")
templates.env.filters["markdown"] = lambda text: Markup(_markdown.render(text or ""))


class SignInRequired(HTTPException):
    """No valid session: send the browser to the sign-in page."""

    def __init__(self) -> None:
        super().__init__(status.HTTP_303_SEE_OTHER, headers={"Location": f"{COOKIE_PATH}/sign-in"})


def csrf_token(deps: Services, session: str) -> str:
    """The per-session form token: an HMAC of the session token under the local key."""
    key = local_secret(deps.settings).encode()
    return hmac.new(key, session.encode(), hashlib.sha256).hexdigest()


async def signed_in(
    request: Request, checker: Annotated[TokenVerifier, Depends(verifier)]
) -> Principal:
    """The person of the session cookie; otherwise a redirect to sign in."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise SignInRequired
    try:
        return await run_in_threadpool(checker.verify, token)
    except InvalidToken:
        raise SignInRequired from None


Person = Annotated[Principal, Depends(signed_in)]
ApproverPerson = Annotated[Principal, Depends(require_roles(*APPROVER_ROLES, source=signed_in))]
OperatorPerson = Annotated[Principal, Depends(require_roles(*OPERATOR_ROLES, source=signed_in))]
ExceptionsPerson = Annotated[Principal, Depends(require_roles(*EXCEPTION_ROLES, source=signed_in))]
ResolverPerson = Annotated[Principal, Depends(require_roles(*RESOLVER_ROLES, source=signed_in))]


async def checked_form(request: Request, deps: Deps, person: Person) -> dict[str, str]:
    """The posted form, after its CSRF token was found to match the session."""
    form = await request.form()
    sent = str(form.get("csrf", ""))
    expected = csrf_token(deps, request.cookies.get(SESSION_COOKIE, ""))
    if not hmac.compare_digest(sent, expected):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "the form expired; reload the page")
    return {k: str(v) for k, v in form.items()}


CheckedForm = Annotated[dict[str, str], Depends(checked_form)]


def display_name(engine: Engine, pidm: int | None) -> str | None:
    """A person's current name from SPRIDEN, or None when Banner cannot say."""
    if pidm is None:
        return None
    try:
        person = reads.person_by_pidm(engine, pidm)
    except (PersonNotFound, SQLAlchemyError):
        return None
    return " ".join(p for p in (person.first_name, person.last_name) if p)


def _render(
    request: Request,
    deps: Services,
    person: Principal,
    template: str,
    code: int = status.HTTP_200_OK,
    **context: Any,
) -> HTMLResponse:
    session = request.cookies.get(SESSION_COOKIE, "")
    return templates.TemplateResponse(
        request,
        template,
        {
            "person": person,
            "person_name": display_name(deps.banner_engine, person.pidm) or person.actor,
            "csrf": csrf_token(deps, session),
            "is_approver": person.role in APPROVER_ROLES,
            "is_operator": person.role in OPERATOR_ROLES,
            "sees_exceptions": person.role in EXCEPTION_ROLES,
            **context,
        },
        status_code=code,
    )


# -- sign in / out ---------------------------------------------------------------------------


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request) -> HTMLResponse:
    """The token form, with a fresh double-submit CSRF cookie."""
    nonce = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(request, "sign_in.html", {"csrf": nonce, "error": None})
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, nonce, max_age=1800)
    return response


@router.post("/sign-in", response_class=HTMLResponse)
async def sign_in(
    request: Request,
    checker: Annotated[TokenVerifier, Depends(verifier)],
    token: Annotated[str, Form(max_length=8192)],
    csrf: Annotated[str, Form(max_length=100)],
) -> Response:
    """Check the token like the API would and keep it as the session."""
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf, expected):
        return _sign_in_error(request, "The form expired; try again.")
    token = token.strip()
    try:
        await run_in_threadpool(checker.verify, token)
    except InvalidToken as exc:
        return _sign_in_error(request, f"That token was not accepted: {exc}.")
    response = RedirectResponse(COOKIE_PATH, status_code=status.HTTP_303_SEE_OTHER)
    _set_cookie(
        request, response, SESSION_COOKIE, token, max_age=_settings(request).session_max_age_s
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path=COOKIE_PATH)
    return response


def _sign_in_error(request: Request, message: str) -> HTMLResponse:
    nonce = secrets.token_urlsafe(24)
    response = templates.TemplateResponse(
        request,
        "sign_in.html",
        {"csrf": nonce, "error": message},
        status_code=status.HTTP_401_UNAUTHORIZED,
    )
    _set_cookie(request, response, LOGIN_CSRF_COOKIE, nonce, max_age=1800)
    return response


def _set_cookie(
    request: Request, response: Response, name: str, value: str, *, max_age: int | None
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=COOKIE_PATH,
        httponly=True,
        samesite="strict",
        secure=_cookie_secure(request),
    )


def _cookie_secure(request: Request) -> bool:
    """``BCA_SESSION_COOKIE_SECURE``, else whether the browser spoke https (to us or the proxy).

    Trusting the forwarded scheme can only add ``Secure``, never take it away.
    """
    configured = _settings(request).session_cookie_secure
    if configured is not None:
        return configured
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return (forwarded or request.url.scheme) == "https"


def _settings(request: Request) -> Settings:
    checker: TokenVerifier = request.app.state.verifier
    return checker.settings


@router.post("/sign-out")
def sign_out(_form: CheckedForm) -> RedirectResponse:
    """Forget the session."""
    response = RedirectResponse(f"{COOKIE_PATH}/sign-in", status_code=status.HTTP_303_SEE_OTHER)
    response.delete_cookie(SESSION_COOKIE, path=COOKIE_PATH)
    return response


# -- approvals -------------------------------------------------------------------------------


@router.get("", response_class=HTMLResponse)
async def home(request: Request, deps: Deps, person: Person) -> Response:
    """Where each person lands: their approvals, the chat, the help desk or the events."""
    landing = {
        Role.STUDENT: "chat",
        Role.HELPDESK: "support",
        Role.CHAIR: "analytics",
        Role.RESEARCH: "analytics",
        Role.LMS_ADMIN: "exceptions",
    }.get(person.role)
    if landing:
        return RedirectResponse(f"{COOKIE_PATH}/{landing}", status_code=status.HTTP_303_SEE_OTHER)
    if person.role not in APPROVER_ROLES:
        return RedirectResponse(f"{COOKIE_PATH}/events", status_code=status.HTTP_303_SEE_OTHER)
    return await _queue(request, deps, person)


def _cards(deps: Services, person: Principal) -> tuple[list[dict[str, Any]], bool]:
    """The oldest page of requests the person may decide, and whether more wait after it.

    Each card holds the request's detail and the student's name; one page of
    :data:`QUEUE_PAGE`, so a busy approver's queue renders in bounded time.
    """
    cards = []
    page = deps.desk.page(person, limit=QUEUE_PAGE)
    for pending in page.items:
        request = pending.request
        student = request.subject.get("student")
        cards.append(
            {
                "detail": detail_of(deps, request),
                "student_name": display_name(
                    deps.banner_engine, int(student) if student is not None else None
                ),
                "fields": _fields(request),
            }
        )
    return cards, page.next is not None


def _fields(request: ApprovalRequest) -> list[dict[str, Any]]:
    """Edit-form fields: scalars are editable (long text as a text area), others read-only."""
    fields = []
    for name, value in request.action_request.args.items():
        scalar = isinstance(value, str | int | float | bool) or value is None
        text = "" if value is None else str(value)
        fields.append(
            {
                "name": name,
                "value": text,
                "editable": scalar,
                "long": isinstance(value, str) and (len(value) > 60 or "\n" in value),
            }
        )
    return fields


async def _queue(
    request: Request,
    deps: Services,
    person: Principal,
    *,
    error: str | None = None,
    code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    cards, more = await run_in_threadpool(_cards, deps, person)
    done = request.query_params.get("done")
    return _render(
        request, deps, person, "queue.html", code, cards=cards, more=more, error=error, done=done
    )


def _coerce(original: Any, text: str) -> Any:
    """A form value back to the type of the argument it edits (the guard re-validates it)."""
    if isinstance(original, bool):
        return text.lower() in ("true", "on", "yes", "1")
    for kind in (int, float):
        if isinstance(original, kind):
            try:
                return kind(text)
            except ValueError:
                return text  # the guard's schema check names the field
    return None if original is None and not text else text


def _edited_args(request: ApprovalRequest, form: dict[str, str]) -> dict[str, Any]:
    """The request's arguments with the form's edits applied to the editable ones."""
    args = dict(request.action_request.args)
    for name, original in args.items():
        key = ARG_PREFIX + name
        if key in form:
            args[name] = _coerce(original, form[key])
    return args


@router.post("/approvals/{request_id}", response_class=HTMLResponse)
async def decide(
    request: Request, deps: Deps, person: ApproverPerson, request_id: str, form: CheckedForm
) -> Response:
    """Approve, edit or reject from the queue; errors re-render the queue saying why."""
    try:
        pending = await run_in_threadpool(deps.desk.visible, person, request_id)
        response = form.get("type", "")
        body = DecisionBody.model_validate(
            {
                "type": response,
                "args": _edited_args(pending, form) if response == "edit" else None,
                "comment": form.get("comment") or None,
            }
        )
        await run_in_threadpool(
            lambda: deps.desk.decide(
                person, request_id, body.type, args=body.args, comment=body.comment
            )
        )
    except ValidationError as exc:
        message = "; ".join(str(e["msg"]).removeprefix("Value error, ") for e in exc.errors())
        return await _queue(request, deps, person, error=message, code=422)
    except OutOfScope as exc:
        # The desk audited the refusal when the answer was posted; a view is only refused.
        return await _queue(request, deps, person, error=f"Not yours to decide: {exc}", code=403)
    except NotFoundError:
        return await _queue(
            request, deps, person, error="That request is no longer waiting.", code=404
        )
    except RequestExpired as exc:
        return await _queue(request, deps, person, error=str(exc), code=409)
    except BcaError as exc:  # a malformed or refused answer: the graph stays paused
        return await _queue(request, deps, person, error=str(exc), code=422)
    return RedirectResponse(
        f"{COOKIE_PATH}?done={body.type}", status_code=status.HTTP_303_SEE_OTHER
    )


# -- operators: exceptions, events, audit ------------------------------------------------------


@router.get("/exceptions", response_class=HTMLResponse)
async def exceptions(request: Request, deps: Deps, person: ExceptionsPerson) -> HTMLResponse:
    """Person exceptions the agents raised, then (for operators) failed and dead events."""
    resolved = request.query_params.get("resolved") == "1"
    notice = "Resolved: the section re-ran and nothing stops that person any more."
    return await _exceptions(request, deps, person, notice=notice if resolved else None)


def _people(deps: Services, person: Principal) -> list[ExceptionRow]:
    """The latest exceptions; an LMS admin's are the account ones, what Canvas people fix."""
    found = RunLedger(deps.app_engine).exceptions(200)
    if person.role is Role.LMS_ADMIN:
        return [x for x in found if x.kind.startswith(ACCOUNT_KINDS)]
    return found


async def _exceptions(
    request: Request,
    deps: Services,
    person: Principal,
    *,
    notice: str | None = None,
    error: str | None = None,
    code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    page = None
    if person.role in OPERATOR_ROLES:  # the replay forms are theirs too
        unresolved: list[Status] = ["failed", "dead"]
        page = await run_in_threadpool(list_page, deps, unresolved, None, None, None, 200, 0)
    people = await run_in_threadpool(_people, deps, person)
    return _render(
        request,
        deps,
        person,
        "exceptions.html",
        code,
        page=page,
        people=people,
        can_resolve=person.role in RESOLVER_ROLES,
        can_rerun=can_rerun,
        notice=notice,
        error=error,
    )


@router.post("/exceptions/resolve", response_class=HTMLResponse)
async def resolve_exception(
    request: Request, deps: Deps, person: ResolverPerson, form: CheckedForm
) -> Response:
    """Re-run the exception's section through the agents; resolved if the person's problem is gone.

    Otherwise it stays open and the page says the fresh reason (409).
    """
    ledger = RunLedger(deps.app_engine)
    seq = form.get("seq", "")
    found = (
        await run_in_threadpool(ledger.exception, form.get("thread", ""), int(seq))
        if seq.isdigit()
        else None
    )
    if found is None or found.resolved_at is not None:
        message = "That exception is no longer open."
        return await _exceptions(request, deps, person, error=message, code=404)
    if not can_rerun(found):
        message = f"A {found.kind} exception is not settled by re-running a section."
        return await _exceptions(request, deps, person, error=message, code=422)
    if deps.agents is None:
        message = "The agents are not running in this deployment: nothing can re-run."
        return await _exceptions(request, deps, person, error=message, code=503)
    rerun = await run_in_threadpool(rerun_section, deps.agents, ledger, deps.audit, found, person)
    if rerun.resolved:
        return RedirectResponse(
            f"{COOKIE_PATH}/exceptions?resolved=1", status_code=status.HTTP_303_SEE_OTHER
        )
    reason = rerun.fresh.detail if rerun.fresh else f"it has not finished: {rerun.outcome_detail}"
    message = f"Still open after section {found.term}/{found.crn} re-ran: {reason}"
    return await _exceptions(request, deps, person, error=message, code=409)


@router.get("/events", response_class=HTMLResponse)
async def event_monitor(
    request: Request, deps: Deps, person: OperatorPerson, status_filter: Status | None = None
) -> HTMLResponse:
    """Counts by status and the latest events, optionally of one status."""
    chosen: list[Status] = [status_filter] if status_filter else []
    page = await run_in_threadpool(list_page, deps, chosen, None, None, None, 100, 0)
    return _render(
        request,
        deps,
        person,
        "events.html",
        page=page,
        status_filter=status_filter,
        replayed=request.query_params.get("replayed"),
    )


@router.post("/events/{event_id}/replay")
async def replay(
    deps: Deps, _person: OperatorPerson, event_id: str, _form: CheckedForm
) -> RedirectResponse:
    """Queue a failed, dead or done event again, then back to the monitor."""
    queued = await run_in_threadpool(deps.inbox.replay, event_id, reparse=deps.reparse)
    return RedirectResponse(
        f"{COOKIE_PATH}/events?replayed={queued}", status_code=status.HTTP_303_SEE_OTHER
    )


@router.get("/audit", response_class=HTMLResponse)
async def audit_view(request: Request, deps: Deps, person: OperatorPerson) -> HTMLResponse:
    """The chain's state and its latest records."""
    records = await run_in_threadpool(latest, deps, 200)
    check = await run_in_threadpool(verification, deps)
    return _render(
        request, deps, person, "audit.html", records=list(reversed(records)), check=check
    )
