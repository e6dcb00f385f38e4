"""Enrolling, ending and reactivating enrollments, listing them, and reading final grades.

An enrollment is named by its Canvas key: user, section and type. Creating one that exists
returns the existing one in Canvas, so an ambiguous enroll is simply sent again; the request
names section and user by SIS id, so it needs no lookups unless Canvas answers 404. Ending or
reactivating first reads the enrollment and does nothing if it is already in the wanted state.
"""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, get_args

from canvasapi.course import Course
from canvasapi.enrollment import Enrollment
from canvasapi.exceptions import ResourceDoesNotExist
from canvasapi.section import Section
from canvasapi.util import combine_kwargs

from tools.canvas.client import CanvasClient, canvas_operation
from tools.canvas.errors import CanvasNotFound
from tools.canvas.lookup import get_course, get_section, get_user, missing_is
from tools.canvas.models import (
    EndEnrollment,
    EndTask,
    EnrollmentInfo,
    EnrollmentKey,
    EnrollmentQuery,
    EnrollmentResult,
    EnrollmentSpec,
    EnrollmentState,
    Missing,
)

STATE_AFTER: dict[EndTask, str] = {
    "conclude": "completed",
    "delete": "deleted",
    "inactivate": "inactive",
    "deactivate": "inactive",
}
ALL_STATES = list(get_args(EnrollmentState))


def _post_enrollment(client: CanvasClient, spec: EnrollmentSpec) -> Enrollment:
    """``POST sections/sis_section_id:X/enrollments``, the user named as Canvas allows.

    Canvas takes ``enrollment[user_id]=sis_user_id:Y``, so neither the section nor the user
    needs a lookup first. canvasapi's ``Section.enroll_user`` cannot send that (it ``int()``s
    the user), so this sends the request it would send through the same Requester, and so
    through the client's paced, retrying session.
    """
    user = f"sis_user_id:{spec.sis_user_id}" if spec.sis_user_id is not None else spec.user_id
    fields = {
        "user_id": user,
        "type": spec.type,
        "enrollment_state": spec.state,
        "notify": spec.notify,
    }
    response = client.requester.request(
        "POST",
        f"sections/sis_section_id:{spec.sis_section_id}/enrollments",
        _kwargs=combine_kwargs(enrollment=fields),
    )
    return Enrollment(client.requester, response.json())


def _enroll(
    client: CanvasClient, spec: EnrollmentSpec, missing_sections: set[str] | None = None
) -> EnrollmentInfo:
    """Enroll with one request; after a 404, look up what is missing (one request per kind).

    The POST names section and user by SIS id, and Canvas answers 404 when either is missing
    without saying which. Only then are the section and the user looked up, so the
    :class:`CanvasNotFound` names the right one (the section first, as before); a section found
    missing is added to ``missing_sections``. If both turn out to exist (made in between), the
    enrollment is sent again by Canvas ids.

    An ambiguous POST (5xx, lost connection) is sent again: Canvas keys an enrollment by user,
    section and type and returns the existing one, so a resend cannot make a second.
    """
    try:
        return EnrollmentInfo.of(client.retry_ambiguous(lambda: _post_enrollment(client, spec)))
    except ResourceDoesNotExist:
        pass
    try:
        section = get_section(client, spec.sis_section_id)
    except CanvasNotFound:
        if missing_sections is not None:
            missing_sections.add(spec.sis_section_id)
        raise
    if spec.sis_user_id is not None:
        user_id = get_user(client, spec.sis_user_id).id
    else:
        with missing_is("user", canvas_id=spec.user_id):
            user_id = client.canvas.get_user(spec.user_id).id
    enrollment = {"type": spec.type, "enrollment_state": spec.state, "notify": spec.notify}
    return EnrollmentInfo.of(
        client.retry_ambiguous(lambda: section.enroll_user(user_id, enrollment=enrollment))
    )


@canvas_operation
def enroll(client: CanvasClient, spec: EnrollmentSpec) -> EnrollmentInfo:
    """Make sure a user holds an enrollment in a section (the Banner registration's mirror).

    One request when section and user exist (see :func:`_enroll`).
    """
    return _enroll(client, spec)


@canvas_operation
def enroll_many(
    client: CanvasClient, specs: Sequence[EnrollmentSpec], workers: int = 4
) -> list[EnrollmentResult]:
    """Apply a roster's worth of enrollments: one request each, a few in parallel.

    A missing user or section does not stop the batch: its result names what was missing, for a
    person to resolve. A section found missing is remembered, so the rest of its specs are not
    sent. Canvas being unavailable (after retries) does stop it.
    """
    missing_sections: set[str] = set()

    def one(spec: EnrollmentSpec) -> EnrollmentResult:
        try:
            if spec.sis_section_id in missing_sections:
                raise CanvasNotFound("section", sis_id=spec.sis_section_id)
            return EnrollmentResult(spec=spec, enrollment=_enroll(client, spec, missing_sections))
        except CanvasNotFound as missing:
            found = Missing(kind=missing.kind, sis_id=missing.sis_id, canvas_id=missing.canvas_id)
            return EnrollmentResult(spec=spec, missing=found)

    if len(specs) <= 1:  # one registration's event: no pool (a thread spawned per event)
        return [one(spec) for spec in specs]
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        return list(pool.map(one, specs))


def get_enrollment(client: CanvasClient, key: EnrollmentKey) -> Enrollment:
    """The enrollment with this key, in any state; :class:`CanvasNotFound` if there is none."""
    section = get_section(client, key.sis_section_id)
    who: dict[str, Any] = (
        {"sis_user_id": [key.sis_user_id]}
        if key.sis_user_id is not None
        else {"user_id": key.user_id}
    )
    for enrollment in section.get_enrollments(type=[key.type], state=ALL_STATES, **who):
        return enrollment
    raise CanvasNotFound("enrollment", sis_id=key.label())


@canvas_operation
def end_enrollment(client: CanvasClient, spec: EndEnrollment) -> EnrollmentInfo:
    """End an enrollment the way the drop rule says: conclude, delete or inactivate it."""
    enrollment = get_enrollment(client, spec)
    if enrollment.enrollment_state == STATE_AFTER[spec.task]:
        return EnrollmentInfo.of(enrollment)
    return EnrollmentInfo.of(enrollment.deactivate(spec.task))


@canvas_operation
def reactivate_enrollment(client: CanvasClient, key: EnrollmentKey) -> EnrollmentInfo:
    """Give an inactive enrollment its access back (a student re-added after a drop)."""
    enrollment = get_enrollment(client, key)
    if enrollment.enrollment_state == "active":
        return EnrollmentInfo.of(enrollment)
    return EnrollmentInfo.of(enrollment.reactivate())


@canvas_operation
def list_enrollments(client: CanvasClient, query: EnrollmentQuery) -> list[EnrollmentInfo]:
    """The enrollments of a course or section by state and type, to compare with Banner."""
    place = (
        get_course(client, query.sis_id)
        if query.scope == "course"
        else get_section(client, query.sis_id)
    )
    return enrollments_in(place, query)


@canvas_operation
def enrollments_in(place: Course | Section, query: EnrollmentQuery) -> list[EnrollmentInfo]:
    """:func:`list_enrollments` for a course or section already in hand (one request less)."""
    filters: dict[str, Any] = {}
    if query.states:
        filters["state"] = list(query.states)
    if query.types:
        filters["type"] = list(query.types)
    if query.user_id is not None:
        filters["user_id"] = query.user_id
    if query.sis_user_id is not None:
        filters["sis_user_id"] = [query.sis_user_id]
    return [EnrollmentInfo.of(e) for e in place.get_enrollments(**filters)]


@canvas_operation
def final_grades(client: CanvasClient, sis_course_id: str) -> list[EnrollmentInfo]:
    """Every student's current and final score and grade in a course, for grade passback."""
    query = EnrollmentQuery(
        sis_id=sis_course_id,
        types=["StudentEnrollment"],
        states=["active", "completed", "inactive"],
    )
    return list_enrollments(client, query)
