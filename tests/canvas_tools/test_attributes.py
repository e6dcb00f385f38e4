"""canvasapi objects built by our faster ``set_attributes`` equal what canvasapi builds itself."""

from __future__ import annotations

from typing import Any

import pytest
from canvasapi.course import Course
from canvasapi.enrollment import Enrollment
from canvasapi.section import Section

from tests.canvas_tools.helpers import make_section, make_user, unique
from tools.canvas import client as canvas_client
from tools.canvas.client import CanvasClient
from tools.canvas.enrollments import enroll
from tools.canvas.models import EnrollmentSpec


def _raw(client: CanvasClient, path: str) -> dict[str, Any]:
    body = client.canvas._Canvas__requester.request("GET", path).json()
    return dict(body[0] if isinstance(body, list) else body)


@pytest.mark.parametrize("kind", [Course, Section, Enrollment])
def test_objects_match_canvasapis_own_except_dates_of_non_dates(
    client: CanvasClient, kind: type
) -> None:
    course, section = make_section(client, "ATTR")
    user = make_user(client, unique("A"))
    enroll(client, EnrollmentSpec(sis_section_id=section, sis_user_id=user.sis_user_id))
    raw = _raw(
        client,
        {
            Course: f"courses/sis_course_id:{course}",
            Section: f"sections/sis_section_id:{section}",
            Enrollment: f"sections/sis_section_id:{section}/enrollments",
        }[kind],
    )
    requester = client.canvas._Canvas__requester
    ours = vars(kind(requester, raw))
    theirs: Any = object.__new__(kind)
    theirs._requester = requester
    canvas_client._canvasapi_set_attributes(theirs, raw)
    dates = {k for k in ours if k.endswith("_date") and k not in raw}
    assert dates, "the fixture should carry at least one ISO timestamp"
    assert {k: v for k, v in vars(theirs).items() if k in ours} == ours
    # what canvasapi derives beyond ours: "dates" read from values that are not dates
    for extra in set(vars(theirs)) - set(ours):
        assert not canvas_client._LOOKS_LIKE_A_DATE.match(str(raw[extra.removesuffix("_date")]))
