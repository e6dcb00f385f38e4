"""The sandbox help corpus: enough pages, consistent with the seeded Banner, deterministic."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from core.db import make_engine
from core.errors import NotFoundError
from sandbox.banner.generator import SeedPlan
from sandbox.banner.seeding import create_schema, seed_banner
from sandbox.banner.validation import HOLD_TYPES
from sandbox.kb.corpus import write_corpus
from tools.kb.store import read_folder


@pytest.fixture(scope="module")
def banner(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    path = tmp_path_factory.mktemp("banner") / "banner.db"
    engine = make_engine(f"sqlite:///{path}")
    seed_banner(engine, SeedPlan(students=200, sections=40, term="202610", seed=7))
    return engine


def test_corpus_has_a_page_per_hold_and_the_term_dates(banner: Engine, tmp_path: Path) -> None:
    pages = write_corpus(banner, tmp_path)
    assert len(pages) >= 40
    for code, description, *_ in HOLD_TYPES:
        page = (tmp_path / f"holds/{code.lower()}-hold.md").read_text()
        assert page.startswith(f"# {description}")
        assert f"({code})" in page.splitlines()[0]
        assert "## Who clears the" in page
    ar = (tmp_path / "holds/ar-hold.md").read_text()
    assert "Student Accounts" in ar and "registration" in ar
    calendar = (tmp_path / "calendar/term-dates.md").read_text()
    # Fall 2025 classes start Monday, August 25; census is 14 days after the first class.
    assert "Monday, September 8, 2025 | census date" in calendar
    assert "ACPT | Accepted" in (tmp_path / "aid/award-statuses.md").read_text()


def test_a_configured_census_date_wins(banner: Engine, tmp_path: Path) -> None:
    from datetime import date

    write_corpus(banner, tmp_path, census_dates={"202610": date(2025, 9, 12)})
    assert "Friday, September 12, 2025" in (tmp_path / "registration/add-drop.md").read_text()


def test_output_is_deterministic(banner: Engine, tmp_path: Path) -> None:
    first = {
        p.relative_to(tmp_path / "a"): p.read_bytes() for p in write_corpus(banner, tmp_path / "a")
    }
    second = {
        p.relative_to(tmp_path / "b"): p.read_bytes() for p in write_corpus(banner, tmp_path / "b")
    }
    assert first == second


def test_chunks_fit_the_cap_and_ids_are_unique(banner: Engine, tmp_path: Path) -> None:
    write_corpus(banner, tmp_path)
    chunks = read_folder(tmp_path)
    assert all(len(c.text) <= 1200 for c in chunks)
    assert len({c.chunk_id for c in chunks}) == len(chunks)


def test_an_unseeded_banner_is_a_clear_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/empty.db")
    with pytest.raises(NotFoundError, match="bca banner seed"):
        write_corpus(engine, tmp_path / "kb")
    create_schema(engine)
    with pytest.raises(NotFoundError, match="bca banner seed"):
        write_corpus(engine, tmp_path / "kb")
