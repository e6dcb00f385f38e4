"""Users, terms, courses, sections and enrollments through the real canvasapi client."""

from __future__ import annotations

import pytest
from canvasapi import Canvas
from canvasapi.exceptions import BadRequest, InvalidAccessToken, ResourceDoesNotExist


def _setup(canvas: Canvas):
    account = canvas.get_account(1)
    user = account.create_user(
        {"unique_id": "jdoe", "sis_user_id": "A00000001"}, user={"name": "Jane Doe"}
    )
    term = account.create_enrollment_term(enrollment_term={"name": "Fall", "sis_term_id": "202610"})
    course = account.create_course(
        course={
            "name": "Biology",
            "course_code": "BIO 101",
            "sis_course_id": "202610-BIO101",
            "term_id": term.id,
        }
    )
    section = course.create_course_section(
        course_section={"name": "BIO 101 01", "sis_section_id": "202610.10001"}
    )
    return account, user, term, course, section


def test_sis_id_addressing(canvas: Canvas) -> None:
    account, user, term, course, section = _setup(canvas)
    assert canvas.get_user("A00000001", "sis_user_id").id == user.id
    assert canvas.get_course("202610-BIO101", use_sis_id=True).id == course.id
    assert canvas.get_section("202610.10001", use_sis_id=True).id == section.id
    sub = account.create_subaccount(account={"name": "Science", "sis_account_id": "SCI"})
    assert canvas.get_account("SCI", use_sis_id=True).id == sub.id
    assert course.enrollment_term_id == term.id
    terms = account.get_enrollment_terms()
    assert [t.sis_term_id for t in terms] == [None, "202610"]


def test_duplicate_sis_ids_are_400(canvas: Canvas) -> None:
    account, *_ = _setup(canvas)
    with pytest.raises(BadRequest, match="is already in use"):
        account.create_course(course={"name": "Again", "sis_course_id": "202610-BIO101"})
    with pytest.raises(BadRequest, match="already in use"):
        account.create_user({"unique_id": "other", "sis_user_id": "A00000001"})


def test_missing_objects_are_404(canvas: Canvas) -> None:
    with pytest.raises(ResourceDoesNotExist):
        canvas.get_user("nobody", "sis_user_id")
    with pytest.raises(ResourceDoesNotExist):
        canvas.get_course(999)
    with pytest.raises(ResourceDoesNotExist):
        canvas.get_section("nope", use_sis_id=True)


def test_bad_token_is_401_with_json_and_www_authenticate(sim) -> None:
    bad = Canvas(sim.base_url, "wrong")
    with pytest.raises(InvalidAccessToken) as caught:
        bad.get_account(1)
    assert caught.value.message == [{"message": "Invalid access token."}]


def test_course_update_events_and_delete(canvas: Canvas) -> None:
    account, _, _, course, _ = _setup(canvas)
    assert course.workflow_state == "unpublished"
    course.update(course={"event": "offer", "name": "Biology I"})
    assert canvas.get_course(course.id).workflow_state == "available"
    assert course.name == "Biology I"
    assert course.conclude() is True
    assert canvas.get_course(course.id).workflow_state == "completed"
    assert course.delete() is True
    assert canvas.get_course(course.id).workflow_state == "deleted"
    assert [c.id for c in account.get_courses()] == []
    assert [c.id for c in account.get_courses(state=["deleted"])] == [course.id]


def test_enrollment_lifecycle_and_idempotent_create(canvas: Canvas) -> None:
    _, user, _, course, section = _setup(canvas)
    first = section.enroll_user(user, enrollment={"enrollment_state": "active"})
    again = course.enroll_user(
        user.id,
        enrollment={
            "type": "StudentEnrollment",
            "course_section_id": section.id,
            "enrollment_state": "active",
        },
    )
    assert again.id == first.id
    # canvasapi's enroll_user only takes ids; the raw requester sends a SIS id as Canvas allows.
    by_sis = canvas._Canvas__requester.request(
        "POST",
        "courses/sis_course_id:202610-BIO101/enrollments",
        **{
            "enrollment[user_id]": "sis_user_id:A00000001",
            "enrollment[course_section_id]": "sis_section_id:202610.10001",
        },
    ).json()
    assert by_sis["id"] == first.id
    assert first.sis_section_id == "202610.10001" and first.enrollment_state == "active"
    teacher = course.enroll_user(user, enrollment={"type": "TeacherEnrollment"})
    assert teacher.enrollment_state == "invited" and teacher.id != first.id
    assert [e.id for e in course.get_enrollments(type=["StudentEnrollment"])] == [first.id]
    assert [u.id for u in course.get_users(enrollment_type=["teacher"])] == [user.id]
    assert list(course.get_users(search_term="nobody")) == []
    assert first.deactivate("inactivate").enrollment_state == "inactive"
    assert first.reactivate().enrollment_state == "active"
    assert first.deactivate("conclude").enrollment_state == "completed"
    assert [e.id for e in course.get_enrollments(state=["completed"])] == [first.id]
    assert first.deactivate("delete").enrollment_state == "deleted"
    assert [e.id for e in user.get_enrollments(state=["deleted"])] == [first.id]
    assert [e.id for e in section.get_enrollments(user_id=user.id, state=["deleted"])] == [first.id]


def test_crosslist_and_decrosslist(canvas: Canvas) -> None:
    account, user, _, course, section = _setup(canvas)
    target = account.create_course(course={"name": "Combined", "sis_course_id": "XL-1"})
    enrollment = section.enroll_user(user, enrollment={"enrollment_state": "active"})
    moved = section.cross_list_section(target)
    assert moved.course_id == target.id and moved.nonxlist_course_id == course.id
    assert [e.id for e in target.get_enrollments()] == [enrollment.id]
    back = moved.decross_list_section()
    assert back.course_id == course.id and back.nonxlist_course_id is None
    assert [e.id for e in course.get_enrollments()] == [enrollment.id]
