"""Put some Banner sandbox students into the Canvas simulator, with activity to look at.

The staff profile's tests and benchmark need Canvas to know the students Banner knows: a user
per student (SIS id = Banner ID), a course and section per CRN of their schedule (the project's
SIS ids, :mod:`core.ids`), active enrollments, and simulated activity so grades, page views and
late or missing work exist. Everything goes through the Canvas tools over HTTP, like the
provisioning agent would do it, only without the agent.
"""

from __future__ import annotations

from collections.abc import Iterable

import httpx
from sqlalchemy import Engine

from core.ids import section_sis_id
from sandbox.canvas.testing import SimulatorHandle
from tools.banner import directory, reads
from tools.canvas.client import CanvasClient
from tools.canvas.courses import ensure_course_shell, ensure_section
from tools.canvas.enrollments import enroll
from tools.canvas.lookup import get_course
from tools.canvas.models import CourseShellSpec, EnrollmentSpec, SectionSpec


def mirror_students(
    sim: SimulatorHandle,
    banner: Engine,
    term: str,
    pidms: Iterable[int],
    *,
    seed: int = 3,
) -> dict[int, list[str]]:
    """Mirror each student's enrolled sections of ``term``; the section SIS ids by PIDM."""
    client = CanvasClient(sim.base_url, sim.token)
    courses: dict[str, int] = {}
    mirrored: dict[int, list[str]] = {}
    for pidm in pidms:
        person = reads.person_by_pidm(banner, pidm)
        client.account.create_user(
            {
                "unique_id": f"{person.banner_id.lower()}@example.edu",
                "sis_user_id": person.banner_id,
            },
            user={"name": f"{person.first_name} {person.last_name}"},
        )
        mirrored[pidm] = []
        for course in directory.student_schedule(banner, pidm, term):
            if course.waitlisted:
                continue
            sis = section_sis_id(term, course.crn)
            if sis not in courses:
                code = f"{course.subject} {course.course_number}"
                ensure_course_shell(
                    client, CourseShellSpec(sis_course_id=sis, name=code, course_code=code)
                )
                ensure_section(
                    client, SectionSpec(sis_course_id=sis, sis_section_id=sis, name=code)
                )
                courses[sis] = get_course(client, sis).id
            enroll(
                client,
                EnrollmentSpec(sis_section_id=sis, sis_user_id=person.banner_id, state="active"),
            )
            mirrored[pidm].append(sis)
    for canvas_id in courses.values():
        httpx.post(
            f"{sim.base_url}/sim/courses/{canvas_id}/activity",
            json={"days": 14, "seed": seed},
            headers={"Authorization": f"Bearer {sim.token}"},
            timeout=60,
        ).raise_for_status()
    return mirrored
