"""Course shells, sections, cross-lists and grading schemes.

Every ``ensure_*`` is idempotent by SIS id: it finds the object and creates it only when
missing. A retried create cannot make a duplicate: when a write was ambiguous the whole
operation runs again and finds what the first try made, and when Canvas answers that the SIS id
is taken (a 400, e.g. another worker won the race) the object is fetched instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from canvasapi.content_migration import ContentMigration
from canvasapi.course import Course
from canvasapi.exceptions import BadRequest
from canvasapi.section import Section

from tools.canvas.client import CanvasClient, canvas_operation
from tools.canvas.errors import AmbiguousWrite, CanvasJobFailed, CanvasNotFound
from tools.canvas.lookup import get_course, get_section
from tools.canvas.models import (
    CourseInfo,
    CourseShell,
    CourseShellSpec,
    CrossListSpec,
    GradingStandardInfo,
    MigrationInfo,
    SectionInfo,
    SectionSpec,
)

T = TypeVar("T")

COURSE_COPY = "course_copy_importer"
MIGRATION_DONE = frozenset({"completed", "failed"})


def find_or_create(
    client: CanvasClient, find: Callable[[], T], create: Callable[[], T]
) -> tuple[T, bool]:
    """Find, else create; return the object and whether this call's create made it."""
    sent_create = False

    def attempt() -> T:
        nonlocal sent_create
        try:
            return find()
        except CanvasNotFound:
            pass
        try:
            made = create()
        except AmbiguousWrite:
            sent_create = True
            raise
        except BadRequest as refused:
            # The SIS id is taken: someone created it since we looked. Anything else: re-raise.
            try:
                return find()
            except CanvasNotFound:
                raise refused from None
        sent_create = True
        return made

    found = client.retry_ambiguous(attempt)
    return found, sent_create


@canvas_operation
def ensure_course_shell(client: CanvasClient, spec: CourseShellSpec) -> CourseShell:
    """Make sure a Banner section's course exists, filled from its template, before enrolling."""
    fields: dict[str, Any] = {
        "name": spec.name,
        "course_code": spec.course_code,
        "sis_course_id": spec.sis_course_id,
    }
    if spec.term_id is not None:
        fields["term_id"] = spec.term_id
    course, created = find_or_create(
        client,
        lambda: get_course(client, spec.sis_course_id),
        lambda: client.account.create_course(course=fields),
    )
    copy = None
    if spec.template_course_id is not None:
        copy = _copy_template(client, course, spec.template_course_id, spec.copy_timeout_seconds)
    return CourseShell(course=CourseInfo.of(course), created=created, template_copy=copy)


def _copy_template(
    client: CanvasClient, course: Course, template_id: int, timeout: float
) -> MigrationInfo:
    """Copy the template into the course once (reusing a copy already started) and wait."""

    def find_or_start() -> ContentMigration:
        for migration in course.get_content_migrations():
            settings = getattr(migration, "settings", None) or {}
            if (
                getattr(migration, "migration_type", None) == COURSE_COPY
                and str(settings.get("source_course_id")) == str(template_id)
                and migration.workflow_state != "failed"
            ):
                return migration
        return course.create_content_migration(
            COURSE_COPY, settings={"source_course_id": template_id}
        )

    started = client.retry_ambiguous(find_or_start)
    finished = client.wait_for(
        lambda: course.get_content_migration(started.id),
        lambda migration: migration.workflow_state in MIGRATION_DONE,
        timeout,
        f"copy of course {template_id} into {course.sis_course_id}",
    )
    if finished.workflow_state == "failed":
        raise CanvasJobFailed(
            f"Canvas could not copy template course {template_id} into "
            f"{course.sis_course_id} (content migration {finished.id})"
        )
    return MigrationInfo.of(finished)


@canvas_operation
def ensure_section(client: CanvasClient, spec: SectionSpec) -> SectionInfo:
    """Make sure a Banner CRN has its Canvas section, so its students can be enrolled in it."""

    def create() -> Section:
        course = get_course(client, spec.sis_course_id)
        return course.create_course_section(
            course_section={"name": spec.name, "sis_section_id": spec.sis_section_id}
        )

    section, _ = find_or_create(client, lambda: get_section(client, spec.sis_section_id), create)
    return SectionInfo.of(section)


@canvas_operation
def ensure_crosslist(client: CanvasClient, spec: CrossListSpec) -> SectionInfo:
    """Make sure a section sits in its cross-list group's course (moving it once if not)."""

    def attempt() -> Section:
        section = get_section(client, spec.sis_section_id)
        course = get_course(client, spec.sis_course_id)
        if section.course_id == course.id:
            return section
        return section.cross_list_section(course.id)

    return SectionInfo.of(client.retry_ambiguous(attempt))


@canvas_operation
def undo_crosslist(client: CanvasClient, sis_section_id: str) -> SectionInfo:
    """Send a section back to its home course when Banner dissolves the cross-list group."""
    section = get_section(client, sis_section_id)
    if getattr(section, "nonxlist_course_id", None) is None:
        return SectionInfo.of(section)
    return SectionInfo.of(section.decross_list_section())


@canvas_operation
def course_grading_standard(client: CanvasClient, sis_course_id: str) -> GradingStandardInfo | None:
    """The grading scheme a course uses, or None: grade passback refuses courses without one."""
    course = get_course(client, sis_course_id)
    standard_id = getattr(course, "grading_standard_id", None)
    if standard_id is None:
        return None
    # The course's list holds its own standards and its accounts'; pick the one it uses.
    for standard in course.get_grading_standards():
        if standard.id == standard_id:
            return GradingStandardInfo.of(standard)
    raise CanvasNotFound("grading_standard", canvas_id=standard_id)
