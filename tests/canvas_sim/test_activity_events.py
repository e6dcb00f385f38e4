"""Activity simulation (deterministic by seed) and signed Live Events received over HTTP."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import httpx
import jwt
import pytest
from canvasapi import Canvas

from sandbox.canvas.testing import free_port, running_simulator

START = "2026-01-05T00:00:00Z"


def _course(canvas: Canvas, students: int = 8):
    account = canvas.get_account(1)
    course = account.create_course(course={"name": "History", "sis_course_id": "HIST"})
    for i in range(students):
        user = account.create_user({"unique_id": f"h{i}"}, user={"name": f"H {i}"})
        course.enroll_user(user, enrollment={"enrollment_state": "active"})
    return course


def _simulate(sim, course_id: int, seed: int) -> dict:
    response = httpx.post(
        f"{sim.base_url}/sim/courses/{course_id}/activity",
        json={"days": 21, "seed": seed, "start": START},
        headers={"Authorization": f"Bearer {sim.token}"},
    )
    response.raise_for_status()
    return response.json()


def _observed(canvas: Canvas, course_id: int):
    course = canvas.get_course(course_id)
    subs = sorted(
        (s.user_id, s.assignment_id, s.submitted_at, s.score, s.late, s.missing)
        for s in course.get_multiple_submissions(student_ids=["all"])
    )
    summaries = sorted(
        (s.id, s.page_views, s.participations, tuple(s.tardiness_breakdown.items()))
        for s in course.get_course_level_student_summary_data()
    )
    grades = sorted(
        (e.user_id, e.grades["final_score"], e.last_activity_at) for e in course.get_enrollments()
    )
    return subs, summaries, grades


def test_activity_is_deterministic_by_seed(tmp_path: Path) -> None:
    runs = []
    for name, seed in (("a", 7), ("b", 7), ("c", 8)):
        with running_simulator(tmp_path / f"{name}.db") as sim:
            canvas = Canvas(sim.base_url, sim.token)
            course = _course(canvas)
            summary = _simulate(sim, course.id, seed)
            runs.append((summary, _observed(canvas, course.id)))
    (first, seen_a), (second, seen_b), (_, seen_c) = runs
    assert first == second and seen_a == seen_b
    assert first["assignments_created"] == 3 and first["students"] == 8
    assert first["page_views"] > 0 and first["on_time"] + first["late"] + first["missing"] == 24
    assert seen_c != seen_a
    subs, _, grades = seen_a
    assert any(s[4] for s in subs) and any(s[5] for s in subs) == (first["missing"] > 0)
    assert all(g[2] is not None for g in grades if g[1])


class _Receiver(BaseHTTPRequestHandler):
    received: ClassVar[list[tuple[str, bytes]]] = []
    fail_first = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if _Receiver.fail_first > 0:
            _Receiver.fail_first -= 1
            self.send_response(500)
        else:
            _Receiver.received.append((self.headers["Content-Type"], body))
            self.send_response(204)
        self.end_headers()

    def log_message(self, *args) -> None:
        return None


@pytest.fixture
def receiver():
    _Receiver.received = []
    _Receiver.fail_first = 1
    server = ThreadingHTTPServer(("127.0.0.1", free_port()), _Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/canvas/events"
    server.shutdown()


def test_signed_live_events_at_least_once(tmp_path: Path, receiver: str) -> None:
    key = "test-signing-key-of-32-bytes-long!"
    live = {
        "webhook_url": receiver,
        "signing_key": key,
        "duplicate_share": 1.0,
        "reorder_window": 4,
        "retry_delay_s": 0.01,
        "seed": 3,
    }
    with running_simulator(tmp_path / "c.db", live_events=live) as sim:
        canvas = Canvas(sim.base_url, sim.token)
        account = canvas.get_account(1)
        course = account.create_course(course={"name": "Art"})
        user = account.create_user({"unique_id": "art1", "sis_user_id": "ART1"})
        enrollment = course.enroll_user(user, enrollment={"enrollment_state": "active"})
        enrollment.deactivate("conclude")
        hw = course.create_assignment({"name": "Sketch", "points_possible": 10})
        hw.submit({"submission_type": "online_text_entry", "body": "b", "user_id": user.id})
        hw.get_submission(user.id).edit(submission={"posted_grade": "8"})
        assert sim.drain_live_events()
    events = []
    for content_type, body in _Receiver.received:
        assert content_type == "application/jwt"
        assert jwt.get_unverified_header(body.decode())["kid"] == "sim-1"
        events.append(jwt.decode(body.decode(), key, algorithms=["HS256"]))
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(_Receiver.received[0][1].decode(), "x" * 32, algorithms=["HS256"])
    names = {e["metadata"]["event_name"] for e in events}
    assert names == {
        "enrollment_created",
        "enrollment_updated",
        "submission_created",
        "submission_updated",
        "grade_change",
    }
    unique = {json.dumps([e["metadata"], e["body"]], sort_keys=True) for e in events}
    assert len(unique) == 5 and len(events) == 10  # every event arrived, each twice
    assert sim.sim.events.stats["failed"] == 0  # the first POST got a 500 and was retried
    grade = next(e for e in events if e["metadata"]["event_name"] == "grade_change")
    assert grade["body"]["student_id"] == str(user.id) and grade["body"]["score"] == 8.0
    assert grade["body"]["student_sis_id"] == "ART1"
    meta = grade["metadata"]
    assert meta["context_type"] == "Course" and meta["context_id"] == str(course.id)
    assert meta["root_account_id"] == "1" and meta["request_id"] and meta["event_time"]


def test_live_events_name_the_course_sis_id_only_when_it_has_one(
    tmp_path: Path, receiver: str
) -> None:
    """Receivers address a course by its SIS id; without one Canvas leaves the key out."""
    live = {"webhook_url": receiver, "retry_delay_s": 0.01}
    sis_of: dict[str, str | None] = {}
    with running_simulator(tmp_path / "c.db", live_events=live) as sim:
        canvas = Canvas(sim.base_url, sim.token)
        account = canvas.get_account(1)
        user = account.create_user({"unique_id": "sis1", "sis_user_id": "A00000001"})
        for sis_id in ("202610-10001", None):
            named = {"sis_course_id": sis_id} if sis_id else {}
            course = account.create_course(course={"name": "Algebra", **named})
            course.enroll_user(user, enrollment={"enrollment_state": "active"})
            hw = course.create_assignment({"name": "Proofs", "points_possible": 10})
            hw.submit({"submission_type": "online_text_entry", "body": "b", "user_id": user.id})
            hw.get_submission(user.id).edit(submission={"posted_grade": "8"})
            sis_of[str(course.id)] = sis_id
        assert sim.drain_live_events()
    metadata = [json.loads(body)["metadata"] for _, body in _Receiver.received]
    for course_id, sis_id in sis_of.items():
        sent = [m for m in metadata if m["context_id"] == course_id]
        names = {m["event_name"] for m in sent}
        assert {"enrollment_created", "submission_created", "grade_change"} <= names
        assert all(m["context_type"] == "Course" for m in sent)
        if sis_id is None:
            assert not any("context_sis_source_id" in m for m in sent)
        else:
            assert all(m["context_sis_source_id"] == sis_id for m in sent)
