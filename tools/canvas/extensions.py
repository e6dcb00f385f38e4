"""Extended course access for one student: Canvas's section end-date override.

Canvas has no per-student end date on an enrollment. What it has, and what registrars use for
an incomplete, is a section of its own for the student whose ``end_at`` lies past the course's
and whose ``restrict_enrollments_to_section_dates`` makes that date, not the course's or the
term's, bound the student's access; the student is enrolled in it beside their own section.
The section's SIS id is derived from the section and a hash of the student's SIS id, so a
second call finds and moves the same section instead of making another.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from canvasapi.section import Section
from pydantic import Field

from tools.canvas.client import CanvasClient, canvas_operation
from tools.canvas.courses import find_or_create
from tools.canvas.enrollments import enroll
from tools.canvas.lookup import get_course, get_section
from tools.canvas.models import EnrollmentInfo, EnrollmentSpec, Input, Output


class AccessExtensionSpec(Input):
    """Keep one student's access to a course until ``end_at``."""

    sis_course_id: str = Field(min_length=1)
    sis_section_id: str = Field(min_length=1, description="The student's own section.")
    sis_user_id: str = Field(min_length=1)
    end_at: datetime

    @property
    def extension_sis_id(self) -> str:
        """The extension section's SIS id: the same for the same student and section."""
        digest = hashlib.sha256(self.sis_user_id.encode()).hexdigest()[:10]
        return f"{self.sis_section_id}-INC-{digest}"


class ExtensionSection(Output):
    """The extension section as Canvas holds it."""

    id: int
    sis_section_id: str | None = None
    course_id: int
    end_at: datetime | None = None
    restrict_enrollments_to_section_dates: bool = False


class AccessExtension(Output):
    """The section that carries the date and the student's enrollment in it."""

    section: ExtensionSection
    enrollment: EnrollmentInfo


@canvas_operation
def extend_access(client: CanvasClient, spec: AccessExtensionSpec) -> AccessExtension:
    """Make (or move) the student's extension section and enroll them in it."""
    dates = {
        "end_at": spec.end_at.isoformat(),
        "restrict_enrollments_to_section_dates": True,
    }

    def create() -> Section:
        course = get_course(client, spec.sis_course_id)
        return course.create_course_section(
            course_section={
                "name": f"Incomplete extension ({spec.sis_section_id})",
                "sis_section_id": spec.extension_sis_id,
                **dates,
            }
        )

    section, made = find_or_create(
        client, lambda: get_section(client, spec.extension_sis_id), create
    )
    if not made:
        section = client.retry_ambiguous(lambda: section.edit(course_section=dates))
    enrollment = enroll(
        client, EnrollmentSpec(sis_section_id=spec.extension_sis_id, sis_user_id=spec.sis_user_id)
    )
    return AccessExtension(section=ExtensionSection.of(section), enrollment=enrollment)
