"""The generator: byte-for-byte deterministic per seed, and shaped like a real Banner term."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Connection, Engine, select

from core.db import make_engine
from core.errors import ConfigurationError, ValidationFailed
from sandbox.banner.generator import SeedPlan, generate
from sandbox.banner.people import campus_login
from sandbox.banner.seeding import AlreadySeeded, create_schema, seed_banner
from sandbox.banner.terms import term_dates
from sandbox.banner.world import Person
from tools.banner import reads
from tools.banner import schema as s

TERM = "202610"
SMALL = SeedPlan(students=300, sections=30, term=TERM, seed=11)


def canonical(value: object) -> str:
    # Numbers as floats: SQLite's NUMERIC affinity hands back 3.0 as the integer 3.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return repr(round(float(value), 6))
    if isinstance(value, date | datetime):
        return value.isoformat()
    return repr(value)


def digest(engine: Engine) -> str:
    """SHA-256 of every table's rows, canonically rendered and sorted."""
    h = hashlib.sha256()
    with engine.connect() as conn:
        for name in sorted(s.metadata.tables):
            table = s.metadata.tables[name]
            rows = sorted(
                "|".join(canonical(v) for v in row) for row in conn.execute(select(table))
            )
            h.update(f"{name}:{len(rows)}\n".encode())
            h.update("\n".join(rows).encode())
    return h.hexdigest()


def values(conn: Connection, column: Any) -> list[Any]:
    return list(conn.execute(select(column)).scalars())


def seeded(path: Path, plan: SeedPlan) -> Engine:
    engine = make_engine(f"sqlite:///{path}")
    seed_banner(engine, plan)
    return engine


def test_generated_strings_fit_their_columns() -> None:
    # SQLite does not enforce VARCHAR lengths; PostgreSQL and Oracle do.
    too_long = {
        (table.name, column, value)
        for table, rows in generate(SeedPlan(1000, 100, TERM, seed=2))
        for row in rows
        for column, value in row.items()
        if isinstance(value, str)
        and len(value) > (getattr(table.c[column].type, "length", 0) or 9999)
    }
    assert too_long == set()


def test_same_seed_same_bytes_other_seed_other_data(tmp_path: Path) -> None:
    first, second = seeded(tmp_path / "a.db", SMALL), seeded(tmp_path / "b.db", SMALL)
    other = seeded(tmp_path / "c.db", SeedPlan(300, 30, TERM, seed=12))
    digests = [digest(e) for e in (first, second, other)]
    for engine in (first, second, other):
        engine.dispose()
    assert digests[0] == digests[1]
    assert digests[0] != digests[2]
    assert (tmp_path / "a.db").read_bytes() == (tmp_path / "b.db").read_bytes()


def test_postgresql_receives_the_same_data(tmp_path: Path, pg_url: str) -> None:
    lite = seeded(tmp_path / "a.db", SMALL)
    pg = make_engine(pg_url)
    seed_banner(pg, SMALL)
    try:
        assert digest(pg) == digest(lite)
    finally:
        pg.dispose()
        lite.dispose()


@pytest.mark.parametrize(("students", "sections"), [(1, 1), (7, 2), (40, 3)])
def test_tiny_sandboxes_are_consistent(tmp_path: Path, students: int, sections: int) -> None:
    engine = seeded(tmp_path / "t.db", SeedPlan(students, sections, TERM, seed=5))
    listed = reads.term_sections(engine, TERM)
    snapshot = reads.term_roster_snapshot(engine, TERM)
    assert len(listed) == sections
    assert sum(x.enrollment for x in listed) == sum(r.enrolled for r in snapshot)
    engine.dispose()


def test_seeding_refuses_existing_data_unless_replaced(tmp_path: Path) -> None:
    engine = seeded(tmp_path / "a.db", SMALL)
    with pytest.raises(AlreadySeeded, match="--replace"):
        seed_banner(engine, SMALL)
    counts = seed_banner(engine, SeedPlan(100, 10, TERM, seed=1), replace=True)
    assert len(reads.term_sections(engine, TERM)) == counts["ssbsect"] == 10
    engine.dispose()


def test_bad_plans_and_oracle_are_refused(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'a.db'}")
    with pytest.raises(ValidationFailed, match="YYYYPP"):
        seed_banner(engine, SeedPlan(10, 2, "2026", 1))
    with pytest.raises(ValidationFailed, match="at least 1"):
        seed_banner(engine, SeedPlan(0, 2, TERM, 1))
    oracle = make_engine("oracle+oracledb://u:p@127.0.0.1:1/x", check=False)
    with pytest.raises(ConfigurationError, match="Oracle"):
        create_schema(oracle)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    return seeded(tmp_path_factory.mktemp("gen") / "g.db", SeedPlan(2000, 200, TERM, seed=3))


def test_section_counts_agree_with_registrations(generated: Engine) -> None:
    snapshot = reads.term_roster_snapshot(generated, TERM)
    enrolled = Counter(r.crn for r in snapshot if r.enrolled)
    waiting = Counter(r.crn for r in snapshot if r.waitlisted)
    sections = reads.term_sections(generated, TERM)
    assert all(x.enrollment == enrolled[x.crn] <= x.max_enrollment for x in sections)
    assert all(x.wait_count == waiting[x.crn] <= x.wait_capacity for x in sections)
    assert sum(waiting.values()) > 0
    per_student = Counter(r.pidm for r in snapshot)
    assert max(per_student.values()) <= 6
    assert sum(n >= 3 for n in per_student.values()) >= 0.95 * len(per_student)


def test_sections_are_realistic(generated: Engine) -> None:
    sections = reads.term_sections(generated, TERM)
    statuses = Counter(x.status for x in sections)
    assert statuses["C"] >= 1 and statuses["A"] >= 0.9 * len(sections)
    crosslisted = [x for x in sections if x.crosslist_group]
    assert 0.01 * len(sections) <= len(crosslisted) <= 0.05 * len(sections)
    assert all(x.title for x in sections)  # own title or the effective catalog title
    with generated.connect() as conn:
        own_titles: Sequence[Any] = (
            conn.execute(select(s.ssbsect.c.ssbsect_crse_title)).scalars().all()
        )
        catalog = Counter(conn.execute(select(s.scbcrse.c.scbcrse_subj_code,
                                              s.scbcrse.c.scbcrse_crse_numb)).all())  # fmt: skip
        primary: Counter[Any] = Counter(
            conn.execute(select(s.sirasgn.c.sirasgn_primary_ind)).scalars().all()
        )
    assert 0 < own_titles.count(None) < len(own_titles)
    assert max(catalog.values()) >= 2  # some courses were retitled
    assert primary["Y"] == len(sections) and primary[None] > 0 and "N" not in primary


def test_persons_have_one_current_row_and_some_history(generated: Engine) -> None:
    with generated.connect() as conn:
        rows: Sequence[Any] = conn.execute(
            select(s.spriden.c.spriden_pidm, s.spriden.c.spriden_id, s.spriden.c.spriden_change_ind)
        ).all()
    current = Counter(pidm for pidm, _, change in rows if change is None)
    assert set(current.values()) == {1}
    changes = Counter(change for _, _, change in rows)
    assert changes["N"] > 0 and changes["I"] > 0
    assert all(re.fullmatch(r"[A@]\d{8}", banner_id) for _, banner_id, _ in rows)
    emails = [
        reads.person_by_pidm(generated, pidm).preferred_email for pidm in range(100001, 100301)
    ]
    assert 0 < emails.count(None) < 60


def test_every_person_has_one_unique_login_matching_their_university_address(
    generated: Engine,
) -> None:
    with generated.connect() as conn:
        people: set[int] = set(conn.execute(select(s.spriden.c.spriden_pidm).where(
            s.spriden.c.spriden_entity_ind == "P")).scalars())  # fmt: skip
        logins: dict[int, str] = dict(conn.execute(
            select(s.gobtpac.c.gobtpac_pidm, s.gobtpac.c.gobtpac_external_user)).all())  # fmt: skip
        university: Sequence[Any] = conn.execute(
            select(s.goremal.c.goremal_pidm, s.goremal.c.goremal_email_address).where(
                s.goremal.c.goremal_emal_code == "UNIV")
        ).all()  # fmt: skip
    assert set(logins) == people
    assert len(set(logins.values())) == len(logins)
    assert university and all(
        address == f"{logins[pidm]}@example.edu" for pidm, address in university
    )


def test_records_holds_and_history_have_the_interesting_cases(generated: Engine) -> None:
    start = term_dates(TERM)[0]
    with generated.connect() as conn:
        records: Sequence[Any] = (
            conn.execute(select(s.sgbstdn.c.sgbstdn_term_code_eff)).scalars().all()
        )
        advisors: Counter[Any] = Counter(
            conn.execute(select(s.sgradvr.c.sgradvr_pidm)).scalars().all()
        )
        holds: Sequence[Any] = conn.execute(
            select(s.sprhold.c.sprhold_from_date, s.sprhold.c.sprhold_to_date)
        ).all()
        changes = values(conn, s.shrtckg.c.shrtckg_gchg_code)
        awards = values(conn, s.rprawrd.c.rprawrd_awst_code)
    assert any(eff > TERM for eff in records) and any(eff < TERM for eff in records)
    assert max(advisors.values()) >= 2  # changed or secondary advisors
    assert any(to < start for _, to in holds) and any(f <= start < to for f, to in holds)
    assert any(f > start for f, _ in holds)
    assert "IC" in changes
    assert {"ACPT", "OFRD"} <= set(awards)
    blocked = [p for p in range(100001, 102001)
               if reads.student_holds(generated, p, start).blocks_registration]  # fmt: skip
    assert 0 < len(blocked) < 300


def test_campus_logins_stay_unique_when_names_and_pidm_endings_repeat() -> None:
    # Two students named alike whose PIDMs end alike (100001, 110001): one login would make
    # Canvas attach one campus login to two people (account_login_duplicate at term size).
    alike = [
        Person(pidm=pidm, banner_id=f"A{pidm:08d}", first="Ana", middle=None, last="Lee")
        for pidm in (100001, 110001)
    ]
    assert campus_login(alike[0]) != campus_login(alike[1])
    logins = [
        row["gobtpac_external_user"]
        for table, rows in generate(SeedPlan(1000, 100, TERM, seed=2))
        if table.name == "gobtpac"
        for row in rows
    ]
    assert logins and len(set(logins)) == len(logins)
