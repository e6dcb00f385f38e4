"""`bca pii redact` over stdin, with SPRIDEN names from a Banner database."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from sqlalchemy import create_engine
from typer.testing import CliRunner

from runtime.cli import app
from tools.banner.schema import metadata, spriden


def _banner(tmp_path: Path) -> str:
    url = f"sqlite:///{tmp_path / 'banner.db'}"
    engine = create_engine(url)
    metadata.create_all(engine)
    now = datetime(2026, 1, 5)
    with engine.begin() as conn:
        conn.execute(spriden.insert(), [
            {"spriden_pidm": 1, "spriden_id": "A00000001", "spriden_first_name": "Xiomara",
             "spriden_last_name": "Runningwater", "spriden_change_ind": None,
             "spriden_entity_ind": "P", "spriden_activity_date": now},
            {"spriden_pidm": 1, "spriden_id": "A00000001", "spriden_first_name": "Oldname",
             "spriden_last_name": "Formerly", "spriden_change_ind": "N",
             "spriden_entity_ind": "P", "spriden_activity_date": now},
        ])  # fmt: skip
    engine.dispose()
    return url


def test_redact_with_directory(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["pii", "redact", "--banner-url", _banner(tmp_path), "--no-ner"],
        input="xiomara says Oldname is gone; call 541-555-0134",
    )
    assert result.exit_code == 0, result.output
    assert result.stdout == "<PERSON_1> says Oldname is gone; call <PHONE_1>"


def test_json_lists_entities_without_values(tmp_path: Path) -> None:
    text = "Runningwater, Xiomara <x.r@eou.edu>"
    result = CliRunner().invoke(
        app, ["pii", "redact", "--json", "--banner-url", _banner(tmp_path)], input=text
    )
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert [(e["type"], e["start"], e["end"]) for e in payload["entities"]] == [
        ("PERSON", 0, 21),
        ("EMAIL", 23, 34),
    ]
    assert all(0 < e["score"] <= 1 for e in payload["entities"])
    assert "Xiomara" not in result.stdout and "x.r@eou.edu" not in result.stdout


def test_missing_banner_is_a_note_not_an_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["pii", "redact", "--no-ner", "--banner-url", f"sqlite:///{tmp_path / 'none.db'}"],
        input="A00123456",
    )
    assert result.exit_code == 0
    assert result.stdout == "<BANNER_ID_1>"
    assert "name directory not loaded" in result.stderr
    assert not (tmp_path / "none.db").exists()


def test_eval_scores_a_split_as_json_and_lists_dev_misses() -> None:
    result = CliRunner().invoke(app, ["pii", "eval", "--corpus", "dev", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.stdout)
    assert set(figures) == {"ner", "gazetteer", "dev"} and figures["gazetteer"] is True
    types = figures["dev"]["types"]
    assert figures["dev"]["texts"] >= 500
    assert types["PERSON_SURNAME"]["recall"] >= 0.95 and types["PERSON"]["precision"] >= 0.95
    assert min(types[k]["recall"] for k in ("BANNER_ID", "EMAIL", "PHONE", "SSN")) >= 0.99
    listed = CliRunner().invoke(app, ["pii", "eval", "--corpus", "dev", "--misses"])
    assert listed.exit_code == 0 and "== dev (" in listed.stdout
    assert "missed: " in listed.stdout or "false positive: " in listed.stdout
