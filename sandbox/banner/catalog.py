"""The course catalogue: courses with their title history, and the SCBCRSE rows.

Courses are drawn before sections because sections and course history both point at them; a
renamed course has one SCBCRSE row per title, and a few are renamed from next term on, so the
effective-term rules have something to get wrong.
"""

from __future__ import annotations

from sandbox.banner import vocabulary as words
from sandbox.banner.terms import shift_term
from sandbox.banner.validation import stamp
from sandbox.banner.world import Course, Rows, World
from tools.banner.schema import scbcrse

CATALOG_START = "199910"


def draw_courses(world: World) -> list[Course]:
    """Two courses per five sections (at least four), one in five graduate, none repeated."""
    rng = world.rng
    count = max(4, world.plan.sections * 2 // 5)
    taken: set[tuple[str, str]] = set()
    courses: list[Course] = []
    while len(courses) < count:
        subject, noun, college, dept = rng.choice(words.SUBJECTS)
        level = "GR" if rng.random() < 0.2 or len(courses) == 1 else "UG"
        number = str(rng.randint(500, 799) if level == "GR" else rng.randint(100, 499))
        if (subject, number) in taken:
            continue
        taken.add((subject, number))
        first = rng.choice(words.TITLE_PATTERNS).format(s=noun)
        titles = [(CATALOG_START, first)]
        if rng.random() < 0.4:
            renamed = rng.choice(words.TITLE_PATTERNS).format(s=noun) + " I"
            titles.append((rng.choice(world.admit_terms), renamed))
        if rng.random() < 0.05:
            titles.append((shift_term(world.term, 1), first + " (New)"))
        credits = rng.choice((3.0, 3.0, 3.0, 4.0, 1.0))
        courses.append(Course(subject, number, level, credits, titles, college, dept))
    return courses


def catalog(world: World) -> Rows:
    """SCBCRSE: one row per course and title, oldest title first."""
    return [
        {
            "scbcrse_subj_code": c.subject,
            "scbcrse_crse_numb": c.number,
            "scbcrse_eff_term": eff,
            "scbcrse_title": title,
            "scbcrse_coll_code": c.college,
            "scbcrse_dept_code": c.dept,
            "scbcrse_credit_hr_low": c.credits,
            **stamp(scbcrse, world.at),
        }
        for c in world.courses
        for eff, title in c.titles
    ]
