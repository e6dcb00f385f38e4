"""Program review on the web: ``/dashboard/analytics`` (charts) and ``/api/analytics`` (JSON).

Both show the latest stored build (``bca analytics build``), which holds suppressed aggregates
only, so neither route can publish a student or a small cell whatever it is asked. They are
for the registrar and administrators, who see every department.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup
from starlette.concurrency import run_in_threadpool

from core.errors import NotFoundError
from policies.rbac import Principal, Role
from runtime.analytics import AnalyticsBuild, latest
from runtime.analytics_report import render_body
from runtime.api.auth import require_roles
from runtime.api.dashboard import _render, signed_in
from runtime.api.services import Deps

ANALYTICS_ROLES = (Role.REGISTRAR, Role.ADMIN)

router = APIRouter()
Reader = Annotated[Principal, Depends(require_roles(*ANALYTICS_ROLES))]
PageReader = Annotated[Principal, Depends(require_roles(*ANALYTICS_ROLES, source=signed_in))]


def _latest(deps: Deps) -> AnalyticsBuild:
    found = latest(deps.app_engine)
    if found is None:
        raise NotFoundError("analytics build", run="bca analytics build TERM")
    return found


@router.get("/api/analytics", tags=["analytics"])
async def analytics(deps: Deps, _person: Reader) -> AnalyticsBuild:
    """The latest program-review build: suppressed tables and the findings they support."""
    return await run_in_threadpool(_latest, deps)


@router.get("/dashboard/analytics", response_class=HTMLResponse, include_in_schema=False)
async def analytics_page(request: Request, deps: Deps, person: PageReader) -> HTMLResponse:
    """The findings, a chart per equity and prerequisite table, the counts under each."""
    found = await run_in_threadpool(latest, deps.app_engine)
    body = Markup(render_body(found)) if found else None  # render_body escapes every value
    return _render(request, deps, person, "analytics.html", active="analytics", body=body)
