"""Course shells, template copies, sections, cross-lists and grading schemes over HTTP."""

from __future__ import annotations

import pytest

from tests.canvas_tools.helpers import make_section, unique
from tools.canvas.client import CanvasClient
from tools.canvas.courses import (
    course_grading_standard,
    ensure_course_shell,
    ensure_crosslist,
    ensure_section,
    find_or_create,
    undo_crosslist,
)
from tools.canvas.errors import CanvasNotFound, CanvasRejected
from tools.canvas.lookup import find_section, get_course
from tools.canvas.models import CourseShellSpec, CrossListSpec, SectionSpec


def shell_spec(sis: str, template: int | None = None) -> CourseShellSpec:
    return CourseShellSpec(
        sis_course_id=sis, name=f"Biology {sis}", course_code="BIO-101", template_course_id=template
    )


def test_ensure_course_shell_is_idempotent_by_sis_id(client: CanvasClient) -> None:
    sis = unique("SHELL")
    first = ensure_course_shell(client, shell_spec(sis))
    again = ensure_course_shell(client, shell_spec(sis))

    assert first.created and not again.created
    assert first.course.id == again.course.id and first.course.sis_course_id == sis
    matching = [c for c in client.account.get_courses() if c.sis_course_id == sis]
    assert len(matching) == 1


def test_course_shell_copies_the_template_once(client: CanvasClient) -> None:
    template = client.account.create_course(course={"name": "Template", "course_code": "TPL"})
    template.create_assignment({"name": "Essay 1", "points_possible": 10, "published": True})
    template.create_assignment({"name": "Quiz 1", "points_possible": 5, "published": True})
    sis = unique("COPY")

    shell = ensure_course_shell(client, shell_spec(sis, template.id))
    again = ensure_course_shell(client, shell_spec(sis, template.id))

    assert shell.template_copy is not None and shell.template_copy.workflow_state == "completed"
    assert again.template_copy is not None and again.template_copy.id == shell.template_copy.id
    course = get_course(client, sis)
    assert sorted(a.name for a in course.get_assignments()) == ["Essay 1", "Quiz 1"]
    assert len(list(course.get_content_migrations())) == 1


def test_a_create_refused_for_a_taken_sis_id_fetches_the_winner(client: CanvasClient) -> None:
    sis = unique("RACE")
    winner = client.account.create_course(course={"name": "won", "sis_course_id": sis})
    looks = iter([False])

    def find_after_a_stale_look():
        # The first look happens "before the other worker created it": it sees nothing.
        if next(looks, True) is False:
            raise CanvasNotFound("course", sis_id=sis)
        return get_course(client, sis)

    course, created = find_or_create(
        client,
        find_after_a_stale_look,
        lambda: client.account.create_course(course={"name": "lost", "sis_course_id": sis}),
    )
    assert (course.id, created) == (winner.id, False)


def test_a_refusal_that_is_not_a_race_stays_a_refusal(client: CanvasClient) -> None:
    spec = CourseShellSpec(
        sis_course_id=unique("BADTERM"), name="x", course_code="x", term_id="sis_term_id:NOPE"
    )
    with pytest.raises(CanvasRejected, match="term"):
        ensure_course_shell(client, spec)


def test_ensure_section_and_crosslist(client: CanvasClient) -> None:
    sis_course, _ = make_section(client, "XL-HOME")
    target_course, _ = make_section(client, "XL-GROUP")
    sis_section = unique("CRN")
    spec = SectionSpec(sis_course_id=sis_course, sis_section_id=sis_section, name="BIO 101 01")

    section = ensure_section(client, spec)
    assert ensure_section(client, spec) == section
    home = get_course(client, sis_course)
    group = get_course(client, target_course)
    assert section.course_id == home.id

    moved = ensure_crosslist(
        client, CrossListSpec(sis_section_id=sis_section, sis_course_id=target_course)
    )
    assert moved.course_id == group.id and moved.nonxlist_course_id == home.id
    assert (
        ensure_crosslist(
            client, CrossListSpec(sis_section_id=sis_section, sis_course_id=target_course)
        )
        == moved
    )

    back = undo_crosslist(client, sis_section)
    assert back.course_id == home.id and back.nonxlist_course_id is None
    assert undo_crosslist(client, sis_section) == back
    assert find_section(client, sis_section) == back


def test_section_in_a_missing_course_is_not_found(client: CanvasClient) -> None:
    spec = SectionSpec(sis_course_id="NO-COURSE", sis_section_id=unique("S"), name="x")
    with pytest.raises(CanvasNotFound) as caught:
        ensure_section(client, spec)
    assert (caught.value.kind, caught.value.sis_id) == ("course", "NO-COURSE")


def test_course_grading_standard(client: CanvasClient) -> None:
    sis, _ = make_section(client, "GRADING")
    assert course_grading_standard(client, sis) is None
    course = get_course(client, sis)
    standard = course.add_grading_standards(
        "Letters",
        [{"name": "A", "value": 90}, {"name": "B", "value": 80}, {"name": "F", "value": 0}],
    )
    course.update(course={"grading_standard_id": standard.id})

    scheme = course_grading_standard(client, sis)

    assert scheme is not None and scheme.id == standard.id and scheme.title == "Letters"
    assert [(e.name, e.value) for e in scheme.grading_scheme] == [
        ("A", 0.9),
        ("B", 0.8),
        ("F", 0.0),
    ]
