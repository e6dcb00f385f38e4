"""The deterministic synthetic Banner: persons, catalog, sections, registrations and history.

Everything is drawn from one ``random.Random(seed)`` in a fixed order and every date is derived
from the term code, so a seed gives the same rows, in the same order, on every run and machine.
The shape is meant to exercise the rules, not just fill tables: name and ID history rows in
SPRIDEN, students with no usable e-mail, full sections with wait-lists, cross-listed and
cancelled sections, secondary instructors with a NULL primary indicator, advisors and student
records that changed over time (and future-effective rows that must not apply yet), holds that
block registration or have expired or been released, catalog titles that changed, grade history
with grade changes, and aid records.

This module holds that fixed order and nothing else: :func:`generate` builds the
:class:`~sandbox.banner.world.World` (people, catalogue, sections, registration) and then asks
each concept's module for its tables, so moving a call here changes every seed's data. The plan
is :class:`~sandbox.banner.plan.SeedPlan`, importable from here too.

:func:`generate` yields ``(table, rows)`` in insert order; :mod:`sandbox.banner.seeding` writes
them.
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import Table

from sandbox.banner.aid import aid
from sandbox.banner.catalog import catalog, draw_courses
from sandbox.banner.cohorts import former_students, prerequisites
from sandbox.banner.demographics import demographics
from sandbox.banner.history import history
from sandbox.banner.holds import holds
from sandbox.banner.people import draw_faculty, draw_students, emails, logins, persons
from sandbox.banner.plan import SeedPlan
from sandbox.banner.registration import register, registrations
from sandbox.banner.sections import assignments, crosslists, draw_sections, section_rows
from sandbox.banner.student_records import advisors, comments, student_records
from sandbox.banner.term_table import terms
from sandbox.banner.world import Rows, World
from tools.banner.schema import (
    gobtpac,
    goremal,
    rorstat,
    rprawrd,
    scbcrse,
    scrrtst,
    sfrstcr,
    sgbstdn,
    sgradvr,
    shrlgpa,
    shrtckg,
    shrtckn,
    shrtgpa,
    sirasgn,
    spbpers,
    sprhold,
    spriden,
    ssbsect,
    ssrxlst,
    stvterm,
    szrcmnt,
)

__all__ = ["SeedPlan", "generate"]


def _world(plan: SeedPlan) -> World:
    world = World.open(plan)
    world.faculty = draw_faculty(world)
    world.students = draw_students(world)
    world.courses = draw_courses(world)
    world.sections = draw_sections(world)
    register(world)
    return world


def generate(plan: SeedPlan) -> Iterator[tuple[Table, Rows]]:
    """Every generated table with its rows, in an order that satisfies dependencies."""
    world = _world(plan)
    yield stvterm, terms(world)
    yield spriden, persons(world)
    yield goremal, emails(world)
    yield gobtpac, logins(world)
    yield scbcrse, catalog(world)
    yield ssbsect, section_rows(world)
    yield ssrxlst, crosslists(world)
    yield sirasgn, assignments(world)
    yield sfrstcr, registrations(world)
    yield sgbstdn, student_records(world)
    yield sgradvr, advisors(world)
    yield sprhold, holds(world)
    courses, grades, term_gpa, overall = history(world)
    yield shrtckn, courses
    yield shrtckg, grades
    yield shrtgpa, term_gpa
    yield shrlgpa, overall
    statuses, awards = aid(world)
    yield rorstat, statuses
    yield rprawrd, awards
    yield szrcmnt, comments(world)
    # Last, and from its own stream: adding SPBPERS left every earlier table's rows unchanged.
    yield spbpers, demographics(world)
    # So are the prerequisites and the former students (none unless the plan asks for them).
    yield scrrtst, prerequisites(world)
    yield from former_students(world)
