"""The dashboard's Rollout page: each workflow's mode, its change history, its shadow report.

Registrars and admins see it (operators); only a registrar changes a mode, through the same
:func:`runtime.rollout.set_mode` as ``bca rollout set`` (validated, written atomically,
recorded with the registrar as the actor). A change that does not validate is shown as one
line and nothing is written.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool

from core.errors import ConfigurationError
from policies.rbac import Principal, Role
from policies.rollout import Mode, Workflow, describe, parse_scope
from policies.rollout_log import RolloutLog
from runtime.api.auth import OPERATOR_ROLES, require_roles
from runtime.api.dashboard import COOKIE_PATH, CheckedForm, _render, signed_in
from runtime.api.services import Deps, Services
from runtime.rollout import ShadowReport, current, set_mode, shadow_report
from tools.canvas.client import CanvasClient

router = APIRouter(include_in_schema=False)

Viewer = Annotated[Principal, Depends(require_roles(*OPERATOR_ROLES, source=signed_in))]
Registrar = Annotated[Principal, Depends(require_roles(Role.REGISTRAR, source=signed_in))]
PAGE = f"{COOKIE_PATH}/rollout"


def _log(deps: Services) -> RolloutLog:
    log = RolloutLog(deps.app_engine)
    log.create()
    return log


async def _page(
    request: Request,
    deps: Services,
    person: Principal,
    *,
    error: str | None = None,
    code: int = status.HTTP_200_OK,
) -> HTMLResponse:
    try:
        rows = describe(await run_in_threadpool(current, deps.settings))
    except ConfigurationError as exc:
        rows, error = [], error or str(exc)
    history = await run_in_threadpool(_log(deps).history, None, 50)
    return _render(
        request, deps, person, "rollout.html", code, active="rollout", rows=rows,
        history=history, modes=[m.value for m in Mode], workflows=[w.value for w in Workflow],
        can_change=person.role is Role.REGISTRAR, error=error,
        changed=request.query_params.get("changed"),
    )  # fmt: skip


@router.get(PAGE, response_class=HTMLResponse)
async def rollout_page(request: Request, deps: Deps, person: Viewer) -> HTMLResponse:
    """Modes per workflow (rules in evaluation order) and the latest changes."""
    return await _page(request, deps, person)


@router.post(PAGE, response_class=HTMLResponse)
async def change_mode(
    request: Request, deps: Deps, person: Registrar, form: CheckedForm
) -> Response:
    """Set a workflow's default mode, or a scoped rule (``KEY=VALUE`` per line)."""
    try:
        workflow = Workflow(form.get("workflow", ""))
        mode = Mode(form.get("mode", ""))
        scope = parse_scope(form.get("scope", "").split())
        await run_in_threadpool(
            set_mode, deps.settings, deps.app_engine, workflow, mode, scope or None,
            actor=person.actor, role=person.role.value,
        )  # fmt: skip
    except ValueError:
        return await _page(
            request, deps, person, error="choose a known workflow and mode",
            code=status.HTTP_422_UNPROCESSABLE_CONTENT,
        )  # fmt: skip
    except ConfigurationError as exc:
        return await _page(
            request, deps, person, error=str(exc), code=status.HTTP_422_UNPROCESSABLE_CONTENT
        )
    return RedirectResponse(f"{PAGE}?changed={workflow.value}", status.HTTP_303_SEE_OTHER)


def _report(deps: Services, workflow: Workflow) -> ShadowReport:
    if workflow is not Workflow.ROSTER_SYNC:
        return shadow_report(workflow, _log(deps), deps.banner_engine, None)
    canvas = CanvasClient.from_settings(deps.settings)
    try:
        return shadow_report(workflow, _log(deps), deps.banner_engine, canvas)
    finally:
        canvas.close()


@router.get(f"{PAGE}/{{workflow}}/report", response_class=HTMLResponse)
async def report_page(
    request: Request, deps: Deps, person: Viewer, workflow: Workflow
) -> HTMLResponse:
    """What the workflow would have done in shadow; roster sync per section vs Canvas."""
    found = await run_in_threadpool(_report, deps, workflow)
    return _render(request, deps, person, "rollout_report.html", active="rollout", report=found)
