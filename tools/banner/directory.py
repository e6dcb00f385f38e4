"""Read tools for the staff directory: the search index's extract and the profile's extras.

Beside :mod:`tools.banner.reads` (which the agents' tools use) because these serve people's
screens: the extract streams every student for the search index, the rest are one-student
reads the profile adds to the agents' ones (SPBPERS, the term schedule, an instructor's
students).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime

from tools.banner import queries
from tools.banner.models import PersonDetails, ScheduledCourse, SearchEntry
from tools.banner.reads import Db, connection


def search_entries(db: Db, pidms: Sequence[int] | None = None) -> list[SearchEntry]:
    """Every student (or the given ones) with current name, e-mail addresses and level."""
    with connection(db) as conn:
        addresses: dict[int, list[str]] = defaultdict(list)
        for row in conn.execute(queries.search_emails(pidms)):
            addresses[row.pidm].append(row.address)
        return [
            SearchEntry(
                pidm=row.pidm,
                banner_id=row.banner_id,
                first_name=row.first_name,
                last_name=row.last_name,
                preferred_first_name=row.preferred_first_name,
                confidential=row.confid_ind == "Y",
                level=row.level,
                email=row.email,
                addresses=tuple(addresses.get(row.pidm, ())),
            )
            for row in conn.execute(queries.search_entries(pidms))
        ]


def changed_students(db: Db, since: datetime) -> list[int]:
    """PIDMs whose SPRIDEN, GOREMAL, SPBPERS or SGBSTDN rows changed after ``since``."""
    with connection(db) as conn:
        return sorted(row.pidm for row in conn.execute(queries.changed_students(since)))


def latest_activity(db: Db) -> datetime | None:
    """The newest activity date among the tables the index reads (None: empty Banner)."""
    with connection(db) as conn:
        row = conn.execute(queries.latest_activity()).one()
    stamps = [s for s in row if s is not None]
    return max(stamps) if stamps else None


def person_details(db: Db, pidm: int) -> PersonDetails | None:
    """The SPBPERS row of a person, or None when Banner has none."""
    with connection(db) as conn:
        row = conn.execute(queries.person_details(pidm)).first()
    if row is None:
        return None
    values = dict(row._mapping)
    values["confidential"] = values.pop("confid_ind") == "Y"
    return PersonDetails(**values)


def student_schedule(db: Db, pidm: int, term: str) -> list[ScheduledCourse]:
    """The term's registrations that count on a roster."""
    with connection(db) as conn:
        rows = conn.execute(queries.student_schedule(pidm, term)).all()
    return [
        ScheduledCourse(
            crn=r.crn,
            subject=r.subject,
            course_number=r.course_number,
            sequence=r.sequence,
            title=r.title,
            credit_hours=r.credit_hours,
            status=r.status,
            waitlisted=r.wait_ind == "Y",
        )
        for r in rows
    ]


def students_taught(db: Db, instructor_pidm: int, term: str) -> dict[int, frozenset[str]]:
    """Each student on a roster the person teaches in the term, with those sections' CRNs."""
    found: dict[int, set[str]] = defaultdict(set)
    with connection(db) as conn:
        for row in conn.execute(queries.students_taught(instructor_pidm, term)):
            found[row.pidm].add(row.crn)
    return {pidm: frozenset(crns) for pidm, crns in found.items()}


def current_term(db: Db, today: date) -> str | None:
    """The latest term started by ``today``; None when STVTERM has none."""
    with connection(db) as conn:
        term: str | None = conn.execute(queries.current_term(today)).scalar()
    return term
