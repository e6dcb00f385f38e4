"""The student search index on each app database: the trigram table on SQLite, pg_trgm on
PostgreSQL; typo tolerance, Banner ID and e-mail, text-only input, incremental refresh."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, update

from core.db import make_engine
from sandbox.banner.generator import SeedPlan
from sandbox.banner.seeding import seed_banner
from tools.banner import reads
from tools.banner.schema import spriden
from tools.banner.search.index import StudentSearchIndex
from tools.banner.search.trigrams import score, trigram_similarity, words


@pytest.fixture(scope="module")
def banner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('b') / 'banner.db'}")
    seed_banner(engine, SeedPlan(students=400, sections=20, term="202610", seed=3))
    yield engine
    engine.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def index(request: pytest.FixtureRequest, tmp_path: Path, banner: Engine) -> Iterator[Any]:
    url = (
        f"sqlite:///{tmp_path / 'app.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    engine = make_engine(url)
    built = StudentSearchIndex(engine)
    built.create()
    built.build(banner)
    yield built
    engine.dispose()


def test_each_database_uses_its_trigram_backend(index: StudentSearchIndex) -> None:
    expected = "pg_trgm" if index.engine.dialect.name == "postgresql" else "trigram_table"
    assert index.backend == expected


def test_a_misspelt_surname_finds_the_student(index: StudentSearchIndex, banner: Engine) -> None:
    student = reads.person_by_pidm(banner, 100001)
    last = student.last_name
    typo = last[0] + last[2] + last[1] + last[3:]
    hits = [e.pidm for e, _ in index.search(f"{student.first_name} {typo}", limit=50)]
    assert 100001 in hits


def test_banner_id_and_email_find_exactly(index: StudentSearchIndex, banner: Engine) -> None:
    student = reads.person_by_pidm(banner, 100002)
    assert index.search(student.banner_id.lower())[0][0].pidm == 100002
    assert student.preferred_email
    assert index.search(student.preferred_email)[0][0].pidm == 100002


@pytest.mark.parametrize("query", ["%", "_", "%_%", "'", ";", "--", "\\"])
def test_sql_and_wildcards_find_nothing(index: StudentSearchIndex, query: str) -> None:
    assert index.search(query) == []


def test_sql_in_a_query_is_just_its_words(index: StudentSearchIndex) -> None:
    assert index.search("' OR 1=1 --") == index.search("or 1 1")
    assert index.search("wil%son_") == index.search("wil son")


def test_among_restricts_inside_the_query(index: StudentSearchIndex, banner: Engine) -> None:
    last = reads.person_by_pidm(banner, 100003).last_name
    assert [e.pidm for e, _ in index.search(last, among={100003})] == [100003]
    assert index.search(last, among=set()) == []


def test_prefer_ranks_the_callers_own_students_first(
    index: StudentSearchIndex, banner: Engine
) -> None:
    """A shared surname, misspelt: strangers score as high; the advisee must come first."""
    by_surname: dict[str, list[int]] = {}
    for pidm in range(100001, 100401):
        by_surname.setdefault(reads.person_by_pidm(banner, pidm).last_name, []).append(pidm)
    long_names = {name: found for name, found in by_surname.items() if len(name) >= 5}
    last, pidms = max(long_names.items(), key=lambda item: len(item[1]))
    assert len(pidms) >= 3, "the sandbox repeats surnames"
    typo = last + last[-1]  # a doubled last letter
    plain = [e.pidm for e, _ in index.search(typo, limit=50)]
    own = pidms[-1]
    assert plain[0] != own  # without a preference the last of the namesakes is not first
    ranked = index.search(typo, prefer={own, 999_999}, limit=50)
    assert ranked[0][0].pidm == own
    assert {e.pidm for e, _ in ranked} >= set(plain[:10])  # the others are still there
    restricted = index.search(typo, among=set(pidms[:2]), prefer={own}, limit=50)
    assert own not in {e.pidm for e, _ in restricted}  # prefer never widens among


def test_refresh_picks_up_a_name_change_from_the_activity_date(
    index: StudentSearchIndex, banner: Engine
) -> None:
    assert index.search("Zanzibarova") == []
    with banner.begin() as conn:
        conn.execute(
            update(spriden)
            .where(spriden.c.spriden_pidm == 100004, spriden.c.spriden_change_ind.is_(None))
            .values(spriden_last_name="Zanzibarova", spriden_activity_date=datetime.now())
        )
    try:
        assert index.refresh(banner) == 1
        assert [e.pidm for e, _ in index.search("Zanzibarova")] == [100004]
        assert index.refresh(banner) == 0  # the cursor moved on
    finally:
        with banner.begin() as conn:
            conn.execute(
                update(spriden)
                .where(spriden.c.spriden_pidm == 100004, spriden.c.spriden_change_ind.is_(None))
                .values(spriden_last_name="Restored")
            )


def test_similarity_follows_pg_trgm() -> None:
    assert words("O'Brien-Smith, José") == ["o", "brien", "smith", "jose"]
    assert trigram_similarity("jonhson", "johnson") == pytest.approx(4 / 12)
    assert score(["jonhson"], ["johnson"]) == pytest.approx(1 - 1 / 7)  # one swap
    assert score(["wlison"], ["wilson"]) == pytest.approx(1 - 1 / 6)
    assert score(["ann"], ["amy"]) == 0.0  # two edits in a short name is another name
    assert score(["ohns"], ["johnson"]) == 1.0  # a fragment
    assert score(["mary", "jonhson"], ["peter", "johnson"]) == 0.0  # every word must match
