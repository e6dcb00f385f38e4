"""``/api/audit``: the tamper-evident trail, for registrars and administrators."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from policies.audit import StoredEvent
from runtime.api.auth import Operator
from runtime.api.services import Deps

router = APIRouter(prefix="/api/audit", tags=["audit"])


class Verification(BaseModel):
    """The result of walking the chain; ``broken`` names the first bad record."""

    ok: bool
    rows: int
    head_hash: str
    broken: str | None


def latest(deps: Deps, limit: int) -> list[StoredEvent]:
    """The last ``limit`` events, oldest first; shared by the API and the dashboard."""
    return deps.audit.tail(limit)


def verification(deps: Deps) -> Verification:
    """Walk the chain."""
    report = deps.audit.verify()
    return Verification(
        ok=report.ok, rows=report.rows, head_hash=report.head_hash, broken=report.broken
    )


@router.get("", summary="Latest audit events", response_model=list[StoredEvent])
async def audit_tail(
    deps: Deps, _caller: Operator, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[StoredEvent]:
    """The latest events of the trail, oldest first."""
    return await run_in_threadpool(latest, deps, limit)


@router.get("/verify", summary="Verify the hash chain", response_model=Verification)
async def audit_verify(deps: Deps, _caller: Operator) -> Verification:
    """Walk every record; the head hash is what to anchor outside the database."""
    return await run_in_threadpool(verification, deps)
