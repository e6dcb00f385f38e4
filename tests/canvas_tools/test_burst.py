"""A burst of 2,000 enrollments through the tools: paced (no 429 reaches the caller), no
duplicates, and the same final state when 10% of requests fail with 5xx."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from sandbox.canvas.testing import SimulatorHandle, running_simulator
from tests.canvas_tools.helpers import FAST_RETRY
from tools.canvas.client import CanvasClient
from tools.canvas.enrollments import enroll_many, list_enrollments
from tools.canvas.models import (
    EnrollmentQuery,
    EnrollmentSpec,
    SisCourseRow,
    SisImportSpec,
    SisSectionRow,
    SisUserRow,
)
from tools.canvas.sis_imports import run_sis_import

BURST = 2_000
WORKERS = 8
CALM, FAULTY = "202610-10001", "202610-10002"
STUDENTS = [f"A{n:08d}" for n in range(BURST)]


@pytest.fixture(scope="module")
def sim(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimulatorHandle]:
    """A simulator with 2,000 students and two empty sections, seeded by a SIS import."""
    with running_simulator(tmp_path_factory.mktemp("burst") / "canvas.db") as handle:
        client = CanvasClient(handle.base_url, handle.token)
        seeded = run_sis_import(
            client,
            SisImportSpec(
                users=[SisUserRow(user_id=s, login_id=s.lower(), full_name=s) for s in STUDENTS],
                courses=[SisCourseRow(course_id="BIO101", short_name="BIO", long_name="Biology")],
                sections=[
                    SisSectionRow(section_id=s, course_id="BIO101", name=s) for s in (CALM, FAULTY)
                ],
            ),
        )
        assert seeded.workflow_state == "imported", seeded
        client.close()
        yield handle


def burst(client: CanvasClient, section: str) -> set[tuple[str | None, str, str]]:
    """Enroll every student in ``section``; return the section's final enrollment set."""
    specs = [EnrollmentSpec(sis_section_id=section, sis_user_id=s) for s in STUDENTS]
    started = time.monotonic()
    results = enroll_many(client, specs, workers=WORKERS)  # a surfaced 429 would raise here
    print(f"{section}: {BURST} enrollments in {time.monotonic() - started:.1f} s, {client.stats()}")
    assert [r.missing for r in results if r.missing] == []
    assert len({r.enrollment.id for r in results if r.enrollment}) == BURST
    listed = list_enrollments(client, EnrollmentQuery(sis_id=section, scope="section"))
    state = [(e.sis_user_id, e.type, e.enrollment_state) for e in listed]
    assert len(state) == len(set(state)) == BURST, "duplicate or missing enrollments"
    return set(state)


EXPECTED = {(s, "StudentEnrollment", "active") for s in STUDENTS}


def test_burst_at_default_throttling_is_paced_and_has_no_duplicates(sim: SimulatorHandle) -> None:
    client = CanvasClient(sim.base_url, sim.token, retry=FAST_RETRY)
    assert burst(client, CALM) == EXPECTED
    assert client.stats().server_errors == 0


def test_burst_under_ten_percent_5xx_reaches_the_same_state(sim: SimulatorHandle) -> None:
    client = CanvasClient(sim.base_url, sim.token, retry=FAST_RETRY)
    sim.set_faults(error_rate=0.10, seed=3)
    try:
        final = burst(client, FAULTY)
    finally:
        sim.set_faults()
    stats = client.stats()
    assert stats.server_errors > 0.05 * stats.requests, stats
    assert final == EXPECTED
