"""Lookups by SIS id over HTTP: found, and typed not-found naming kind and SIS id."""

from __future__ import annotations

import pytest

from core.errors import NotFoundError
from sandbox.canvas.testing import SimulatorHandle
from tests.canvas_tools.helpers import make_section, make_user, unique
from tools.canvas.client import CanvasClient
from tools.canvas.errors import CanvasAccessDenied, CanvasNotFound
from tools.canvas.lookup import find_course, find_section, find_user


def test_find_by_sis_id(client: CanvasClient) -> None:
    sis_course, sis_section = make_section(client, "LOOK")
    user = make_user(client, unique("A"), "Ada Lovelace")

    course = find_course(client, sis_course)
    section = find_section(client, sis_section)
    found = find_user(client, user.sis_user_id or "")

    assert course.sis_course_id == sis_course and course.workflow_state == "unpublished"
    assert section.sis_section_id == sis_section and section.course_id == course.id
    assert found == user and found.name == "Ada Lovelace"


@pytest.mark.parametrize(
    ("find", "kind"),
    [(find_course, "course"), (find_section, "section"), (find_user, "user")],
)
def test_missing_objects_are_typed_not_found(client: CanvasClient, find, kind: str) -> None:
    with pytest.raises(CanvasNotFound) as caught:
        find(client, "NOPE-404")
    assert isinstance(caught.value, NotFoundError)
    assert caught.value.kind == kind and caught.value.sis_id == "NOPE-404"
    assert "NOPE-404" in str(caught.value)


def test_bad_token_is_access_denied(sim: SimulatorHandle) -> None:
    bad = CanvasClient(sim.base_url, "not-the-token")
    with pytest.raises(CanvasAccessDenied):
        find_course(bad, "ANY")
