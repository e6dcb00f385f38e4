"""SIS imports through canvasapi: asynchronous states, row errors, batch mode, threshold."""

from __future__ import annotations

import io
import time
import zipfile
from pathlib import Path

from canvasapi import Canvas

USERS = "user_id,login_id,first_name,last_name,email,status\n" + "".join(
    f"U{i},u{i},First{i},Last{i},u{i}@example.edu,active\n" for i in range(6)
)
COURSES = (
    "course_id,short_name,long_name,account_id,term_id,status\n"
    "C1,BIO 101,Biology,,T1,active\nC2,CHEM 101,Chemistry,,T1,active\n"
)
SECTIONS = "section_id,course_id,name,status\nS1,C1,BIO 01,active\nS2,C2,CHEM 01,active\n"


def _enrollments(users: range) -> str:
    return "course_id,section_id,user_id,role,status\n" + "".join(
        f",S1,U{i},student,active\n" for i in users
    )


def _zip(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def _run(canvas: Canvas, tmp_path: Path, name: str, payload: bytes, **kwargs):
    path = tmp_path / name
    path.write_bytes(payload)
    account = canvas.get_account(1)
    started = account.create_sis_import(str(path), **kwargs)
    assert started.workflow_state in {"created", "importing", "imported"}
    deadline = time.monotonic() + 60
    while True:
        current = account.get_sis_import(started.id)
        if current.workflow_state not in {"created", "importing"}:
            return current
        assert time.monotonic() < deadline, "SIS import did not finish"
        time.sleep(0.05)


def _seed(canvas: Canvas, tmp_path: Path, enrolled: range):
    terms = "term_id,name,status\nT1,Fall 2026,active\n"
    files = {
        "terms.csv": terms,
        "users.csv": USERS,
        "courses.csv": COURSES,
        "sections.csv": SECTIONS,
        "enrollments.csv": _enrollments(enrolled),
    }
    result = _run(canvas, tmp_path, "seed.zip", _zip(files))
    assert result.workflow_state == "imported", getattr(result, "processing_errors", None)
    return result


def test_zip_import_creates_everything(canvas: Canvas, tmp_path: Path) -> None:
    result = _seed(canvas, tmp_path, range(6))
    assert result.data["counts"]["users"] == 6 and result.data["counts"]["enrollments"] == 6
    assert result.progress == 100
    course = canvas.get_course("C1", use_sis_id=True)
    assert course.enrollment_term_id == canvas.get_account(1).get_enrollment_terms()[1].id
    enrolled = {e.sis_user_id for e in course.get_enrollments(state=["active"])}
    assert enrolled == {f"U{i}" for i in range(6)}
    assert canvas.get_user("U3", "sis_user_id").login_id == "u3"
    imports = canvas.get_account(1).get_sis_imports()
    assert [i.id for i in imports] == [result.id]


def test_bad_row_reports_its_row_number(canvas: Canvas, tmp_path: Path) -> None:
    users = "user_id,login_id,first_name,last_name,status\nX1,x1,A,B,active\nX2,,C,D,active\n"
    result = _run(canvas, tmp_path, "users.csv", users.encode())
    assert result.workflow_state == "imported_with_messages"
    assert result.processing_errors == [["users.csv", "Row 3: No login_id given for user X2"]]
    assert canvas.get_user("X1", "sis_user_id").name == "A B"


def test_unknown_reference_is_a_warning(canvas: Canvas, tmp_path: Path) -> None:
    _seed(canvas, tmp_path, range(2))
    result = _run(
        canvas, tmp_path, "e.csv", b"course_id,user_id,role,status\nC1,NOPE,student,active\n"
    )
    assert result.workflow_state == "imported_with_messages"
    assert result.processing_warnings[0][1].startswith("Row 2: User not found")


def test_batch_mode_deletes_what_the_batch_omits(canvas: Canvas, tmp_path: Path) -> None:
    _seed(canvas, tmp_path, range(6))
    term = canvas.get_account(1).get_enrollment_terms()[1]
    batch = _zip(
        {
            "courses.csv": COURSES,
            "sections.csv": SECTIONS,
            "enrollments.csv": _enrollments(range(5)),
        }
    )
    result = _run(
        canvas,
        tmp_path,
        "batch.zip",
        batch,
        batch_mode=True,
        batch_mode_term_id=term.id,
        change_threshold=50,
    )
    assert result.workflow_state == "imported"
    assert result.data["counts"]["batch_enrollments_deleted"] == 1
    section = canvas.get_section("S1", use_sis_id=True)
    deleted = [e.sis_user_id for e in section.get_enrollments(state=["deleted"])]
    assert deleted == ["U5"]


def test_change_threshold_refuses_mass_deletion(canvas: Canvas, tmp_path: Path) -> None:
    _seed(canvas, tmp_path, range(6))
    batch = _zip(
        {"courses.csv": COURSES, "enrollments.csv": _enrollments(range(1)).replace("S1", "S2")}
    )
    result = _run(
        canvas,
        tmp_path,
        "empty.zip",
        batch,
        batch_mode=True,
        batch_mode_term_id="sis_term_id:T1",
        change_threshold=10,
    )
    assert result.workflow_state == "failed_with_messages"
    assert "change_threshold" in result.processing_errors[-1][1]
    section = canvas.get_section("S1", use_sis_id=True)
    assert len(list(section.get_enrollments(state=["active"]))) == 6
    assert list(canvas.get_section("S2", use_sis_id=True).get_enrollments()) == []


def test_users_csv_integration_id_and_suspended_login(canvas: Canvas, tmp_path: Path) -> None:
    header = "user_id,login_id,integration_id,full_name,status\n"
    first = _run(canvas, tmp_path, "u1.csv", (header + "G1,g1,INT-G1,Carl Gauss,active\n").encode())
    assert first.workflow_state == "imported", getattr(first, "processing_errors", None)
    user = canvas.get_user("G1", "sis_user_id")
    assert (user.integration_id, user.workflow_state) == ("INT-G1", "registered")

    again = _run(canvas, tmp_path, "u2.csv", (header + "G1,g1,,Carl Gauss,suspended\n").encode())
    assert again.workflow_state == "imported", getattr(again, "processing_errors", None)
    user = canvas.get_user("G1", "sis_user_id")  # the user stays, its login suspended
    assert (user.integration_id, user.workflow_state) == ("INT-G1", "suspended")
    assert [u.id for u in canvas.get_account(1).get_users(search_term="G1")] == [user.id]

    clash = _run(canvas, tmp_path, "u3.csv", (header + "G2,g2,INT-G1,Other,active\n").encode())
    assert "integration_id INT-G1" in str(getattr(clash, "processing_errors", None))
