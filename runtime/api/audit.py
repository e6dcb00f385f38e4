"""``/api/audit``: the tamper-evident trail, for registrars and administrators."""

from __future__ import annotations

from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from runtime.api.auth import Operator
from runtime.api.services import Deps

router = APIRouter(prefix="/api/audit", tags=["audit"])


class AuditRecord(BaseModel):
    """One event of the chain (arguments and reasoning were redacted before they were stored)."""

    seq: int
    time: str
    actor: str
    role: str
    on_behalf_of: str | None
    tool: str
    arguments: dict[str, Any]
    decision: str
    outcome: str
    latency_ms: float
    thread_id: str | None
    approval_id: str | None
    reasoning: str | None
    prev_hash: str
    hash: str


class Verification(BaseModel):
    """The result of walking the chain; ``broken`` names the first bad record."""

    ok: bool
    rows: int
    head_hash: str
    broken: str | None


def latest(deps: Deps, limit: int) -> list[AuditRecord]:
    """The last ``limit`` events, oldest first; shared by the API and the dashboard."""
    return [AuditRecord.model_validate(asdict(e)) for e in deps.audit.tail(limit)]


def verification(deps: Deps) -> Verification:
    """Walk the chain."""
    report = deps.audit.verify()
    return Verification(
        ok=report.ok, rows=report.rows, head_hash=report.head_hash, broken=report.broken
    )


@router.get("", summary="Latest audit events", response_model=list[AuditRecord])
async def audit_tail(
    deps: Deps, _caller: Operator, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[AuditRecord]:
    """The latest events of the trail, oldest first."""
    return await run_in_threadpool(latest, deps, limit)


@router.get("/verify", summary="Verify the hash chain", response_model=Verification)
async def audit_verify(deps: Deps, _caller: Operator) -> Verification:
    """Walk every record; the head hash is what to anchor outside the database."""
    return await run_in_threadpool(verification, deps)
