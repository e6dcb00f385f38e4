"""Program review on the web: ``/dashboard/analytics`` (charts) and ``/api/analytics`` (JSON).

Both show the latest stored build (``bca analytics build``), which holds suppressed aggregates
only, so neither route can publish a student or a small cell whatever it is asked. The
registrar, institutional research and administrators see every department, or one with
``?department=``; a department chair sees their own (the token's ``dept``) and is refused
another's with 403.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from core.errors import NotFoundError
from policies.rbac import Principal, Role
from runtime.analytics import AnalyticsBuild, for_department, latest
from runtime.analytics_report import render_body
from runtime.api.auth import require_roles
from runtime.api.dashboard import _render, signed_in
from runtime.api.services import Deps

ANALYTICS_ROLES = (Role.REGISTRAR, Role.RESEARCH, Role.CHAIR, Role.ADMIN)
Department = Annotated[
    str | None,
    Query(pattern=r"^[A-Z0-9]{1,4}$", description="One department's courses (SCBCRSE code)."),
]

router = APIRouter()
Reader = Annotated[Principal, Depends(require_roles(*ANALYTICS_ROLES))]
PageReader = Annotated[Principal, Depends(require_roles(*ANALYTICS_ROLES, source=signed_in))]


def department_of(person: Principal, asked: str | None) -> str | None:
    """The department ``person`` may see: a chair's own (another is 403), else as asked."""
    if person.role is not Role.CHAIR:
        return asked
    if asked is not None and asked != person.department:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"a chair of {person.department} may not read {asked}"
        )
    return person.department


def _scoped(deps: Deps, department: str | None) -> AnalyticsBuild | None:
    found = latest(deps.app_engine)
    return found if found is None or department is None else for_department(found, department)


@router.get("/api/analytics", tags=["analytics"])
async def analytics(deps: Deps, person: Reader, department: Department = None) -> AnalyticsBuild:
    """The latest program-review build: suppressed tables and the findings they support."""
    found = await run_in_threadpool(_scoped, deps, department_of(person, department))
    if found is None:
        raise NotFoundError("analytics build", run="bca analytics build TERM")
    return found


@router.get("/dashboard/analytics", response_class=HTMLResponse, include_in_schema=False)
async def analytics_page(
    request: Request, deps: Deps, person: PageReader, department: Department = None
) -> HTMLResponse:
    """The findings, a chart per equity and prerequisite table, the counts under each."""
    scope = department_of(person, department)
    found = await run_in_threadpool(_scoped, deps, scope)
    body = Markup(render_body(found)) if found else None  # render_body escapes every value
    return _render(
        request, deps, person, "analytics.html", active="analytics", body=body, department=scope
    )
