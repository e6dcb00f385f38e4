"""Program review over a sandbox with former students: the planted effects are found, and no
published table shows a small count or lets one be worked out."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from core.db import make_engine
from runtime.analytics import AnalyticsBuild, NoHistory, build, export_csv, store
from sandbox.banner.generator import SeedPlan
from sandbox.banner.seeding import seed_banner

TERM = "202710"


@pytest.fixture(scope="module")
def banner(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('ir')}/banner.db")
    seed_banner(
        engine, SeedPlan(students=200, sections=20, term=TERM, seed=7, former_students=2500)
    )
    return engine


@pytest.fixture(scope="module")
def result(banner: Engine) -> AnalyticsBuild:
    return build(banner, TERM, terms=6, min_cell=10)


def test_the_planted_prerequisite_effect_and_equity_gap_are_found(banner: Engine, result) -> None:
    with banner.connect() as conn:
        target, prerequisite = conn.execute(text(
            "SELECT scrrtst_subj_code || ' ' || scrrtst_crse_numb,"
            " scrrtst_subj_code_preq || ' ' || scrrtst_crse_numb_preq FROM scrrtst"
        )).one()  # fmt: skip
    assert len(result.terms) == 6
    by_table = {f.table_id: f for f in result.findings}
    sequence = by_table[f"prerequisite:{target}:{prerequisite}"]
    assert sequence.gap >= 0.2 and "A or B" in sequence.cells
    pell = [f for f in result.findings if f.table_id.endswith(":pell")]
    assert pell and pell[0].cells == ["Pell", "no Pell"] and pell[0].gap >= 0.1
    assert not any(f.table_id.endswith((":sex", ":ethnicity")) for f in result.findings)


def test_every_table_is_suppressed_safely(banner: Engine, result) -> None:
    hidden = 0
    for t in result.tables:
        p = t.table
        # nothing small is shown, and a fully shown table adds up to its totals
        for row in [*p.cells, [*p.row_totals], [*p.column_totals, p.total]]:
            assert all(v is None or v == 0 or v >= result.min_cell for v in row), t.id
        hidden += p.hidden
        if all(v is not None for row in p.cells for v in row):
            assert [sum(r) for r in p.cells] == p.row_totals
    assert hidden > 0  # small groups exist in this sandbox, and were hidden


def test_stored_for_reporting_and_exported_as_csv(result, tmp_path: Path) -> None:
    app = make_engine(f"sqlite:///{tmp_path}/app.db")
    stored = store(app, result)
    with app.connect() as conn:
        rows = conn.execute(text(
            "SELECT COUNT(*), SUM(suppressed), MIN(count) FROM ir_course_outcomes"
        )).one()  # fmt: skip
    assert rows[0] == stored > 0 and rows[1] == result.hidden
    assert rows[2] == 0 or rows[2] >= result.min_cell
    assert store(app, result) == stored  # rebuilt whole, not appended
    files = export_csv(result, tmp_path / "csv")
    assert len(files) == len(result.tables)
    with files[0].open() as handle:
        lines = list(csv.reader(handle))
    assert lines[1][-1] == "total" and lines[-1][0] == "total"


def test_no_history_is_a_clear_error(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/banner.db")
    seed_banner(engine, SeedPlan(students=20, sections=4, term=TERM, seed=1))
    with pytest.raises(NoHistory, match="no academic history up to term 201010"):
        build(engine, "201010")


def test_bca_analytics_build_stores_and_writes_csv_and_html(
    banner: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    from typer.testing import CliRunner

    from runtime.cli import app

    monkeypatch.setenv("BCA_BANNER_URL", str(banner.url))
    monkeypatch.setenv("BCA_DATABASE_URL", f"sqlite:///{tmp_path}/app.db")
    args = ["analytics", "build", "202620", "--csv", str(tmp_path / "csv"),
            "--html", str(tmp_path / "report.html")]  # fmt: skip
    done = CliRunner().invoke(app, args)
    assert done.exit_code == 0, done.output
    assert "entries hidden" in done.output and "Pell" in done.output
    page = (tmp_path / "report.html").read_text()
    assert page.count("<svg") >= 2 and "<script" not in page
    assert "share of each grade</title>" in page and "DFW rate</title>" in page
    assert 'src="http' not in page and 'href="http' not in page  # nothing from elsewhere
    assert len(list((tmp_path / "csv").glob("*.csv"))) > 10
    as_json = CliRunner().invoke(app, ["analytics", "build", "202620", "--json"])
    assert json.loads(as_json.stdout)["terms"][-1] == "202620"


def test_the_narrative_cites_findings_and_a_model_adding_numbers_gets_the_template(
    result: AnalyticsBuild,
) -> None:
    from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
    from langchain_core.messages import AIMessage

    from agents.drafting import Drafter
    from runtime.analytics import narrate

    template = narrate(result, Drafter(None)).narrative
    assert template is not None and template.model is None
    assert all(f"{f.text} [{i}]" in template.text for i, f in enumerate(result.findings, 1))
    first = result.findings[0]
    rate = first.text.split("%")[0].split()[-1]
    good = f"The clearest pattern is the prerequisite: {rate}% fail after a weak grade [1]."
    worded = narrate(result, Drafter(GenericFakeChatModel(messages=iter([AIMessage(good)])), "m"))
    assert worded.narrative is not None and worded.narrative.text == good
    assert worded.narrative.model == "m"
    invented = "Pell students fail at 97% [2]."
    model = GenericFakeChatModel(messages=iter([AIMessage(invented)]))
    refused = narrate(result, Drafter(model, "m")).narrative
    assert refused is not None and refused.fallback is not None and "97%" in refused.fallback
    assert first.text in refused.text  # the template's sentences instead
