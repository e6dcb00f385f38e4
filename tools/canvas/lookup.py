"""Finding Canvas users, courses and sections by SIS id (or, for Live Events, by Canvas id).

The ``get_*`` functions return canvasapi objects for the other operations to act on; the
``find_*`` tools return typed results. Both raise :class:`CanvasNotFound` (kind and SIS id) when
Canvas answers 404, so a missing object becomes an exception for a person, never a crash.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from canvasapi.course import Course
from canvasapi.exceptions import ResourceDoesNotExist
from canvasapi.section import Section
from canvasapi.user import User

from tools.canvas.client import CanvasClient, canvas_operation
from tools.canvas.errors import CanvasKind, CanvasNotFound
from tools.canvas.models import CourseInfo, SectionInfo, UserInfo


@contextmanager
def missing_is(
    kind: CanvasKind, sis_id: str | None = None, canvas_id: int | None = None
) -> Iterator[None]:
    """Translate Canvas's 404 inside the block into a :class:`CanvasNotFound` naming the key."""
    try:
        yield
    except ResourceDoesNotExist as exc:
        raise CanvasNotFound(kind, sis_id=sis_id, canvas_id=canvas_id) from exc


def course_at(client: CanvasClient, sis_course_id: str) -> Course:
    """A canvasapi ``Course`` addressed by SIS id, not fetched: no request, no check.

    Enough for the calls that only put the course's id in their URL (its sections, its
    enrollments), which then answer 404 themselves if the course is missing; the GET that
    :func:`get_course` costs would tell nothing more. Its only attribute is that ``id``.
    """
    return Course(client.requester, {"id": f"sis_course_id:{sis_course_id}"})


def get_course(client: CanvasClient, sis_course_id: str) -> Course:
    """The course with this SIS id."""
    with missing_is("course", sis_course_id):
        return client.canvas.get_course(sis_course_id, use_sis_id=True)


def get_section(client: CanvasClient, sis_section_id: str) -> Section:
    """The section with this SIS id."""
    with missing_is("section", sis_section_id):
        return client.canvas.get_section(sis_section_id, use_sis_id=True)


def get_user(client: CanvasClient, sis_user_id: str) -> User:
    """The user with this SIS id."""
    with missing_is("user", sis_user_id):
        return client.canvas.get_user(sis_user_id, "sis_user_id")


@canvas_operation
def find_course(client: CanvasClient, sis_course_id: str) -> CourseInfo:
    """Look up a course by SIS id, so a sync can tell 'missing' from 'present'."""
    return CourseInfo.of(get_course(client, sis_course_id))


@canvas_operation
def find_course_sections(client: CanvasClient, sis_course_id: str) -> list[SectionInfo]:
    """The sections in a course (cross-listed ones included), named by the course's SIS id.

    One request, the course not fetched first; :class:`CanvasNotFound` (kind ``course``) when
    Canvas has no such course.
    """
    with missing_is("course", sis_course_id):
        return [SectionInfo.of(s) for s in course_at(client, sis_course_id).get_sections()]


@canvas_operation
def find_section(client: CanvasClient, sis_section_id: str) -> SectionInfo:
    """Look up a section by SIS id (its course may differ from its home when cross-listed)."""
    return SectionInfo.of(get_section(client, sis_section_id))


@canvas_operation
def find_user(client: CanvasClient, sis_user_id: str) -> UserInfo:
    """Look up a user by SIS id (the Banner ID), to enroll or message them."""
    return UserInfo.of(get_user(client, sis_user_id))


@canvas_operation
def find_course_by_id(client: CanvasClient, canvas_id: int) -> CourseInfo:
    """A course by its Canvas id (what Live Events carry), to learn its SIS id."""
    with missing_is("course", canvas_id=canvas_id):
        return CourseInfo.of(client.canvas.get_course(canvas_id))


@canvas_operation
def find_section_by_id(client: CanvasClient, canvas_id: int) -> SectionInfo:
    """A section by its Canvas id (what Live Events carry), to learn its SIS id."""
    with missing_is("section", canvas_id=canvas_id):
        return SectionInfo.of(client.canvas.get_section(canvas_id))


@canvas_operation
def find_user_by_id(client: CanvasClient, canvas_id: int) -> UserInfo:
    """A user by Canvas id (what Live Events carry), to learn their SIS id (the Banner ID)."""
    with missing_is("user", canvas_id=canvas_id):
        return UserInfo.of(client.canvas.get_user(canvas_id))
