"""Error statuses and bodies as real Canvas answers them, single-object reads, and Live Events
for SIS-imported enrollments, all through canvasapi over HTTP.

Where each status comes from in canvas-lms is cited in the simulator code; in short: Canvas's
controllers answer their own validation failures with 400, 422 only comes from an unrescued
``save!`` (Rails' RecordInvalid), and none of the simulated endpoints has a path to 409.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
import requests
from canvasapi import Canvas
from canvasapi.exceptions import BadRequest, ResourceDoesNotExist, UnprocessableEntity

from sandbox.canvas.testing import SimulatorHandle, free_port, running_simulator
from tests.canvas_sim.test_sis_import import _run, _zip

TERMS = "term_id,name,status\nT1,Fall 2026,active\n"
USERS = "user_id,login_id,first_name,last_name,status\n" + "".join(
    f"L{i},l{i},First{i},Last{i},active\n" for i in range(4)
)
COURSES = "course_id,short_name,long_name,account_id,term_id,status\nLC1,LIV 1,Live,,T1,active\n"
SECTIONS = "section_id,course_id,name,status\nLS1,LC1,LIV 01,active\n"


def _enrollments(statuses: dict[int, str]) -> str:
    return "course_id,section_id,user_id,role,status\n" + "".join(
        f",LS1,L{i},student,{status}\n" for i, status in statuses.items()
    )


# --- 422 (RecordInvalid) and Canvas's 400 bodies on SIS imports ---------------------------


def test_overlong_diffing_identifier_is_422_record_invalid(canvas: Canvas, tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(USERS)
    with pytest.raises(UnprocessableEntity) as caught:
        canvas.get_account(1).create_sis_import(str(path), diffing_data_set_identifier="x" * 129)
    body = json.loads(caught.value.message)
    error = body["errors"]["diffing_data_set_identifier"][0]
    assert (error["attribute"], error["type"]) == ("diffing_data_set_identifier", "too_long")
    assert list(canvas.get_account(1).get_sis_imports()) == []  # nothing was queued


def test_batch_mode_with_unknown_term_is_canvas_400(canvas: Canvas, tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text(USERS)
    with pytest.raises(BadRequest) as caught:
        canvas.get_account(1).create_sis_import(
            str(path), batch_mode=True, batch_mode_term_id="sis_term_id:NOPE"
        )
    assert json.loads(caught.value.message) == {
        "message": "Batch mode specified, but the given batch_mode_term_id cannot be found."
    }


def test_unreadable_zip_fails_the_import_instead_of_refusing(
    canvas: Canvas, tmp_path: Path
) -> None:
    result = _run(canvas, tmp_path, "broken.zip", b"PK\x03\x04 this is not a zip")
    assert result.workflow_state == "failed_with_messages"
    assert result.processing_errors and "broken.zip" in result.processing_errors[0][0]


def test_aborting_a_finished_import_is_404(canvas: Canvas, tmp_path: Path) -> None:
    result = _run(canvas, tmp_path, "users.csv", USERS.encode())
    assert result.workflow_state == "imported"
    with pytest.raises(ResourceDoesNotExist):
        result.abort()


# --- Enrollments and grading standards by id ---------------------------------------------


def test_account_get_enrollment(canvas: Canvas) -> None:
    root = canvas.get_account(1)
    course = root.create_course(course={"name": "Solo"})
    user = root.create_user({"unique_id": "solo1"}, user={"name": "Solo One"})
    made = course.enroll_user(user, enrollment={"enrollment_state": "active"})
    made.deactivate("delete")  # any state can be read by id
    got = root.get_enrollment(made.id)
    assert (got.id, got.user_id, got.course_id) == (made.id, user.id, course.id)
    assert got.enrollment_state == "deleted" and got.type == "StudentEnrollment"
    other = root.create_subaccount(account={"name": "Elsewhere"})
    with pytest.raises(ResourceDoesNotExist):
        other.get_enrollment(made.id)
    with pytest.raises(ResourceDoesNotExist):
        root.get_enrollment(987654)


def test_get_single_grading_standard(canvas: Canvas) -> None:
    root = canvas.get_account(1)
    course, other = (root.create_course(course={"name": n}) for n in ("Graded", "Other"))
    scheme = [{"name": "P", "value": 60}, {"name": "F", "value": 0}]
    own = course.add_grading_standards("Pass/Fail", scheme)
    shared = root.add_grading_standards("Shared", scheme)
    got = course.get_single_grading_standard(own.id)
    assert (got.id, got.title, got.context_type) == (own.id, "Pass/Fail", "Course")
    assert [g["name"] for g in got.grading_scheme] == ["P", "F"]
    assert course.get_single_grading_standard(shared.id).title == "Shared"
    assert root.get_single_grading_standard(shared.id).context_type == "Account"
    with pytest.raises(ResourceDoesNotExist):
        other.get_single_grading_standard(own.id)
    with pytest.raises(ResourceDoesNotExist):
        root.get_single_grading_standard(own.id)


# --- Conversations and enrollments: Canvas's 400 bodies ---------------------------------


def test_conversation_refusals_are_canvas_400_arrays(canvas: Canvas) -> None:
    with pytest.raises(BadRequest) as caught:
        canvas.create_conversation(["987654"], "hello", subject="s")
    assert json.loads(caught.value.message) == [{"attribute": "recipients", "message": "invalid"}]
    with pytest.raises(BadRequest) as caught:
        canvas.create_conversation(["sis_user_id:NOBODY"], "hello")
    assert json.loads(caught.value.message)[0]["message"] == "invalid"
    user = canvas.get_account(1).create_user({"unique_id": "talk1"}, user={"name": "Talk"})
    with pytest.raises(BadRequest) as caught:
        canvas.create_conversation([str(user.id)], "")
    assert json.loads(caught.value.message) == [{"attribute": "body", "message": "blank"}]
    with pytest.raises(BadRequest) as caught:
        canvas.create_conversation([str(user.id)], "hello", subject="s" * 256)
    assert json.loads(caught.value.message)["errors"]["subject"][0]["type"] == "too_long"


def test_conversation_is_201_and_drops_unknown_recipients_among_known(
    canvas: Canvas, sim: SimulatorHandle
) -> None:
    user = canvas.get_account(1).create_user({"unique_id": "talk2"}, user={"name": "Talk Two"})
    sent = canvas.create_conversation([str(user.id), "987654"], "hello", subject="s")
    assert [c.audience for c in sent] == [[user.id]]
    response = requests.post(
        f"{sim.base_url}/api/v1/conversations",
        data={"recipients[]": [str(user.id)], "body": "again"},
        headers={"Authorization": f"Bearer {sim.token}"},
        timeout=10,
    )
    assert response.status_code == 201 and isinstance(response.json(), list)


def test_invalid_enrollment_type_is_canvas_400(canvas: Canvas) -> None:
    root = canvas.get_account(1)
    course = root.create_course(course={"name": "Typed"})
    user = root.create_user({"unique_id": "typed1"}, user={"name": "Typed"})
    with pytest.raises(BadRequest) as caught:
        course.enroll_user(user, enrollment={"type": "WizardEnrollment"})
    assert json.loads(caught.value.message) == {"message": "Invalid type"}


# --- Live Events for SIS-imported enrollments --------------------------------------------


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        _Receiver.received.append(json.loads(body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return None


@pytest.fixture
def receiver() -> Iterator[str]:
    _Receiver.received = []
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/events"
    server.shutdown()


def _events_since(sim: SimulatorHandle, start: int) -> list[tuple[str, str, str]]:
    assert sim.drain_live_events()
    time.sleep(0.05)
    return sorted(
        (e["metadata"]["event_name"], e["body"]["user_id"], e["body"]["workflow_state"])
        for e in _Receiver.received[start:]
    )


def test_sis_import_sends_enrollment_live_events(tmp_path: Path, receiver: str) -> None:
    live = {"webhook_url": receiver, "retry_delay_s": 0.01}
    with running_simulator(tmp_path / "c.db", live_events=live) as sim:
        canvas = Canvas(sim.base_url, sim.token)
        files = {
            "terms.csv": TERMS,
            "users.csv": USERS,
            "courses.csv": COURSES,
            "sections.csv": SECTIONS,
            "enrollments.csv": _enrollments({0: "active", 1: "active", 2: "active"}),
        }
        assert _run(canvas, tmp_path, "seed.zip", _zip(files)).workflow_state == "imported"
        ids = {u: str(canvas.get_user(f"L{u}", "sis_user_id").id) for u in range(4)}
        first = _events_since(sim, 0)
        assert first == sorted(("enrollment_created", ids[u], "active") for u in range(3))
        sample = _Receiver.received[0]
        assert sample["metadata"]["context_type"] == "Course"
        assert sample["body"]["course_section_id"] and sample["body"]["enrollment_id"]

        # Same rows again: Canvas's observer ignores updated_at/sis_batch_id-only saves.
        seen = len(_Receiver.received)
        again = _enrollments({0: "active", 1: "active", 2: "active"})
        assert _run(canvas, tmp_path, "same.csv", again.encode()).workflow_state == "imported"
        assert _events_since(sim, seen) == []

        # One concluded, one new: exactly those two events.
        seen = len(_Receiver.received)
        changed = _enrollments({0: "active", 1: "completed", 2: "active", 3: "active"})
        assert _run(canvas, tmp_path, "chg.csv", changed.encode()).workflow_state == "imported"
        assert _events_since(sim, seen) == [
            ("enrollment_created", ids[3], "active"),
            ("enrollment_updated", ids[1], "completed"),
        ]

        # Batch mode drops the enrollments it does not mention: updated to deleted.
        seen = len(_Receiver.received)
        batch = {
            "courses.csv": COURSES,
            "sections.csv": SECTIONS,
            "enrollments.csv": _enrollments({0: "active", 1: "completed", 2: "active"}),
        }
        result = _run(
            canvas,
            tmp_path,
            "batch.zip",
            _zip(batch),
            batch_mode=True,
            batch_mode_term_id="sis_term_id:T1",
        )
        assert result.workflow_state == "imported"
        assert _events_since(sim, seen) == [("enrollment_updated", ids[3], "deleted")]


def test_sis_import_without_webhook_sends_nothing(
    canvas: Canvas, sim: SimulatorHandle, tmp_path: Path
) -> None:
    files = {
        "terms.csv": TERMS,
        "users.csv": USERS,
        "courses.csv": COURSES,
        "sections.csv": SECTIONS,
        "enrollments.csv": _enrollments({0: "active"}),
    }
    assert _run(canvas, tmp_path, "seed.zip", _zip(files)).workflow_state == "imported"
    assert sim.sim.events.stats["queued"] == 0
