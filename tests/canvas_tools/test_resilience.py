"""The session under the tools: pacing keeps 429s away, retries absorb 5xx, 429 and dropped
connections, and an ambiguous write is never blindly repeated."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from sandbox.canvas.testing import SimulatorHandle
from tests.canvas_tools.helpers import FAST_RETRY, make_section, make_user, unique
from tools.canvas.client import CanvasClient
from tools.canvas.enrollments import enroll_many, list_enrollments
from tools.canvas.errors import AmbiguousWrite, CanvasUnavailable
from tools.canvas.lookup import find_course
from tools.canvas.messages import send_conversation
from tools.canvas.models import (
    ConversationSpec,
    EnrollmentQuery,
    EnrollmentSpec,
    SisImportSpec,
    SisUserRow,
)
from tools.canvas.session import PacingPolicy, RetryPolicy
from tools.canvas.sis_imports import run_sis_import


@pytest.fixture
def faults(sim: SimulatorHandle) -> Iterator[SimulatorHandle]:
    yield sim
    sim.set_faults()
    sim.set_throttle()


def students(client: CanvasClient, n: int) -> list[str]:
    ids = [unique("P") for _ in range(n)]
    run_sis_import(
        client, SisImportSpec(users=[SisUserRow(user_id=i, login_id=i.lower()) for i in ids])
    )
    return ids


def roster_state(client: CanvasClient, section: str) -> set[tuple[str | None, str]]:
    listed = list_enrollments(client, EnrollmentQuery(sis_id=section, scope="section"))
    assert len(listed) == len({e.user_id for e in listed})
    return {(e.sis_user_id, e.enrollment_state) for e in listed}


def test_pacing_keeps_16_workers_under_the_throttle(faults: SimulatorHandle) -> None:
    client = CanvasClient(faults.base_url, faults.token, retry=FAST_RETRY)
    unpaced = CanvasClient(
        faults.base_url, faults.token, retry=FAST_RETRY, pacing=PacingPolicy(up_front_cost=0)
    )
    users = students(client, 300)
    _, paced_section = make_section(client, "PACED")
    _, blind_section = make_section(client, "BLIND")

    enroll_many(
        client,
        [EnrollmentSpec(sis_section_id=paced_section, sis_user_id=u) for u in users],
        workers=16,
    )
    faults.set_throttle()  # empty bucket for the comparison
    enroll_many(
        unpaced,
        [EnrollmentSpec(sis_section_id=blind_section, sis_user_id=u) for u in users],
        workers=16,
    )

    paced, blind = client.stats(), unpaced.stats()
    print(f"paced: {paced}\nunpaced: {blind}")
    assert paced.throttled == 0 and paced.paced_seconds > 0
    assert blind.throttled > 0  # Canvas refused the unpaced client, its retries absorbed it
    expected = {(u, "active") for u in users}
    assert roster_state(client, paced_section) == roster_state(client, blind_section) == expected


def test_dropped_connections_and_errors_after_the_effect_leave_no_duplicates(
    faults: SimulatorHandle,
) -> None:
    client = CanvasClient(faults.base_url, faults.token, retry=FAST_RETRY)
    users = students(client, 150)
    _, section = make_section(client, "DROP")
    faults.set_faults(drop_rate=0.1, error_rate=0.1, after_effect_share=1.0, seed=5)

    results = enroll_many(
        client, [EnrollmentSpec(sis_section_id=section, sis_user_id=u) for u in users], workers=4
    )

    faults.set_faults()
    stats = client.stats()
    assert stats.connection_errors > 0 and stats.server_errors > 0
    assert all(r.enrollment for r in results)
    assert roster_state(client, section) == {(u, "active") for u in users}


def test_a_canvas_that_keeps_failing_is_unavailable_not_a_crash(faults: SimulatorHandle) -> None:
    client = CanvasClient(
        faults.base_url,
        faults.token,
        retry=RetryPolicy(attempts=3, initial_wait=0.01, max_wait=0.02, jitter=0),
    )
    faults.set_faults(error_rate=1.0, error_statuses=[503])
    with pytest.raises(CanvasUnavailable) as caught:
        find_course(client, "ANY")
    assert caught.value.status == 503 and client.stats().requests == 3


def test_an_ambiguous_message_is_not_sent_twice(faults: SimulatorHandle) -> None:
    client = CanvasClient(faults.base_url, faults.token, retry=FAST_RETRY)
    user = make_user(client, unique("AMB"))
    faults.set_faults(error_rate=1.0, after_effect_share=1.0, error_statuses=[502])
    before = client.stats().requests
    with pytest.raises(AmbiguousWrite):
        send_conversation(client, ConversationSpec(recipients=[user.id], subject="s", body="b"))
    assert client.stats().requests - before == 1  # the 502 came after Canvas sent it: no resend
