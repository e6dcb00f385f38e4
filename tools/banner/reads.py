"""Read tools over Banner: typed results from the statements in :mod:`tools.banner.queries`.

Each function takes an ``Engine`` (it opens and closes a connection) or a ``Connection`` (it
joins the caller's transaction, as the write tools do). Rules that depend on "today" take the day
as an explicit ``as_of`` argument, so results are reproducible and testable.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from functools import cache
from typing import Any

from sqlalchemy import Connection, Engine, Row, bindparam

from tools.banner import queries
from tools.banner.errors import (
    HoldNotFound,
    PersonNotFound,
    RegistrationNotFound,
    SectionNotFound,
    StudentRecordNotFound,
)
from tools.banner.models import (
    AccountRecord,
    Advisor,
    AidSummary,
    Award,
    CourseRegistration,
    CrossListGroup,
    GpaLine,
    GpaSummary,
    GradeOptions,
    Hold,
    HoldEffect,
    HoldSummary,
    Instructor,
    Person,
    PersonName,
    Registration,
    RosterEntry,
    Section,
    SectionRoster,
    StudentStanding,
    TermRegistrations,
)

Db = Engine | Connection
"""Where a read runs: a fresh connection from an engine, or the caller's connection."""


@contextmanager
def connection(db: Db) -> Iterator[Connection]:
    """Borrow ``db`` if it is a connection, else open one for the duration of the block."""
    if isinstance(db, Connection):
        yield db
    else:
        with db.connect() as conn:
            yield conn


def _yes(value: Any) -> bool:
    return bool(value == "Y")


# --- statements every event runs, built once -----------------------------------------------
#
# Building a SQLAlchemy statement and its cache key costs more than running it on an indexed
# SQLite table. The reads below run on every registration event, so their statements are built
# once with named bind parameters from the same builders (the Oracle-compiled ones in
# ``queries.STATEMENTS``) and executed with values: an event's four Banner reads went from
# 2.75 ms to 0.52 ms of CPU (1,000 students / 50 sections on SQLite).


def _param(name: str, *, expanding: bool = False) -> Any:
    """A named bind parameter standing in for a builder's argument."""
    return bindparam(name, expanding=expanding)


@cache
def _person_by_pidm() -> queries.AnySelect:
    return queries.person_by_pidm(_param("pidm"))


@cache
def _sections_with_crosslists() -> queries.AnySelect:
    return queries.sections_with_crosslists(_param("term"), _param("crns", expanding=True))


@cache
def _term_first_class() -> queries.AnySelect:
    return queries.term_first_class(_param("term"))


@cache
def _sections_roster_snapshot(one_student: bool) -> queries.AnySelect:
    pidm = _param("pidm") if one_student else None
    return queries.sections_roster_snapshot(_param("term"), _param("crns", expanding=True), pidm)


# --- persons -------------------------------------------------------------------------------


def person_by_pidm(db: Db, pidm: int) -> Person:
    """A person's current name, Banner ID and preferred active e-mail, by PIDM."""
    with connection(db) as conn:
        row = conn.execute(_person_by_pidm(), {"pidm": pidm}).first()
    if row is None:
        raise PersonNotFound(pidm=pidm)
    return Person(**row._mapping)


def person_by_id(db: Db, banner_id: str) -> Person:
    """A person by current Banner ID; an ID replaced by a newer one is not found."""
    with connection(db) as conn:
        row = conn.execute(queries.person_by_id(banner_id)).first()
    if row is None:
        raise PersonNotFound(banner_id=banner_id)
    return Person(**row._mapping)


def account_records(db: Db, pidms: Iterable[int], email_code: str) -> list[AccountRecord]:
    """The account facts of ``pidms`` (those with a current SPRIDEN row), in PIDM order.

    Read in chunks of 500 PIDMs: Oracle refuses an IN list of more than 1,000 and a term start
    asks for 30,000.
    """
    wanted = sorted(set(pidms))
    records: list[AccountRecord] = []
    with connection(db) as conn:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            for row in conn.execute(queries.account_records(chunk, email_code)):
                values = dict(row._mapping)
                values["confidential"] = _yes(values["confidential"])
                records.append(AccountRecord(**values))
    return records


def current_person_names(db: Db) -> Iterator[PersonName]:
    """Stream current person names, so the PII recognizer can know every name in Banner."""
    with connection(db) as conn:
        for row in conn.execute(queries.current_person_names()):
            yield PersonName(**row._mapping)


# --- sections ------------------------------------------------------------------------------


def _section(row: Row[Any]) -> Section:
    values = dict(row._mapping)
    values["gradable"] = _yes(values["gradable"])
    return Section(**values)


def get_section(db: Db, term: str, crn: str) -> Section:
    """A section with its title, falling back to the catalog row effective for its term."""
    with connection(db) as conn:
        row = conn.execute(queries.section(term, crn)).first()
    if row is None:
        raise SectionNotFound(term=term, crn=crn)
    return _section(row)


def term_sections(db: Db, term: str) -> list[Section]:
    """All sections of a term with their cross-list groups, in one statement."""
    with connection(db) as conn:
        return [_section(row) for row in conn.execute(queries.term_sections(term))]


def sections_with_crosslists(db: Db, term: str, crns: Sequence[str]) -> list[Section]:
    """These sections and their cross-list partners (unknown CRNs are simply absent)."""
    with connection(db) as conn:
        rows = conn.execute(_sections_with_crosslists(), {"term": term, "crns": list(crns)})
        return [_section(row) for row in rows]


def term_first_class(db: Db, term: str) -> date | None:
    """The earliest start date among a term's sections, None when none is dated."""
    with connection(db) as conn:
        first: date | None = conn.execute(_term_first_class(), {"term": term}).scalar_one()
    return first


def _require_section(conn: Connection, term: str, crn: str) -> None:
    if conn.execute(queries.section(term, crn)).first() is None:
        raise SectionNotFound(term=term, crn=crn)


def crosslist_group(db: Db, term: str, crn: str) -> CrossListGroup | None:
    """The cross-list group of a CRN (which Canvas merges into one course), or None."""
    with connection(db) as conn:
        rows = conn.execute(queries.crosslist_members(term, crn)).all()
        if not rows:
            _require_section(conn, term, crn)
            return None
    return CrossListGroup(term=term, group=rows[0].xlst_group, crns=[row.crn for row in rows])


def section_instructors(db: Db, term: str, crn: str) -> list[Instructor]:
    """Instructors of record, primary first; a NULL primary indicator means secondary."""
    with connection(db) as conn:
        rows = conn.execute(queries.section_instructors(term, crn)).all()
        if not rows:
            _require_section(conn, term, crn)
    return [
        Instructor(
            pidm=row.pidm,
            banner_id=row.banner_id,
            last_name=row.last_name,
            first_name=row.first_name,
            primary=_yes(row.primary_ind),
            category=row.category,
            percent_response=row.percent_response,
        )
        for row in rows
    ]


def sections_taught_by(db: Db, pidm: int, term: str) -> list[str]:
    """CRNs a person teaches in a term: the scope of an instructor's access."""
    with connection(db) as conn:
        return [row.crn for row in conn.execute(queries.sections_taught(pidm, term))]


def sections_of_record(db: Db, pidm: int, term: str) -> list[str]:
    """CRNs of a term whose instructor of record (primary SIRASGN row) is this person."""
    with connection(db) as conn:
        stmt = queries.sections_taught(pidm, term, primary=True)
        return [row.crn for row in conn.execute(stmt)]


def teaches(db: Db, pidm: int, term: str, crn: str) -> bool:
    """Whether a person is assigned to teach the section."""
    with connection(db) as conn:
        return conn.execute(queries.sections_taught(pidm, term, crn)).first() is not None


# --- registrations -------------------------------------------------------------------------


def section_roster(db: Db, term: str, crn: str) -> SectionRoster:
    """Enrolled and wait-listed students of a section, as STVRSTS flags define them."""
    enrolled: list[RosterEntry] = []
    waitlisted: list[RosterEntry] = []
    with connection(db) as conn:
        rows = conn.execute(queries.section_roster(term, crn)).all()
        if not rows:
            _require_section(conn, term, crn)
    for row in rows:
        entry = RosterEntry(
            pidm=row.pidm,
            banner_id=row.banner_id,
            last_name=row.last_name,
            first_name=row.first_name,
            rsts_code=row.rsts_code,
            rsts_date=row.rsts_date,
            level=row.level,
            grade=row.grade,
            waitlist_priority=row.waitlist_priority,
        )
        (enrolled if _yes(row.incl_sect_enrl) else waitlisted).append(entry)
    waitlisted.sort(key=lambda e: (e.waitlist_priority is None, e.waitlist_priority or 0))
    return SectionRoster(term=term, crn=crn, enrolled=enrolled, waitlisted=waitlisted)


def _registrations(
    db: Db, term: str, stmt: queries.AnySelect, params: dict[str, Any] | None = None
) -> list[Registration]:
    with connection(db) as conn:
        result = conn.execute(stmt, params)
        return [
            Registration(
                term=term,
                pidm=pidm,
                banner_id=banner_id,
                crn=crn,
                rsts_code=rsts_code,
                rsts_date=rsts_date,
                enrolled=incl == "Y",
                waitlisted=wait == "Y",
                withdrawn=withdraw == "Y",
                level=level,
                grade=grade,
                credit_hours=credit_hours,
            )
            for (
                pidm,
                banner_id,
                crn,
                rsts_code,
                rsts_date,
                incl,
                wait,
                withdraw,
                level,
                grade,
                credit_hours,
            ) in result
        ]


def term_roster_snapshot(db: Db, term: str) -> list[Registration]:
    """Every registration of a term in one statement: what reconciliation compares to Canvas."""
    return _registrations(db, term, queries.term_roster_snapshot(term))


def sections_roster_snapshot(
    db: Db, term: str, crns: Sequence[str], pidm: int | None = None
) -> list[Registration]:
    """The term snapshot limited to some sections, and to one student when ``pidm`` is given."""
    params: dict[str, Any] = {"term": term, "crns": list(crns)}
    if pidm is not None:
        params["pidm"] = pidm
    return _registrations(db, term, _sections_roster_snapshot(pidm is not None), params)


def valid_grade_codes(db: Db, term: str, pidm: int, crn: str) -> GradeOptions:
    """Grade codes enterable for a registration: SHRGRDE of its level, effective for the term."""
    with connection(db) as conn:
        reg = conn.execute(queries.registration(term, pidm, crn)).first()
        if reg is None:
            raise RegistrationNotFound(term=term, pidm=pidm, crn=crn)
        return grade_codes_for_level(conn, reg.level, term)


def grade_codes_for_level(db: Db, level: str, term: str) -> GradeOptions:
    """Web-enterable grade codes of a level in a term (each code's effective, unexpired row)."""
    with connection(db) as conn:
        codes = [row.code for row in conn.execute(queries.grade_codes(level, term))]
    return GradeOptions(term=term, level=level, codes=codes)


# --- student records -----------------------------------------------------------------------


def _require_person(conn: Connection, pidm: int) -> None:
    if conn.execute(queries.person_by_pidm(pidm)).first() is None:
        raise PersonNotFound(pidm=pidm)


def student_standing(db: Db, pidm: int, term: str) -> StudentStanding:
    """The student record effective for a term (largest SGBSTDN_TERM_CODE_EFF <= term)."""
    with connection(db) as conn:
        row = conn.execute(queries.student_standing(pidm, term)).first()
    if row is None:
        raise StudentRecordNotFound(pidm=pidm, term=term)
    return StudentStanding(term=term, **row._mapping)


def student_gpa(db: Db, pidm: int, term: str) -> GpaSummary:
    """Term GPA (SHRTGPA) and cumulative GPA by level (SHRLGPA)."""
    with connection(db) as conn:
        _require_person(conn, pidm)
        term_rows = conn.execute(queries.term_gpa(pidm, term)).all()
        overall_rows = conn.execute(queries.overall_gpa(pidm)).all()
    return GpaSummary(
        pidm=pidm,
        term=term,
        term_gpa=[GpaLine(**row._mapping) for row in term_rows],
        overall_gpa=[GpaLine(**row._mapping) for row in overall_rows],
    )


_HOLD_EFFECTS: dict[str, HoldEffect] = {
    "reg_hold_ind": "registration",
    "grade_hold_ind": "grades",
    "trans_hold_ind": "transcript",
    "grad_hold_ind": "graduation",
    "ar_hold_ind": "accounts_receivable",
}


def _hold(row: Row[Any]) -> Hold:
    values = dict(row._mapping)
    values["release_restricted"] = _yes(values.pop("release_ind"))
    flags = {effect: _yes(values.pop(column)) for column, effect in _HOLD_EFFECTS.items()}
    values["blocks_registration"] = flags["registration"]
    values["blocks"] = [effect for effect, on in flags.items() if on]
    return Hold(**values)


def student_holds(db: Db, pidm: int, as_of: date) -> HoldSummary:
    """Holds in force on ``as_of`` and whether any blocks registration (STVHLDD_REG_HOLD_IND)."""
    with connection(db) as conn:
        _require_person(conn, pidm)
        holds = [_hold(row) for row in conn.execute(queries.active_holds(pidm, as_of))]
    return HoldSummary(
        pidm=pidm,
        as_of=as_of,
        holds=holds,
        blocks_registration=any(hold.blocks_registration for hold in holds),
    )


def get_hold(db: Db, hold_id: int) -> Hold:
    """One hold by its surrogate id, whether or not it is in force."""
    with connection(db) as conn:
        row = conn.execute(queries.hold_by_id(hold_id)).first()
    if row is None:
        raise HoldNotFound(hold_id=hold_id)
    return _hold(row)


def _advisor(row: Row[Any]) -> Advisor:
    values = dict(row._mapping)
    values["primary"] = _yes(values.pop("primary_ind"))
    return Advisor(**values)


def student_advisors(db: Db, pidm: int, term: str) -> list[Advisor]:
    """Advisors effective for the term (the SGRADVR rows of the latest effective term <= term)."""
    with connection(db) as conn:
        _require_person(conn, pidm)
        return [_advisor(row) for row in conn.execute(queries.student_advisors(pidm, term))]


def primary_advisor(db: Db, pidm: int, term: str) -> Advisor | None:
    """The advisor effective for the term with SGRADVR_PRIM_IND='Y', if there is one."""
    return next((a for a in student_advisors(db, pidm, term) if a.primary), None)


def advisees_of(db: Db, advisor_pidm: int, term: str) -> list[int]:
    """PIDMs of students advised by this person in a term: the scope of an advisor's access."""
    with connection(db) as conn:
        return [row.pidm for row in conn.execute(queries.advisees(advisor_pidm, term))]


def is_advisor_of(db: Db, advisor_pidm: int, student_pidm: int, term: str) -> bool:
    """Whether the person is among the student's advisors effective for the term."""
    with connection(db) as conn:
        stmt = queries.advisees(advisor_pidm, term, student_pidm)
        return conn.execute(stmt).first() is not None


def aid_summary(db: Db, pidm: int, aid_year: str) -> AidSummary:
    """Aid status and awards for one aid year, with totals a student can be told."""
    with connection(db) as conn:
        _require_person(conn, pidm)
        status = conn.execute(queries.aid_status(pidm, aid_year)).first()
        awards = [Award(**row._mapping) for row in conn.execute(queries.aid_awards(pidm, aid_year))]
    return AidSummary(
        pidm=pidm,
        aid_year=aid_year,
        has_aid_record=status is not None,
        requirements_complete=status is not None and status.requirements_complete_date is not None,
        packaging_complete=status is not None and status.packaging_complete_date is not None,
        awards=awards,
        total_offered=round(sum(a.offered for a in awards), 2),
        total_accepted=round(sum(a.accepted for a in awards), 2),
        total_paid=round(sum(a.paid for a in awards), 2),
    )


def _course_registration(row: Row[Any]) -> CourseRegistration:
    values = dict(row._mapping)
    values["enrolled"] = _yes(values.pop("incl_sect_enrl"))
    values["waitlisted"] = _yes(values.pop("wait_ind"))
    values["withdrawn"] = _yes(values.pop("withdraw_ind"))
    return CourseRegistration(**values)


def student_registrations(db: Db, pidm: int, term: str) -> TermRegistrations:
    """A student's registrations in a term (every status), with the enrolled credit hours.

    Only registrations whose status counts as enrolled (STVRSTS_INCL_SECT_ENRL) add to the
    total; a wait-listed or dropped course is listed with its status but adds nothing.
    """
    with connection(db) as conn:
        _require_person(conn, pidm)
        rows = conn.execute(queries.student_registrations(pidm, term))
        courses = [_course_registration(row) for row in rows]
    return TermRegistrations(
        pidm=pidm,
        term=term,
        courses=courses,
        enrolled_credit_hours=round(sum(c.credit_hours or 0 for c in courses if c.enrolled), 3),
    )
