"""`bca close-grading --term T`: one close-of-grading event per term and day, in the inbox."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from core.db import make_engine
from core.errors import ConfigurationError
from core.settings import get_settings
from runtime.cli import app
from runtime.inbox import Inbox


@pytest.fixture
def inbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Inbox]:
    url = f"sqlite:///{tmp_path}/app.db"
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
    result = CliRunner().invoke(app, ["close-grading", "--term", "fall"])
    assert isinstance(result.exception, ConfigurationError)
    assert "not a Banner term code" in str(result.exception)
    inbox.create_schema()
    assert inbox.list_events() == []
