"""People: instructors and students, their SPRIDEN name and ID history, and their e-mail.

Persons are drawn first because every other table refers to them by PIDM. SPRIDEN carries the
history the identity rules must see through (earlier names and IDs beside the current row, two
organisations that are not people), and GOREMAL leaves some students without a usable address.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sandbox.banner import vocabulary as words
from sandbox.banner.validation import stamp
from sandbox.banner.world import Person, Rows, Student, World
from tools.banner.schema import gobtpac, goremal, spriden

ORGANISATIONS = ("Community Scholarship Fund", "Regional Health Partners")


def _person(world: World, pidm: int, prefix: str) -> Person:
    rng = world.rng
    return Person(
        pidm=pidm,
        banner_id=world.banner_id(prefix),
        first=rng.choice(words.FIRST_NAMES),
        middle=rng.choice(words.MIDDLE_INITIALS) if rng.random() < 0.6 else None,
        last=rng.choice(words.LAST_NAMES),
    )


def draw_faculty(world: World) -> list[Person]:
    """One instructor per three sections, at least four, with ``@`` IDs."""
    return [_person(world, 900001 + i, "@") for i in range(max(4, world.plan.sections // 3))]


def draw_students(world: World) -> list[Student]:
    """The plan's students: mostly undergraduates, admitted this term or in one of the last six."""
    rng = world.rng
    students = []
    for i in range(world.plan.students):
        level = "GR" if rng.random() < 0.15 else "UG"
        admit = world.term if rng.random() < 0.2 else rng.choice(world.admit_terms)
        person = _person(world, 100001 + i, "A")
        students.append(Student(person, level, admit, rng.choice(words.MAJORS)))
    return students


def _everyone(world: World) -> Iterator[Person]:
    yield from world.faculty
    for student in world.students:
        yield student.person


def persons(world: World) -> Rows:
    """SPRIDEN: a current row for everyone, some after a name or ID change; two organisations."""
    rng = world.rng
    rows: Rows = []

    def row(p: Person, banner_id: str, last: str, change: str | None) -> dict[str, Any]:
        return {
            "spriden_pidm": p.pidm,
            "spriden_id": banner_id,
            "spriden_last_name": last,
            "spriden_first_name": p.first,
            "spriden_mi": p.middle,
            "spriden_change_ind": change,
            "spriden_entity_ind": "P",
            "spriden_ntyp_code": None,
            **stamp(spriden, world.at),
        }

    for p in _everyone(world):
        roll = rng.random()
        if roll < 0.08:
            rows.append(row(p, p.banner_id, rng.choice(words.LAST_NAMES), "N"))
        elif roll < 0.10:
            rows.append(row(p, world.banner_id("A"), p.last, "I"))
        rows.append(row(p, p.banner_id, p.last, None))
    for n, name in enumerate(ORGANISATIONS):
        # Each organisation draws two ID numbers and SPRIDEN carries the second one.
        organisation = Person(990001 + n, world.banner_id("@"), "", None, name)
        rows.append({
            **row(organisation, world.banner_id("@"), name, None),
            "spriden_first_name": None,
            "spriden_entity_ind": "C",
        })  # fmt: skip
    return rows


def campus_login(p: Person) -> str:
    """The campus user name: GOBTPAC's login and the local part of the university address."""
    return f"{p.first[0]}{p.last}{p.pidm}".lower()  # the PIDM keeps it unique at any size


def emails(world: World) -> Rows:
    """GOREMAL: a university address for most, personal ones for some, none for a few students."""
    rng = world.rng
    rows: Rows = []

    def row(p: Person, code: str, address: str, status: str, pref: str) -> dict[str, Any]:
        return {
            "goremal_pidm": p.pidm,
            "goremal_emal_code": code,
            "goremal_email_address": address,
            "goremal_status_ind": status,
            "goremal_preferred_ind": pref,
            **stamp(goremal, world.at),
        }

    for p in _everyone(world):
        university = f"{campus_login(p)}@example.edu"
        personal = f"{p.first}.{p.last}{p.pidm % 97}@mail.example.com".lower()
        roll = rng.random() if p.pidm < 900000 else 0.0
        if roll < 0.90:
            rows.append(row(p, "UNIV", university, "A", "Y"))
            if rng.random() < 0.3:
                rows.append(row(p, "PERS", personal, "A", "N"))
        elif roll < 0.94:
            rows.append(row(p, "PERS", personal, "A", "Y"))
        elif roll < 0.97:
            rows.append(row(p, "UNIV", university, "I", "Y"))
        # else: no e-mail on file at all
    return rows


def logins(world: World) -> Rows:
    """GOBTPAC: every person's campus login, the local part of their university address.

    Drawn without the world's random stream so adding the table leaves every other seeded row as
    it was.
    """
    return [
        {
            "gobtpac_pidm": p.pidm,
            "gobtpac_external_user": campus_login(p),
            **stamp(gobtpac, world.at),
        }
        for p in _everyone(world)
    ]
