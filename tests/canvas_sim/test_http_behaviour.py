"""Pagination, throttling and fault injection, observed through canvasapi and raw HTTP."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
import requests
from canvasapi import Canvas
from canvasapi.exceptions import CanvasException, RateLimitExceeded

from sandbox.canvas.config import ThrottleConfig
from sandbox.canvas.testing import running_simulator
from sandbox.canvas.throttle import LeakyBuckets


def test_pagination_beyond_250_items(canvas: Canvas, sim) -> None:
    account = canvas.get_account(1)
    course = account.create_course(course={"name": "Big"})
    with sim.sim.store.write() as conn:  # bulk-create users quickly, enroll them over HTTP
        conn.executemany(
            "INSERT INTO users (name, login_id, sis_user_id, account_id, created_at)"
            " VALUES (?, ?, ?, 1, '2026-01-01T00:00:00Z')",
            [(f"P {i:03}", f"p{i}", f"P{i}") for i in range(260)],
        )
    ids = [u.id for u in account.get_users(search_term="P ")]
    assert len(ids) == 260
    for user_id in ids:
        course.enroll_user(user_id, enrollment={"enrollment_state": "active"})
    enrollments = list(course.get_enrollments(type=["StudentEnrollment"], state=["active"]))
    assert sorted(e.user_id for e in enrollments) == sorted(ids)

    response = httpx.get(
        f"{sim.base_url}/api/v1/courses/{course.id}/enrollments",
        params=[("type[]", "StudentEnrollment"), ("per_page", "7")],
        headers={"Authorization": f"Bearer {sim.token}"},
    )
    assert len(response.json()) == 7
    links = requests.utils.parse_header_links(response.headers["Link"])
    rels = {link["rel"]: link["url"] for link in links}
    assert set(rels) == {"current", "first", "next", "last"}
    assert rels["next"].startswith(f"{sim.base_url}/api/v1/courses/{course.id}/enrollments?")
    assert "type%5B%5D=StudentEnrollment" in rels["next"] and "page=2" in rels["next"]
    assert "page=38" in rels["last"]
    default = httpx.get(
        f"{sim.base_url}/api/v1/courses/{course.id}/enrollments",
        headers={"Authorization": f"Bearer {sim.token}"},
    )
    assert len(default.json()) == 10


def test_missing_token_is_401_json_with_www_authenticate(sim) -> None:
    response = httpx.get(f"{sim.base_url}/api/v1/accounts/1")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["errors"][0]["message"] == "user authorization required"
    assert "X-Rate-Limit-Remaining" in response.headers


def test_every_response_carries_throttle_headers(canvas: Canvas, sim) -> None:
    response = httpx.get(
        f"{sim.base_url}/api/v1/courses/999", headers={"Authorization": f"Bearer {sim.token}"}
    )
    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "The specified resource does not exist."}]}
    assert float(response.headers["X-Request-Cost"]) >= 0
    assert float(response.headers["X-Rate-Limit-Remaining"]) <= 600


def test_small_bucket_throttles_with_429(tmp_path: Path) -> None:
    throttle = {"hwm": 5, "maximum": 8, "outflow": 0.5, "up_front_cost": 1, "extra_cost": 1}
    with running_simulator(tmp_path / "t.db", throttle=throttle) as sim:
        canvas = Canvas(sim.base_url, sim.token)
        remaining = []
        with pytest.raises(RateLimitExceeded):
            for _ in range(20):
                canvas.get_account(1)
                remaining.append(
                    float(canvas._Canvas__requester._cache[0].headers["X-Rate-Limit-Remaining"])
                )
        assert remaining == sorted(remaining, reverse=True) and len(remaining) >= 4
        refused = canvas._Canvas__requester._cache[0]
        assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 1
        assert refused.json()["errors"][0]["message"] == "Rate Limit Exceeded"


def test_default_bucket_semantics_follow_canvas() -> None:
    buckets = LeakyBuckets(ThrottleConfig())
    # Twelve requests in flight at once hold 50 each: the twelfth reaches 600 and is refused.
    counts = [buckets.increment("t", 50, now=100.0) for _ in range(12)]
    assert counts[10] == 550 and counts[11] >= 600
    for _ in range(12):  # each finishes with a cost of 0.1 and gets its 50 back
        buckets.increment("t", 0.1 - 50, now=100.0)
    assert buckets.remaining(buckets.increment("t", 0, now=100.0)) == pytest.approx(598.8)
    assert buckets.increment("t", 0, now=100.1) == pytest.approx(0.2)  # drains 10 per second
    assert buckets.increment("t", 2000, now=100.1) == 800  # never above the maximum


def test_faults_before_and_after_the_effect(canvas: Canvas, sim) -> None:
    account = canvas.get_account(1)
    sim.set_faults(error_rate=1.0, after_effect_share=1.0, error_statuses=[503], seed=1)
    with pytest.raises(CanvasException, match="503"):
        account.create_course(course={"name": "Ghost", "sis_course_id": "GHOST"})
    sim.set_faults()
    assert canvas.get_course("GHOST", use_sis_id=True).name == "Ghost"  # committed anyway

    sim.set_faults(error_rate=1.0, after_effect_share=0.0, error_statuses=[500], seed=1)
    with pytest.raises(CanvasException, match="500"):
        account.create_course(course={"name": "Never", "sis_course_id": "NEVER"})
    sim.set_faults(drop_rate=1.0, after_effect_share=1.0, seed=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        account.create_course(course={"name": "Dropped", "sis_course_id": "DROPPED"})
    sim.set_faults()
    assert canvas.get_course("DROPPED", use_sis_id=True).name == "Dropped"
    with pytest.raises(CanvasException):
        canvas.get_course("NEVER", use_sis_id=True)
    injected = httpx.get(
        f"{sim.base_url}/sim/faults", headers={"Authorization": f"Bearer {sim.token}"}
    ).json()["injected"]
    assert injected == {"error_before": 1, "error_after": 1, "drop_before": 0, "drop_after": 1}


def test_fault_share_is_roughly_the_configured_rate(canvas: Canvas, sim) -> None:
    sim.set_faults(error_rate=0.2, seed=42)
    failures = 0
    for _ in range(200):
        try:
            canvas.get_account(1)
        except CanvasException:
            failures += 1
    assert 20 <= failures <= 60
