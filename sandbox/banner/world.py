"""The synthetic institution every table is drawn from, and the random stream it shares.

The generator's parts cooperate through one :class:`World`: the single ``random.Random(seed)``
they all draw from, the current term's dates, the pool of unused ID numbers, and the people,
courses and sections drawn so far. The records live here rather than beside the tables that
emit them because they refer to one another (a student's registrations point at sections,
sections at courses) and most tables read several of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from random import Random
from typing import Any, NamedTuple

from sandbox.banner.plan import SeedPlan
from sandbox.banner.terms import regular_terms_before, term_dates

Rows = list[dict[str, Any]]


@dataclass
class Person:
    """Someone with a PIDM and a current name: a student, an instructor or an organisation."""

    pidm: int
    banner_id: str
    first: str
    middle: str | None
    last: str


@dataclass
class Course:
    """A catalogue course; its title may have changed over time."""

    subject: str
    number: str
    level: str
    credits: float
    titles: list[tuple[str, str]]  # (effective term, title), oldest first
    college: str
    dept: str

    def title_in(self, term: str) -> str:
        """The title in effect in ``term``."""
        return [title for eff, title in self.titles if eff <= term][-1]


@dataclass
class Section:
    """A section of the current term; seats and counts are filled in by registration."""

    crn: str
    course: Course
    sequence: str
    status: str
    title: str | None
    campus: str
    part: str
    max_enrl: int = 0
    wait_capacity: int = 0
    enrolled: int = 0
    waiting: int = 0
    weight: float = 1.0


class Registration(NamedTuple):
    """A student's place in a section: the status code, when it was added, wait-list rank."""

    section: Section
    code: str
    added: date
    priority: int | None


@dataclass
class Student:
    """A student: the person, level, admission term, major and this term's registrations."""

    person: Person
    level: str
    admit: str
    major: str
    sections: list[Registration] = field(default_factory=list)


@dataclass
class World:
    """The random stream, the plan's dates and everything drawn so far."""

    plan: SeedPlan
    rng: Random
    start: date
    end: date
    at: datetime
    admit_terms: list[str]
    numbers: Iterator[int]
    faculty: list[Person] = field(default_factory=list)
    students: list[Student] = field(default_factory=list)
    courses: list[Course] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)

    @classmethod
    def open(cls, plan: SeedPlan) -> World:
        """Check the plan, seed the stream and draw the ID numbers; nothing else is drawn yet."""
        plan.check()
        rng = Random(plan.seed)
        start, end = term_dates(plan.term)
        at = datetime.combine(start - timedelta(days=30), time(8, 0))
        admit_terms = regular_terms_before(plan.term, 6)
        numbers = rng.sample(range(1_000_000, 10_000_000), plan.students * 2 + 200)
        return cls(plan, rng, start, end, at, admit_terms, iter(numbers))

    @property
    def term(self) -> str:
        """The current term."""
        return self.plan.term

    def banner_id(self, prefix: str) -> str:
        """A Banner ID not yet used: ``prefix``, a zero and the next unused number."""
        return f"{prefix}0{next(self.numbers)}"
