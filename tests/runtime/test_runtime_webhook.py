"""POST /webhooks/canvas: signed, unsigned, malformed, oversized, duplicates, replay after a fix."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import jwt
import pytest
from canvasapi import Canvas
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from agents.events import CanvasEnrollmentChanged, CanvasGradeChange, CanvasSubmission
from core.ids import banner_section_of
from runtime.inbox import Inbox
from runtime.intake.canvas import LiveEventsConfig, parse_body
from runtime.intake.ethos import GuidMap
from runtime.intake.replay import reparser
from runtime.webhooks import RejectionBudget, webhooks_router
from sandbox.canvas.live_events import LiveEvent
from sandbox.canvas.testing import running_simulator

SECRET = "a-shared-secret-of-at-least-32-bytes!"
SANDBOX = LiveEventsConfig(accept_unsigned=True)
"""The explicit sandbox setting under which plain JSON bodies are taken."""


def signed(claims: dict, key: object = SECRET, algorithm: str = "HS256", age_s: int = 0) -> str:
    """A JWT body as Canvas (and the simulator) sends it: the envelope and when it was issued."""
    return jwt.encode({**claims, "iat": int(time.time()) - age_s}, key, algorithm=algorithm)  # type: ignore[arg-type]


def envelope(name: str = "enrollment_created", **body: object) -> dict:
    base = {
        "enrollment_id": "77",
        "course_id": "12",
        "user_id": "501",
        "course_section_id": "34",
        "workflow_state": "active",
        "type": "StudentEnrollment",
    }
    return {
        "metadata": {
            "event_name": name,
            "event_time": "2026-01-12T10:00:00.123Z",
            "request_id": "req-1",
            "root_account_id": "1",
            "context_type": "Course",
            "context_id": "12",
        },
        "body": {**base, **body},
    }


def client_for(inbox: Inbox, config: LiveEventsConfig) -> TestClient:
    app = FastAPI()
    app.include_router(webhooks_router(inbox, config))
    return TestClient(app)


@pytest.fixture
def sqlite_inbox(tmp_path) -> Iterator[Inbox]:
    from core.db import make_engine

    box = Inbox(make_engine(f"sqlite:///{tmp_path}/app.db"))
    box.create_schema()
    yield box


def test_stored_then_duplicate(sqlite_inbox: Inbox) -> None:
    client = client_for(sqlite_inbox, SANDBOX)
    first = client.post("/webhooks/canvas", json=envelope())
    assert first.status_code == 200 and first.json()["status"] == "stored"
    again = client.post("/webhooks/canvas", json=envelope())
    assert again.json() == {"status": "duplicate", "event_id": first.json()["event_id"]}
    event = sqlite_inbox.get(first.json()["event_id"]).event()
    assert event.kind == "canvas.enrollment"
    assert isinstance(event, CanvasEnrollmentChanged)
    assert (event.course_id, event.user_id, event.section_id) == ("12", "501", "34")
    assert event.subject_key == "canvas:12:501"


def test_submission_and_grade_change_mapping() -> None:
    config = SANDBOX
    sub = envelope("submission_created", submission_id="9", assignment_id="4", late=True)
    del sub["body"]["course_id"]
    event = parse_body(json.dumps(sub).encode(), config)
    assert isinstance(event, CanvasSubmission)
    assert (event.kind, event.course_id, event.assignment_id, event.late) == (
        "canvas.submission",
        "12",
        "4",
        True,
    )
    grade = envelope(
        "grade_change",
        assignment_id="4",
        student_id="501",
        student_sis_id="A00000001",
        grade="B",
        old_grade="C",
        score=85.0,
        old_score=75.0,
        submission_id="9",
    )
    grade_event = parse_body(json.dumps(grade).encode(), config)
    assert isinstance(grade_event, CanvasGradeChange)
    assert (
        grade_event.kind,
        grade_event.user_id,
        grade_event.user_sis_id,
        grade_event.grade,
        grade_event.old_score,
    ) == (
        "canvas.grade_change",
        "501",
        "A00000001",
        "B",
        75.0,
    )
    other = envelope("grade_change", assignment_id="4", student_id="502", submission_id="10")
    assert parse_body(json.dumps(other).encode(), config).event_id != grade_event.event_id


def test_unknown_event_name_is_ignored_not_stored(sqlite_inbox: Inbox) -> None:
    client = client_for(sqlite_inbox, SANDBOX)
    response = client.post("/webhooks/canvas", json=envelope("logged_in"))
    assert response.status_code == 200 and response.json()["status"] == "ignored"
    assert sum(sqlite_inbox.counts().values()) == 0


@pytest.mark.parametrize(
    ("body", "code", "reason"),
    [
        (b"{not json", 400, "not JSON"),
        (b"[1, 2]", 400, "not a JSON object"),
        (b"\xff\xfe", 400, "UTF-8"),
        (json.dumps({"metadata": {}, "body": {}}).encode(), 422, "event_name is missing"),
        (json.dumps(envelope(workflow_state=None)).encode(), 422, "workflow_state is missing"),
    ],
)
def test_malformed_is_refused_and_kept(
    sqlite_inbox: Inbox, body: bytes, code: int, reason: str
) -> None:
    client = client_for(sqlite_inbox, SANDBOX)
    response = client.post("/webhooks/canvas", content=body)
    assert response.status_code == code
    assert reason in response.json()["detail"]["reason"]
    kept = sqlite_inbox.get(response.json()["detail"]["event_id"])
    assert (kept.status, kept.raw_body, kept.source) == ("dead", body, "canvas")


def test_oversized_is_413_and_prefix_kept(sqlite_inbox: Inbox) -> None:
    client = client_for(sqlite_inbox, LiveEventsConfig(accept_unsigned=True, max_body_bytes=1000))
    body = json.dumps(envelope(user_name="x" * 5000)).encode()
    response = client.post("/webhooks/canvas", content=body)
    assert response.status_code == 413
    kept = sqlite_inbox.get(response.json()["detail"]["event_id"])
    assert kept.raw_body == body[:1000] and kept.status == "dead"


def test_hs256_signed_required_and_verified(sqlite_inbox: Inbox) -> None:
    config = LiveEventsConfig(jwt_key=SecretStr(SECRET))
    client = client_for(sqlite_inbox, config)
    token = signed(envelope())
    assert client.post("/webhooks/canvas", content=token).json()["status"] == "stored"
    unsigned = client.post("/webhooks/canvas", json=envelope(enrollment_id="78"))
    assert (
        unsigned.status_code == 401 and "signing is required" in unsigned.json()["detail"]["reason"]
    )
    forged = signed(envelope(enrollment_id="79"), "wrong-secret-wrong-secret-wrong-secret")
    assert client.post("/webhooks/canvas", content=forged).status_code == 401
    assert sqlite_inbox.counts() == {
        "received": 1,
        "processing": 0,
        "done": 0,
        "failed": 0,
        "dead": 2,
    }


def test_rs256_and_replay_after_key_fix(sqlite_inbox: Inbox) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    token = signed(envelope(), key, "RS256")
    wrong_key = LiveEventsConfig(jwt_key=SecretStr(SECRET))
    refused = client_for(sqlite_inbox, wrong_key).post("/webhooks/canvas", content=token)
    assert refused.status_code == 401
    dead_id = refused.json()["detail"]["event_id"]
    fixed = reparser(
        canvas_config=LiveEventsConfig(jwt_key=SecretStr(public)), ethos_ids=GuidMap(())
    )
    new_id = sqlite_inbox.replay(dead_id, reparse=fixed)
    assert sqlite_inbox.get(new_id).status == "received"
    assert sqlite_inbox.get(dead_id).status == "done"
    accepted = client_for(sqlite_inbox, LiveEventsConfig(jwt_key=SecretStr(public))).post(
        "/webhooks/canvas", content=token
    )
    assert accepted.json() == {"status": "duplicate", "event_id": new_id}


def test_database_down_is_503(tmp_path) -> None:
    from core.db import make_engine

    box = Inbox(make_engine(f"sqlite:///{tmp_path}/app.db"))  # schema never created
    response = client_for(box, SANDBOX).post("/webhooks/canvas", json=envelope())
    assert response.status_code == 503


# --- course SIS ids (metadata.context_sis_source_id) ---------------------------------------
#
# Real Canvas puts the course's SIS id in the metadata of a Course context and sends global ids
# (shard * 10**13 + local id) in the metadata, sometimes local ids in the body (examples of
# canvas-lms doc/api/data_services). The simulator sends local ids, and context_sis_source_id
# as Canvas does: for a course with an SIS id, leaving the key out for one without.

GLOBAL_COURSE = "21070000000000565"
SIS_COURSE = "202610-10001"


def real_canvas(name: str, body: dict, **metadata: object) -> dict:
    """An envelope shaped like canvas-lms's documented examples: every id a string."""
    return {
        "metadata": {
            "event_name": name,
            "event_time": "2019-11-01T19:11:05.222Z",
            "request_id": "1dd9dc6f-2fb0-4c19-a6c5-7ee1bf3ed295",
            "root_account_id": "21070000000000001",
            "context_account_id": "21070000000000079",
            "context_type": "Course",
            "context_id": GLOBAL_COURSE,
            "context_sis_source_id": SIS_COURSE,
            "context_role": "TeacherEnrollment",
            "user_id": "21070000000000987",
            "user_sis_id": "456-T45",
            "producer": "canvas",
            **metadata,
        },
        "body": body,
    }


REAL_GRADE = {
    "assignment_id": "21070000000000355",
    "grade": "5",
    "old_grade": "4",
    "score": 5,
    "old_score": 4,
    "grader_id": "21070000000000987",
    "student_id": "21070000000000048",
    "student_sis_id": "A00000048",
    "submission_id": "21070000000011086",
    "user_id": "21070000000000048",
}
REAL_ENROLLMENT = {
    "enrollment_id": "21070000000046825",
    "course_id": "565",  # a local id in the body, the global one in the metadata
    "course_section_id": "21070000000004811",
    "user_id": "21070000000020064",
    "type": "StudentEnrollment",
    "workflow_state": "active",
}
REAL_SUBMISSION = {
    "submission_id": "21070000000011086",
    "assignment_id": "21070000000000355",
    "user_id": "21070000000000048",
    "late": False,
    "missing": True,
}


def parse(envelope_: dict) -> object:
    return parse_body(json.dumps(envelope_).encode(), SANDBOX)


def test_real_grade_change_addresses_the_course_by_sis_id() -> None:
    event = parse(real_canvas("grade_change", REAL_GRADE))
    assert isinstance(event, CanvasGradeChange)
    assert (event.course_id, event.canvas_course_id, event.course_sis_id) == (
        SIS_COURSE,
        GLOBAL_COURSE,
        SIS_COURSE,
    )
    assert banner_section_of(event.course_id) == ("202610", "10001")  # what the grades agent asks
    assert event.subject_key == f"canvas:{GLOBAL_COURSE}:21070000000000048"  # Canvas's id still
    assert event.user_sis_id == "A00000048"


def test_real_submission_addresses_the_course_by_sis_id() -> None:
    event = parse(real_canvas("submission_updated", REAL_SUBMISSION))
    assert isinstance(event, CanvasSubmission)
    assert (event.course_id, event.canvas_course_id, event.course_sis_id, event.missing) == (
        SIS_COURSE,
        GLOBAL_COURSE,
        SIS_COURSE,
        True,
    )


def test_real_enrollment_keeps_canvas_ids_and_carries_the_sis_id() -> None:
    """The enrollment is traced through Canvas by its ids (the locate tool takes Canvas ids)."""
    event = parse(real_canvas("enrollment_created", REAL_ENROLLMENT))
    assert isinstance(event, CanvasEnrollmentChanged)
    assert (event.course_id, event.canvas_course_id, event.course_sis_id) == (
        "565",
        "565",
        SIS_COURSE,  # local 565 and global ...0565 are the same course
    )
    assert event.section_id == "21070000000004811"


def test_sis_id_of_another_context_is_not_taken() -> None:
    elsewhere = {**REAL_ENROLLMENT, "course_id": "566"}
    event = parse(real_canvas("enrollment_updated", elsewhere))
    assert isinstance(event, CanvasEnrollmentChanged)
    assert (event.course_id, event.course_sis_id) == ("566", None)
    account = real_canvas(
        "grade_change", {**REAL_GRADE, "course_id": "565"}, context_type="Account"
    )
    grade = parse(account)
    assert isinstance(grade, CanvasGradeChange)
    assert (grade.course_id, grade.canvas_course_id, grade.course_sis_id) == ("565", "565", None)


@pytest.mark.parametrize("sis", [None, ""], ids=["null", "empty"])
def test_course_without_sis_id_keeps_the_canvas_id(sis: object) -> None:
    event = parse(real_canvas("grade_change", REAL_GRADE, context_sis_source_id=sis))
    assert isinstance(event, CanvasGradeChange)
    assert (event.course_id, event.canvas_course_id, event.course_sis_id) == (
        GLOBAL_COURSE,
        GLOBAL_COURSE,
        None,
    )


def simulator(name: str, body: dict, *, course: int = 12, sis: str | None = None) -> dict:
    """The envelope the Canvas simulator posts for a course whose SIS id is ``sis``."""
    sent = LiveEvent(name, body, "Course", course, 3, None, "req-sim", context_sis_source_id=sis)
    return sent.envelope()


def sim_grade() -> dict:
    return {"submission_id": 9, "assignment_id": 4, "grade": "B", "old_grade": None, "score": 85,
            "old_score": None, "grader_id": 3, "student_id": 501, "student_sis_id": "A00000001",
            "user_id": 501}  # fmt: skip


def test_simulator_envelopes_keep_numeric_ids_and_take_a_sis_id_when_sent() -> None:
    plain = parse(simulator("grade_change", sim_grade()))
    assert isinstance(plain, CanvasGradeChange)
    assert (plain.course_id, plain.canvas_course_id, plain.course_sis_id) == ("12", "12", None)
    named = parse(simulator("grade_change", sim_grade(), sis=SIS_COURSE))
    assert isinstance(named, CanvasGradeChange)
    assert (named.course_id, named.canvas_course_id, named.course_sis_id) == (
        SIS_COURSE,
        "12",
        SIS_COURSE,
    )
    assert named.event_id == plain.event_id  # the SIS id does not change the dedupe key
    assert named.subject_key == plain.subject_key == "canvas:12:501"
    enrollment = simulator(
        "enrollment_updated",
        {
            "enrollment_id": 77,
            "course_id": 12,
            "user_id": 501,
            "course_section_id": 34,
            "type": "StudentEnrollment",
            "workflow_state": "inactive",
        },
        sis=SIS_COURSE,
    )
    event = parse(enrollment)
    assert isinstance(event, CanvasEnrollmentChanged)
    assert (event.course_id, event.course_sis_id, event.section_id) == ("12", SIS_COURSE, "34")


def test_simulator_graded_submission_addresses_the_course_by_sis_id(
    sqlite_inbox: Inbox, tmp_path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the simulator sends after a graded submission, as the webhook stores it."""
    with running_simulator(tmp_path / "canvas.db") as sim:
        sent: list[LiveEvent] = []
        monkeypatch.setattr(sim.sim.events, "publish", sent.extend)
        account = Canvas(sim.base_url, sim.token).get_account(1)
        user = account.create_user({"unique_id": "s1", "sis_user_id": "A00000001"})
        course = account.create_course(course={"name": "Algebra", "sis_course_id": SIS_COURSE})
        course.enroll_user(user, enrollment={"enrollment_state": "active"})
        hw = course.create_assignment({"name": "Proofs", "points_possible": 10})
        hw.submit({"submission_type": "online_text_entry", "body": "b", "user_id": user.id})
        hw.get_submission(user.id).edit(submission={"posted_grade": "8"})
    client = client_for(sqlite_inbox, SANDBOX)
    stored = {}
    for live in sent:
        response = client.post("/webhooks/canvas", json=live.envelope())
        assert response.status_code == 200 and response.json()["status"] == "stored"
        stored[live.name] = sqlite_inbox.get(response.json()["event_id"]).event()
    canvas_id = str(course.id)
    grade, submission = stored["grade_change"], stored["submission_created"]
    assert isinstance(grade, CanvasGradeChange) and isinstance(submission, CanvasSubmission)
    for event in (grade, submission):
        assert (event.course_id, event.canvas_course_id, event.course_sis_id) == (
            SIS_COURSE,
            canvas_id,
            SIS_COURSE,
        )
        assert event.subject_key == f"canvas:{canvas_id}:{user.id}"
    assert banner_section_of(grade.course_id) == ("202610", "10001")  # what the grades agent asks
    assert grade.user_sis_id == "A00000001"
    enrollment = stored["enrollment_created"]
    assert isinstance(enrollment, CanvasEnrollmentChanged)
    assert (enrollment.course_id, enrollment.course_sis_id) == (canvas_id, SIS_COURSE)


def test_sis_id_is_stored_with_the_event(sqlite_inbox: Inbox) -> None:
    client = client_for(sqlite_inbox, SANDBOX)
    response = client.post("/webhooks/canvas", json=real_canvas("grade_change", REAL_GRADE))
    assert response.status_code == 200 and response.json()["status"] == "stored"
    stored = sqlite_inbox.get(response.json()["event_id"])
    assert stored.subject_key == f"canvas:{GLOBAL_COURSE}:21070000000000048"
    event = stored.event()
    assert isinstance(event, CanvasGradeChange)
    assert (event.course_id, event.canvas_course_id) == (SIS_COURSE, GLOBAL_COURSE)


@pytest.mark.parametrize(
    ("envelope_", "reason"),
    [
        (real_canvas("grade_change", {**REAL_GRADE, "assignment_id": None}),
         "assignment_id is missing"),
        (real_canvas("grade_change", REAL_GRADE, context_type="Account"), "course_id is missing"),
        (real_canvas("enrollment_created", {**REAL_ENROLLMENT, "course_id": None}),
         "course_id is missing"),
        (real_canvas("enrollment_created", REAL_ENROLLMENT, event_time="yesterday"),
         "is not a time"),
    ],
    ids=["no-assignment", "account-context", "enrollment-without-course", "bad-time"],
)  # fmt: skip
def test_malformed_with_a_sis_id_is_still_refused_and_kept(
    sqlite_inbox: Inbox, envelope_: dict, reason: str
) -> None:
    client = client_for(sqlite_inbox, SANDBOX)
    body = json.dumps(envelope_).encode()
    response = client.post("/webhooks/canvas", content=body)
    assert response.status_code == 422
    assert reason in response.json()["detail"]["reason"]
    kept = sqlite_inbox.get(response.json()["detail"]["event_id"])
    assert (kept.status, kept.raw_body, kept.source) == ("dead", body, "canvas")


# --- signing by default, freshness, and the refusal budget (issue 18, finding 1) -------------


def test_by_default_an_unsigned_body_is_refused_and_kept_saying_which_setting_to_set(
    sqlite_inbox: Inbox,
) -> None:
    deleted = envelope("enrollment_updated", workflow_state="deleted")
    response = client_for(sqlite_inbox, LiveEventsConfig()).post("/webhooks/canvas", json=deleted)
    assert response.status_code == 401
    reason = response.json()["detail"]["reason"]
    assert "BCA_CANVAS_LIVE_EVENTS_JWT_KEY" in reason and "ACCEPT_UNSIGNED" in reason
    assert sqlite_inbox.counts()["received"] == 0 and sqlite_inbox.counts()["dead"] == 1
    signed_too = client_for(sqlite_inbox, LiveEventsConfig()).post(
        "/webhooks/canvas", content=signed(deleted)
    )
    assert signed_too.status_code == 401  # no key: nothing can be verified, so nothing is taken


@pytest.mark.parametrize(
    ("claims", "accepted", "reason"),
    [
        ({"iat": -60}, True, None),
        ({"iat": -3_601}, False, "stale or replayed"),
        ({}, False, "needs an exp or an iat"),
        ({"exp": 60}, True, None),
        ({"exp": -60}, False, "expired"),
        ({"iat": 600}, False, "not yet valid"),
    ],
    ids=["fresh-iat", "old-iat", "neither", "future-exp", "past-exp", "future-iat"],
)
def test_a_signed_body_must_be_fresh(
    sqlite_inbox: Inbox, claims: dict[str, int], accepted: bool, reason: str | None
) -> None:
    now = int(time.time())
    token = jwt.encode(
        {**envelope(), **{name: now + offset for name, offset in claims.items()}}, SECRET
    )
    response = client_for(sqlite_inbox, LiveEventsConfig(jwt_key=SecretStr(SECRET))).post(
        "/webhooks/canvas", content=token
    )
    if accepted:
        assert response.json()["status"] == "stored", response.text
    else:
        assert response.status_code == 401
        assert reason in response.json()["detail"]["reason"]


def test_an_operator_replays_a_stale_delivery_once_its_age_was_the_only_fault(
    sqlite_inbox: Inbox,
) -> None:
    config = LiveEventsConfig(jwt_key=SecretStr(SECRET))
    old = client_for(sqlite_inbox, config).post(
        "/webhooks/canvas", content=signed(envelope(), age_s=7_200)
    )
    assert old.status_code == 401
    replayed = sqlite_inbox.replay(
        old.json()["detail"]["event_id"],
        reparse=reparser(canvas_config=config, ethos_ids=GuidMap(())),
    )
    assert sqlite_inbox.get(replayed).status == "received"
    forged = client_for(sqlite_inbox, config).post(
        "/webhooks/canvas", content=signed(envelope(enrollment_id="80"), "x" * 40, age_s=7_200)
    )
    with pytest.raises(Exception, match="not a valid JWT"):
        sqlite_inbox.replay(
            forged.json()["detail"]["event_id"],
            reparse=reparser(canvas_config=config, ethos_ids=GuidMap(())),
        )


def test_refusals_past_the_budget_are_429_and_not_kept_while_good_events_still_land(
    sqlite_inbox: Inbox,
) -> None:
    client = client_for(sqlite_inbox, LiveEventsConfig(accept_unsigned=True, rejected_per_minute=3))
    answers = [
        client.post("/webhooks/canvas", content=f"not json {n}".encode()).status_code
        for n in range(5)
    ]
    assert answers == [400, 400, 400, 429, 429]
    flooded = client.post("/webhooks/canvas", content=b"not json either")
    assert int(flooded.headers["Retry-After"]) in range(1, 62)
    assert flooded.json()["detail"]["stored"] is False
    assert client.post("/webhooks/canvas", json=envelope()).json()["status"] == "stored"
    assert sqlite_inbox.counts()["dead"] == 3 and sqlite_inbox.counts()["received"] == 1


def test_the_budget_is_per_address_and_refills_as_the_minute_slides() -> None:
    now = [1000.0]
    budget = RejectionBudget(2, clock=lambda: now[0])
    assert [budget.spend("10.0.0.1") for _ in range(2)] == [None, None]
    assert budget.spend("10.0.0.1") == 61
    assert budget.spend("10.0.0.2") is None
    now[0] += 30
    assert budget.spend("10.0.0.1") == 31
    now[0] += 30
    assert budget.spend("10.0.0.1") is None
