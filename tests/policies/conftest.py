"""A small seeded Banner sandbox, and the people in it whom the policy tests act as.

The sandbox is generated once per session with the project's deterministic generator. The
facts the tests rely on (who advises whom, who teaches which section, who is on which roster)
are read here with plain SQL, independently of :mod:`policies.scope`, so the scope code is
checked against the data rather than against itself.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import Engine, Row, text

from agents.toolbox import load_default_policy
from core.db import make_engine
from policies.audit import AuditLog
from policies.guard import Guard
from policies.rbac import Policy
from sandbox.banner.generator import SeedPlan
from sandbox.banner.seeding import seed_banner

TERM = "202610"


@dataclass(frozen=True)
class Cast:
    """People and sections of the sandbox with known relationships."""

    term: str
    student: int  # on `section`'s roster, advised by `advisor`
    advisor: int
    instructor: int  # primary instructor of `section`
    section: str
    other_student: int  # not advised by `advisor`, in none of `instructor`'s sections
    other_section: str  # not taught by `instructor`
    registrar: int  # a staff PIDM that neither advises `student` nor teaches `section`


def _cast(engine: Engine) -> Cast:
    with engine.connect() as conn:
        # (student pidm, advisor pidm, effective term), typed as the Banner schema declares them
        advising: Sequence[Row[int, int, str]] = conn.execute(
            text(
                "SELECT sgradvr_pidm, sgradvr_advr_pidm, sgradvr_term_code_eff FROM sgradvr "
                "WHERE sgradvr_term_code_eff <= :t"
            ),
            {"t": TERM},
        ).all()
        teaching: Sequence[Row[str, int, str | None]] = conn.execute(
            text(
                "SELECT sirasgn_crn, sirasgn_pidm, sirasgn_primary_ind FROM sirasgn "
                "WHERE sirasgn_term_code = :t"
            ),
            {"t": TERM},
        ).all()
        roster: Sequence[Row[str, int]] = conn.execute(
            text(
                "SELECT sfrstcr_crn, sfrstcr_pidm FROM sfrstcr JOIN stvrsts "
                "ON stvrsts_code = sfrstcr_rsts_code "
                "WHERE sfrstcr_term_code = :t AND stvrsts_incl_sect_enrl = 'Y'"
            ),
            {"t": TERM},
        ).all()
        sections: list[str] = [r[0] for r in conn.execute(text("SELECT ssbsect_crn FROM ssbsect"))]
    latest: dict[int, str] = {}
    for student, _advisor, eff in advising:
        latest[student] = max(latest.get(student, eff), eff)
    advisors: defaultdict[int, set[int]] = defaultdict(set)
    for student, advisor, eff in advising:
        if eff == latest[student]:
            advisors[student].add(advisor)
    primary = {crn: pidm for crn, pidm, ind in teaching if ind == "Y"}
    taught: defaultdict[int, set[str]] = defaultdict(set)
    for crn, pidm, _ind in teaching:
        taught[pidm].add(crn)
    on_roster: defaultdict[str, set[int]] = defaultdict(set)
    for crn, pidm in roster:
        on_roster[crn].add(pidm)
    staff = {p for s in advisors.values() for p in s} | {p for _, p, _ in teaching}
    for crn in sorted(primary):
        instructor = primary[crn]
        students = sorted(s for s in on_roster[crn] if advisors.get(s))
        candidates = [(s, a) for s in students for a in sorted(advisors[s]) if a != instructor]
        if not candidates:
            continue
        student, advisor = candidates[0]
        reached = {s for c in taught[instructor] for s in on_roster[c]}
        others = sorted(s for s in advisors if advisor not in advisors[s] and s not in reached)
        other_sections = sorted(set(sections) - taught[instructor])
        bystanders = sorted(staff - advisors[student] - {p for c, p, _ in teaching if c == crn})
        if others and other_sections and bystanders:
            return Cast(
                term=TERM,
                student=student,
                advisor=advisor,
                instructor=instructor,
                section=crn,
                other_student=others[0],
                other_section=other_sections[0],
                registrar=bystanders[0],
            )
    raise AssertionError("the sandbox has no section fit for the policy tests")


@pytest.fixture(scope="session")
def banner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The seeded sandbox, read-only by convention: tests that write use ``banner_copy``."""
    path = Path(tmp_path_factory.mktemp("banner")) / "banner.db"
    engine = make_engine(f"sqlite:///{path}")
    seed_banner(engine, SeedPlan(students=150, sections=30, term=TERM, seed=7))
    yield engine
    engine.dispose()


@pytest.fixture
def banner_copy(banner: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A private copy of the sandbox for a test that writes to Banner."""
    target = tmp_path / "banner-copy.db"
    source = sqlite3.connect(str(banner.url.database))
    with sqlite3.connect(target) as copy:
        source.backup(copy)
    source.close()
    engine = make_engine(f"sqlite:///{target}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def cast(banner: Engine) -> Cast:
    return _cast(banner)


@pytest.fixture(scope="session")
def policy() -> Policy:
    return load_default_policy()


@pytest.fixture
def audit(tmp_path: Path) -> AuditLog:
    log = AuditLog(make_engine(f"sqlite:///{tmp_path}/app.db"))
    log.create()
    return log


@pytest.fixture
def guard(policy: Policy, audit: AuditLog) -> Guard:
    return Guard(policy, audit)
