"""Plan a whole synthetic term: 2,000 sections, ~100,000 registrations, a drifted Canvas.

Run: ``.venv/bin/python bench/agents_rules.py``. The last line is one JSON object with the
planning time (target < 30 s) and the plan's figures.
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    # Run as ``python bench/agents_rules.py``, bench/agents.py would shadow the agents package.
    sys.path[0] = str(Path(__file__).resolve().parents[1])

from agents.rules.enrollment_status import TermPolicy
from agents.rules.roster_plan import (
    BannerSection,
    CanvasEnrollment,
    CanvasSnapshot,
    EnrollmentState,
    RosterRegistration,
    plan_roster,
)
from agents.rules.roster_verdicts import choose_channel, mass_drop_verdict, plan_figures
from core.ids import course_sis_id, section_sis_id

TERM = "202610"
CENSUS = date(2026, 9, 4)
SECTIONS = 2_000
REGISTRATIONS = 100_000


def synthetic_term(
    sections_count: int = SECTIONS, registrations_count: int = REGISTRATIONS, seed: int = 20260904
):
    """A term's Banner sections and registrations, and a Canvas that drifted from them."""
    rng = random.Random(seed)
    students = max(registrations_count // 4, 1)
    crns = [str(10_000 + i) for i in range(sections_count)]
    # the first two of every forty sections form a cross-list group (50 groups, 100 sections)
    groups = {crn: (f"{i // 40:02}" if i % 40 < 2 else None) for i, crn in enumerate(crns)}
    sections = [BannerSection(crn=crn, xlist_group=groups[crn]) for crn in crns]
    pairs: set[tuple[int, str]] = set()
    while len(pairs) < registrations_count:
        pairs.add((rng.randrange(students), rng.choice(crns)))
    registrations = []
    for student, crn in sorted(pairs):
        roll = rng.random()
        registrations.append(
            RosterRegistration(
                pidm=student + 1,
                sis_user_id=f"A{student:08}",
                crn=crn,
                enrolled=roll < 0.9,
                waitlisted=0.9 <= roll < 0.93,
                withdrawn=0.93 <= roll < 0.95,
                status_date=CENSUS + timedelta(days=rng.randint(-10, 10)),
            )
        )
    # Canvas: all but 1% of courses provisioned; enrollments mostly in sync, some drift
    courses = {course_sis_id(TERM, crn, groups[crn]) for crn in crns}
    missing = set(rng.sample(sorted(courses), len(courses) // 100))
    section_map = {
        section_sis_id(TERM, crn): course_sis_id(TERM, crn, groups[crn])
        for crn in crns
        if course_sis_id(TERM, crn, groups[crn]) not in missing
    }
    enrollments = [
        CanvasEnrollment(
            user_sis_id=r.sis_user_id,
            section_sis_id=section_sis_id(TERM, r.crn),
            state=EnrollmentState.ACTIVE,
        )
        for r in registrations
        if section_sis_id(TERM, r.crn) in section_map and rng.random() < 0.95
    ]
    canvas = CanvasSnapshot(
        course_sis_ids=frozenset(courses - missing),
        sections=section_map,
        enrollments=tuple(enrollments),
    )
    return sections, registrations, canvas


def plan_synthetic_term(
    sections_count: int = SECTIONS, registrations_count: int = REGISTRATIONS
) -> dict[str, object]:
    """Time one plan of a synthetic term; its figures, as both planner benchmarks report them."""
    sections, registrations, canvas = synthetic_term(sections_count, registrations_count)
    policy = TermPolicy(term_code=TERM, census_date=CENSUS)
    start = time.perf_counter()
    plan = plan_roster(
        policy,
        sections=sections,
        registrations=registrations,
        canvas=canvas,
        as_of=CENSUS + timedelta(days=3),
    )
    verdict = mass_drop_verdict(plan)
    channel = choose_channel(plan)
    seconds = time.perf_counter() - start
    figures = plan_figures(plan)
    return {
        "sections": len(sections),
        "registrations": len(registrations),
        "canvas_enrollments": len(canvas.enrollments),
        "planning_seconds": round(seconds, 3),
        "target_seconds": 30,
        "actions": figures.total,
        "by_kind": {str(k): v for k, v in figures.by_kind.items()},
        "ending_live": figures.ending_live,
        "needs_approval": verdict.needs_approval,
        "breaching_sections": len(verdict.breaching_sections),
        "channel": str(channel),
    }


def main() -> None:
    print(json.dumps(plan_synthetic_term()))


if __name__ == "__main__":
    main()
