"""`bca close-grading --term T`: one close-of-grading event per term and day, in the inbox.

Refusals without a seeded Banner or with a term Banner does not have are in
``test_cli_bad_input.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from core.db import make_engine
from core.settings import get_settings
from runtime.cli import app
from runtime.inbox import Inbox
from sandbox.banner.generator import SeedPlan
from sandbox.banner.seeding import seed_banner


@pytest.fixture
def inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    url = f"sqlite:///{tmp_path}/app.db"
    banner = make_engine(f"sqlite:///{tmp_path}/banner.db")
    seed_banner(banner, SeedPlan(students=30, sections=4, term="202610", seed=1))
    banner.dispose()
    monkeypatch.setenv("BCA_BANNER_URL", f"sqlite:///{tmp_path}/banner.db")
    monkeypatch.setenv("BCA_DATABASE_URL", url)
    get_settings.cache_clear()
    box = Inbox(make_engine(url))
    yield box
    box.engine.dispose()
    get_settings.cache_clear()


def test_queues_once_per_term_and_day(inbox: Inbox) -> None:
    first = CliRunner().invoke(app, ["close-grading", "--term", "202610"])
    assert first.exit_code == 0, first.output
    assert first.output.startswith("queued scheduled:close_grading:202610:")
    [record] = inbox.list_events()
    assert (record.kind, record.status, record.source) == (
        "scheduled.close_grading",
        "received",
        "cli",
    )
    assert record.event().model_dump()["term_code"] == "202610"
    again = CliRunner().invoke(app, ["close-grading", "--term", "202610"])
    assert again.exit_code == 0, again.output
    assert "already queued today" in again.output and record.event_id in again.output
    assert len(inbox.list_events()) == 1


def test_a_malformed_term_is_refused_and_nothing_is_stored(inbox: Inbox) -> None:
    result = CliRunner().invoke(app, ["close-grading", "--term", "fall"], standalone_mode=False)
    assert isinstance(result.exception, typer.BadParameter)
    assert "not a Banner term code" in result.exception.format_message()
    inbox.create_schema()
    assert inbox.list_events() == []
