"""``/api/students``: staff student search and the read-only cross-platform profile.

``GET /api/students?q=`` lists matches (``banner_id``, ``name``, ``level`` …) the caller may
see; ``GET /api/students/{banner_id}?purpose=…`` returns the profile with its ``banner`` and
``canvas`` parts, recording the view and its purpose in the audit trail. A student out of the
caller's scope answers 404 exactly like one that does not exist; a missing or unknown purpose
answers 422. Roles: advisor, instructor, helpdesk, registrar (``profile_fields.yaml`` says what
each sees).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.concurrency import run_in_threadpool

from agents.student_profile import StudentProfile
from core.errors import ValidationFailed
from policies.rbac import Principal, Role
from runtime.api.auth import require_roles
from runtime.student_profiles import ProfileService, Purpose, StudentMatch

STAFF_ROLES = (Role.ADVISOR, Role.INSTRUCTOR, Role.HELPDESK, Role.REGISTRAR)
"""Who may search students and open profiles."""

router = APIRouter(prefix="/api/students", tags=["students"])
Staff = Annotated[Principal, Depends(require_roles(*STAFF_ROLES))]

SearchText = Annotated[
    str, Query(min_length=1, max_length=100, description="Name fragment, Banner ID or e-mail.")
]
PurposeNote = Annotated[
    str | None, Query(max_length=200, description="Free text; required with purpose=other.")
]


def profile_service(request: Request) -> ProfileService:
    """The app's profile service (built by the app factory)."""
    found: ProfileService = request.app.state.services.profiles
    return found


Profiles = Annotated[ProfileService, Depends(profile_service)]


def checked_note(purpose: Purpose, note: str | None) -> str | None:
    """The note, stripped; refused when ``other`` comes without one."""
    note = (note or "").strip() or None
    if purpose is Purpose.OTHER and note is None:
        raise ValidationFailed("purpose 'other' needs a note saying why")
    return note


@router.get("", response_model=list[StudentMatch])
async def search_students(
    caller: Staff, profiles: Profiles, q: SearchText, limit: Annotated[int, Query(ge=1, le=50)] = 20
) -> list[StudentMatch]:
    """Students matching ``q`` (typo-tolerant), as much as the caller may see of each."""
    return await run_in_threadpool(profiles.search, caller, q, limit)


@router.get("/{banner_id}", response_model=StudentProfile)
async def student_profile(
    caller: Staff,
    profiles: Profiles,
    banner_id: Annotated[str, Path(min_length=1, max_length=9)],
    purpose: Annotated[Purpose, Query(description="Why the profile is opened (audited).")],
    note: PurposeNote = None,
) -> StudentProfile:
    """The read-only profile, audited with who, whom and the purpose."""
    checked = checked_note(purpose, note)
    return await run_in_threadpool(profiles.profile, caller, banner_id, purpose, checked)
