"""``/api/approvals``: what the caller may decide, the details, and their decision.

Routes are thin: the :class:`~runtime.api.queue.ApprovalDesk` filters by scope, audits refusals
and hands answers to the paused graph; errors map to HTTP in ``app.py`` (403 out of scope, 404
nothing waiting, 409 expired, 422 malformed).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Self

from fastapi import APIRouter, Body, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from starlette.concurrency import run_in_threadpool

from agents.toolbox.contracts import Contract
from core.errors import NotFoundError
from policies.approvals import ApprovalRequest, Approver
from policies.rbac import Principal
from runtime.api.auth import Approver as ApproverCaller
from runtime.api.queue import DEFAULT_PAGE, MAX_PAGE, ApprovalDesk, ResponseType
from runtime.api.services import Deps

router = APIRouter(prefix="/api/approvals", tags=["approvals"])

RequestId = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9a-f]+$")]


class ApprovalSummary(BaseModel):
    """One waiting request, as listed."""

    id: str
    action: str
    approver: Approver
    subject: dict[str, str | int | None]
    requested_by: str
    created_at: datetime
    expires_at: datetime
    expired: bool
    allowed_responses: list[ResponseType]

    @classmethod
    def of(cls, request: ApprovalRequest, desk: ApprovalDesk) -> ApprovalSummary:
        """The listing fields of a request."""
        return cls(
            id=request.id,
            action=request.action_request.action,
            approver=request.approver,
            subject=request.subject,
            requested_by=request.requested_by.actor,
            created_at=request.created_at,
            expires_at=request.expires_at,
            expired=desk.expired(request),
            allowed_responses=request.allowed_responses,
        )


class ApprovalDetail(BaseModel):
    """A request in full: what would run, why the agent asked, and the evidence."""

    request: ApprovalRequest
    reasoning: str | None = Field(description="The agent's reasoning, redacted.")
    evidence: dict[str, Any] | None = Field(
        description="The arguments as recorded in the audit trail (redacted)."
    )
    expired: bool


class DecisionBody(BaseModel):
    """A person's answer: approve, edit (with the new arguments), reject or comment."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"type": "approve"},
                {"type": "edit", "args": {"body": "Hello, ..."}},
                {"type": "reject", "comment": "Wait for the late lab."},
            ]
        },
    )

    type: ResponseType
    args: dict[str, Any] | None = Field(None, description="Edit only: the arguments to run.")
    comment: str | None = Field(
        None,
        max_length=4000,
        description="Reject: the reason (optional). Comment: the text for the agent (required).",
    )

    @model_validator(mode="after")
    def _fits_type(self) -> Self:
        """Arguments go with an edit, text with a reject or a comment, nothing else."""
        if (self.type == "edit") != (self.args is not None):
            raise ValueError("args are required for an edit and allowed only for an edit")
        if self.type == "comment" and not (self.comment or "").strip():
            raise ValueError("a comment needs its text in 'comment'")
        if self.type in ("approve", "edit") and self.comment:
            raise ValueError("'comment' goes with reject or comment, not with approve or edit")
        return self


class DecisionResult(BaseModel):
    """What was handed to the agent."""

    id: str
    type: ResponseType
    detail: str


@router.get(
    "",
    summary="Requests the caller may decide, oldest first, by pages",
    response_model=list[ApprovalSummary],
    responses={
        200: {
            "headers": {
                "Link": {"description": 'The next page, `<...?cursor=...>; rel="next"`.'},
                "X-Next-Cursor": {"description": "The next page's cursor (absent on the last)."},
            }
        },
        422: {},
    },
)
async def list_approvals(
    request: Request,
    response: Response,
    deps: Deps,
    caller: ApproverCaller,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> list[ApprovalSummary]:
    """Only requests the caller is the approver of (advisor, instructor of record, registrar).

    The body stays a plain list (the dashboard and scripts read it so); the next page is in
    the ``Link`` header (RFC 8288) and ``X-Next-Cursor``. A page may hold fewer than ``limit``
    requests and still have a next one: every listed request is judged by the guard's rule.
    """
    page = await run_in_threadpool(lambda: deps.desk.page(caller, limit=limit, cursor=cursor))
    if page.next is not None:
        token = page.next.encode()
        following = request.url.include_query_params(limit=limit, cursor=token)
        response.headers["Link"] = f'<{following}>; rel="next"'
        response.headers["X-Next-Cursor"] = token
    return [ApprovalSummary.of(p.request, deps.desk) for p in page.items]


def detail_of(deps: Deps, request: ApprovalRequest) -> ApprovalDetail:
    """The request with the audit trail's redacted record of it; shared with the dashboard."""
    recorded = deps.audit.find_approval_request(request.id)
    return ApprovalDetail(
        request=request,
        reasoning=recorded.reasoning if recorded else None,
        evidence=recorded.arguments if recorded else None,
        expired=deps.desk.expired(request),
    )


@router.get(
    "/{request_id}",
    summary="One request with reasoning and evidence",
    response_model=ApprovalDetail,
    responses={403: {}, 404: {}},
)
async def get_approval(deps: Deps, caller: ApproverCaller, request_id: RequestId) -> ApprovalDetail:
    """The request, the agent's reasoning and the redacted evidence, for its approver only."""
    request = await run_in_threadpool(deps.desk.visible, caller, request_id)
    return await run_in_threadpool(detail_of, deps, request)


def contract_of(deps: Deps, caller: Principal, request_id: str) -> Contract:
    """The contract a request the caller may decide links; 404 when it links none."""
    request = deps.desk.visible(caller, request_id)
    contract_id = request.action_request.args.get("contract")
    if not contract_id:
        raise NotFoundError("contract", request=request_id)
    return deps.contracts.get(str(contract_id))


@router.get(
    "/{request_id}/contract",
    summary="The incomplete contract a request links, as PDF",
    response_class=Response,
    responses={200: {"content": {"application/pdf": {}}}, 403: {}, 404: {}},
)
async def get_contract(deps: Deps, caller: ApproverCaller, request_id: RequestId) -> Response:
    """The PDF, for the request's approver only; its SHA-256 in ``X-Content-SHA256``."""
    contract = await run_in_threadpool(contract_of, deps, caller, request_id)
    return Response(
        contract.pdf,
        media_type="application/pdf",
        headers={
            "X-Content-SHA256": contract.sha256,
            "Content-Disposition": f'inline; filename="contract-{contract.id}.pdf"',
            "Cache-Control": "no-store",
        },
    )


@router.post(
    "/{request_id}/decision",
    summary="Approve, edit, reject or comment",
    response_model=DecisionResult,
    responses={403: {}, 404: {}, 409: {}, 422: {}},
)
async def decide(
    deps: Deps,
    caller: ApproverCaller,
    request_id: RequestId,
    body: Annotated[DecisionBody, Body()],
) -> DecisionResult:
    """Hand the answer to the paused agent; out of scope is refused (403) and audited."""
    await run_in_threadpool(
        lambda: deps.desk.decide(
            caller, request_id, body.type, args=body.args, comment=body.comment
        )
    )
    return DecisionResult(id=request_id, type=body.type, detail=f"{body.type} handed to the agent")
