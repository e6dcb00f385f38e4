"""POST /webhooks/canvas: signed, unsigned, malformed, oversized, duplicates, replay after a fix."""

from __future__ import annotations

import json
from collections.abc import Iterator

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from pydantic import SecretStr

from agents.events import CanvasEnrollmentChanged, CanvasGradeChange, CanvasSubmission
from runtime.inbox import Inbox
from runtime.intake.canvas import LiveEventsConfig, parse_body
from runtime.intake.ethos import GuidMap
from runtime.intake.replay import reparser
from runtime.webhooks import webhooks_router

SECRET = "a-shared-secret-of-at-least-32-bytes!"


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
    from runtime.db import make_engine

    box = Inbox(make_engine(f"sqlite:///{tmp_path}/app.db"))
    box.create_schema()
    yield box


def test_stored_then_duplicate(sqlite_inbox: Inbox) -> None:
    client = client_for(sqlite_inbox, LiveEventsConfig())
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
    config = LiveEventsConfig()
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
    client = client_for(sqlite_inbox, LiveEventsConfig())
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
    client = client_for(sqlite_inbox, LiveEventsConfig())
    response = client.post("/webhooks/canvas", content=body)
    assert response.status_code == code
    assert reason in response.json()["detail"]["reason"]
    kept = sqlite_inbox.get(response.json()["detail"]["event_id"])
    assert (kept.status, kept.raw_body, kept.source) == ("dead", body, "canvas")


def test_oversized_is_413_and_prefix_kept(sqlite_inbox: Inbox) -> None:
    client = client_for(sqlite_inbox, LiveEventsConfig(max_body_bytes=1000))
    body = json.dumps(envelope(user_name="x" * 5000)).encode()
    response = client.post("/webhooks/canvas", content=body)
    assert response.status_code == 413
    kept = sqlite_inbox.get(response.json()["detail"]["event_id"])
    assert kept.raw_body == body[:1000] and kept.status == "dead"


def test_hs256_signed_required_and_verified(sqlite_inbox: Inbox) -> None:
    config = LiveEventsConfig(jwt_key=SecretStr(SECRET))
    client = client_for(sqlite_inbox, config)
    token = jwt.encode(envelope(), SECRET, algorithm="HS256")
    assert client.post("/webhooks/canvas", content=token).json()["status"] == "stored"
    unsigned = client.post("/webhooks/canvas", json=envelope(enrollment_id="78"))
    assert (
        unsigned.status_code == 401 and "signing is required" in unsigned.json()["detail"]["reason"]
    )
    forged = jwt.encode(
        envelope(enrollment_id="79"), "wrong-secret-wrong-secret-wrong-secret", algorithm="HS256"
    )
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
    token = jwt.encode(envelope(), key, algorithm="RS256")
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
    from runtime.db import make_engine

    box = Inbox(make_engine(f"sqlite:///{tmp_path}/app.db"))  # schema never created
    response = client_for(box, LiveEventsConfig()).post("/webhooks/canvas", json=envelope())
    assert response.status_code == 503
