"""SIS imports through the tool: typed rows in, typed result out, bad rows with row numbers,
and Canvas's change_threshold refusing a mass deletion."""

from __future__ import annotations

from tests.canvas_tools.helpers import unique
from tools.canvas.client import CanvasClient
from tools.canvas.enrollments import list_enrollments
from tools.canvas.lookup import find_course, find_section, find_user
from tools.canvas.models import (
    EnrollmentQuery,
    SisCourseRow,
    SisEnrollmentRow,
    SisImportSpec,
    SisSectionRow,
    SisUserRow,
    SisXlistRow,
)
from tools.canvas.sis_imports import run_sis_import


def roster(tag: str, students: int, term: str | None = None) -> SisImportSpec:
    users = [
        SisUserRow(user_id=f"{tag}-U{n}", login_id=f"{tag}-u{n}", full_name=f"S {n}")
        for n in range(students)
    ]
    return SisImportSpec(
        users=users,
        courses=[
            SisCourseRow(course_id=f"{tag}-C", short_name="BIO", long_name="Biology", term_id=term)
        ],
        sections=[SisSectionRow(section_id=f"{tag}-S", course_id=f"{tag}-C", name="BIO 01")],
        enrollments=[SisEnrollmentRow(section_id=f"{tag}-S", user_id=u.user_id) for u in users],
    )


def test_import_users_courses_sections_enrollments_and_xlists(client: CanvasClient) -> None:
    tag = unique("SIS")
    spec = roster(tag, 5).model_copy(
        update={
            "courses": [
                *roster(tag, 0).courses,
                SisCourseRow(course_id=f"{tag}-XL", short_name="XL", long_name="Group"),
            ],
            "xlists": [SisXlistRow(xlist_course_id=f"{tag}-XL", section_id=f"{tag}-S")],
        }
    )

    result = run_sis_import(client, spec)

    assert result.workflow_state == "imported" and result.succeeded
    assert result.errors == [] and result.warnings == []
    assert result.counts["users"] == 5 and result.counts["enrollments"] == 5
    assert find_user(client, f"{tag}-U3").name == "S 3"
    assert find_section(client, f"{tag}-S").course_id == find_course(client, f"{tag}-XL").id
    listed = list_enrollments(client, EnrollmentQuery(sis_id=f"{tag}-S", scope="section"))
    assert sorted(e.sis_user_id or "" for e in listed) == sorted(f"{tag}-U{n}" for n in range(5))


def test_bad_rows_come_back_as_processing_errors_with_row_numbers(client: CanvasClient) -> None:
    tag = unique("BAD")
    spec = roster(tag, 2).model_copy(
        update={"users": [*roster(tag, 2).users, SisUserRow(user_id=f"{tag}-U9", login_id="")]}
    )

    result = run_sis_import(client, spec)

    assert result.workflow_state == "imported_with_messages" and result.succeeded
    assert [(m.file, "Row 4" in m.message) for m in result.errors] == [("users.csv", True)]
    assert find_user(client, f"{tag}-U1").sis_user_id == f"{tag}-U1"


def test_change_threshold_refuses_a_mass_deletion(client: CanvasClient) -> None:
    tag = unique("BATCH")
    term = f"{tag}-T"
    client.account.create_enrollment_term(enrollment_term={"name": term, "sis_term_id": term})
    full = roster(tag, 10, term=term)
    assert run_sis_import(
        client, full.model_copy(update={"batch_mode_term_id": f"sis_term_id:{term}"})
    ).succeeded

    almost_empty = full.model_copy(
        update={
            "enrollments": full.enrollments[:1],
            "batch_mode_term_id": f"sis_term_id:{term}",
            "change_threshold": 10,
        }
    )
    refused = run_sis_import(client, almost_empty)

    assert refused.workflow_state == "failed_with_messages" and not refused.succeeded
    assert any("change_threshold" in m.message for m in refused.errors + refused.warnings)
    listed = list_enrollments(client, EnrollmentQuery(sis_id=f"{tag}-S", scope="section"))
    assert len(listed) == 10
