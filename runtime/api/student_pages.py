"""``/dashboard/students``: search and the read-only profile on one server-rendered page.

A plain GET form (search box; then, per result, a purpose chooser that opens the profile), no
script at all, so it works with a keyboard and a screen reader. It calls the same
:class:`~runtime.student_profiles.ProfileService` as ``/api/students``: the page can show no
more than the API would, and every profile it shows is audited with the purpose chosen.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, status
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from core.errors import NotFoundError, ValidationFailed
from policies.rbac import Principal
from runtime.api.auth import APPROVER_ROLES, OPERATOR_ROLES, require_roles
from runtime.api.dashboard import SESSION_COOKIE, csrf_token, display_name, signed_in, templates
from runtime.api.services import Deps
from runtime.api.students import STAFF_ROLES, checked_note
from runtime.student_profiles import Purpose

router = APIRouter(prefix="/dashboard", tags=["dashboard"], include_in_schema=False)
StaffPerson = Annotated[Principal, Depends(require_roles(*STAFF_ROLES, source=signed_in))]


@router.get("/students", response_class=HTMLResponse)
async def students_page(
    request: Request,
    deps: Deps,
    person: StaffPerson,
    q: Annotated[str, Query(max_length=100)] = "",
    banner_id: Annotated[str, Query(max_length=9)] = "",
    purpose: Purpose | None = None,
    note: Annotated[str, Query(max_length=200)] = "",
) -> HTMLResponse:
    """The search box, its matches, and the chosen student's profile."""
    code = status.HTTP_200_OK
    matches: list[Any] = []
    profile = None
    error = None
    if q.strip():
        matches = await run_in_threadpool(deps.profiles.search, person, q, 20)
    if banner_id:
        try:
            if purpose is None:
                raise ValidationFailed("choose the purpose of opening this profile")
            checked = checked_note(purpose, note)
            profile = await run_in_threadpool(
                deps.profiles.profile, person, banner_id, purpose, checked
            )
        except ValidationFailed as exc:
            error, code = str(exc), status.HTTP_422_UNPROCESSABLE_CONTENT
        except NotFoundError:
            error, code = "No student with that Banner ID is visible to you.", 404
    return templates.TemplateResponse(
        request,
        "students.html",
        {
            "person": person,
            "person_name": display_name(deps.banner_engine, person.pidm) or person.actor,
            "csrf": csrf_token(deps, request.cookies.get(SESSION_COOKIE, "")),
            "is_approver": person.role in APPROVER_ROLES,
            "is_operator": person.role in OPERATOR_ROLES,
            "q": q,
            "matches": matches,
            "profile": profile,
            "error": error,
            "purposes": list(Purpose),
            "chosen": purpose,
            "note": note,
            "banner_id": banner_id,
        },
        status_code=code,
    )
