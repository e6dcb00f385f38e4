"""`bca chat` and `bca chat purge` over the configured databases, the agent injected at the
factory's one seam (``runtime.chat.factory.support_agent``) until the real one is wired."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import text, update
from typer.testing import CliRunner

from core.clock import utcnow
from core.db import make_engine
from core.errors import ServiceUnavailable
from core.settings import get_settings
from runtime.chat import factory
from runtime.chat.tables import support_conversations
from runtime.cli import app
from sandbox.banner.generator import SeedPlan
from sandbox.banner.seeding import seed_banner
from tests.api.chat_support import HOLD_ANSWER, HOLDS, FakeAgent


@pytest.fixture(scope="module")
def banner_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('banner')}/banner.db"
    engine = make_engine(url)
    seed_banner(engine, SeedPlan(students=12, sections=3, term="202610", seed=3))
    engine.dispose()
    return url


@pytest.fixture
def student(banner_url: str) -> int:
    engine = make_engine(banner_url)
    with engine.connect() as conn:
        pidm: int = conn.execute(text("SELECT MIN(sgbstdn_pidm) FROM sgbstdn")).scalar_one()
    engine.dispose()
    return int(pidm)


@pytest.fixture
def deployment(
    tmp_path: Path, banner_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[FakeAgent]:
    monkeypatch.setenv("BCA_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BCA_BANNER_URL", banner_url)
    monkeypatch.setenv("BCA_DATABASE_URL", f"sqlite:///{tmp_path}/app.db")
    monkeypatch.setenv("BCA_CHECKPOINT_URL", str(tmp_path / "checkpoints.db"))
    get_settings.cache_clear()
    agent = FakeAgent()
    monkeypatch.setattr(factory, "support_agent", lambda *_: agent)
    monkeypatch.setattr(factory, "knowledge_base", lambda _settings: None)
    yield agent
    get_settings.cache_clear()


def test_json_is_the_apis_and_a_conversation_continues(deployment: FakeAgent, student: int):
    first = CliRunner().invoke(app, ["chat", "--student", str(student), "--json", "hold?"])
    assert first.exit_code == 0, first.output
    reply = json.loads(first.output)
    assert set(reply) >= {"conversation_id", "answer", "citations", "tools_used", "handoff"}
    assert reply["answer"] == HOLD_ANSWER and reply["citations"] == [HOLDS.model_dump()]
    second = CliRunner().invoke(
        app,
        ["chat", "--student", str(student), "--conversation", reply["conversation_id"], "a person"],
    )
    assert second.exit_code == 0, second.output
    assert "handed off: HD-000001 (asked_for_person)" in second.output
    assert f"conversation: {reply['conversation_id']}" in second.output
    threads = {thread for _ctx, _message, thread in deployment.calls}
    assert threads == {f"support:{student}:{reply['conversation_id']}"}


def test_plain_output_names_sources_and_tools(deployment: FakeAgent, student: int):
    result = CliRunner().invoke(app, ["chat", "--student", str(student), "How do I clear a hold?"])
    assert result.exit_code == 0, result.output
    assert HOLD_ANSWER in result.output
    assert f"source: {HOLDS.title} — {HOLDS.heading}" in result.output
    assert "tools: kb_search, banner_get_holds" in result.output


def test_an_empty_message_is_refused(deployment: FakeAgent, student: int):
    result = CliRunner().invoke(app, ["chat", "--student", str(student), "  "])
    assert result.exit_code != 0 and "the message is empty" in str(result.exception)
    assert deployment.calls == []


def test_without_a_knowledge_base_the_command_says_what_to_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("BCA_VAR_DIR", str(tmp_path / "var"))
    monkeypatch.setenv("BCA_DATABASE_URL", f"sqlite:///{tmp_path}/app.db")
    get_settings.cache_clear()
    result = CliRunner().invoke(app, ["chat", "--student", "1", "hi"])
    get_settings.cache_clear()
    assert isinstance(result.exception, ServiceUnavailable)
    assert "bca kb build" in str(result.exception)


def test_purge_prints_counts(deployment: FakeAgent, student: int, tmp_path: Path):
    made = CliRunner().invoke(app, ["chat", "--student", str(student), "--json", "hold?"])
    conversation_id = json.loads(made.output)["conversation_id"]
    nothing = CliRunner().invoke(app, ["chat", "purge", "--older-than", "180d"])
    assert nothing.exit_code == 0, nothing.output
    assert json.loads(nothing.output)["conversations"] == 0
    engine = make_engine(f"sqlite:///{tmp_path}/app.db")
    with engine.begin() as conn:
        conn.execute(
            update(support_conversations).values(updated_at=utcnow() - timedelta(days=181))
        )
    engine.dispose()
    purged = CliRunner().invoke(app, ["chat", "purge", "--older-than", "180d"])
    assert purged.exit_code == 0, purged.output
    assert json.loads(purged.output) == {
        "conversations": 1, "messages": 2, "cases": 0, "threads": 1,
    }  # fmt: skip
    gone = CliRunner().invoke(
        app, ["chat", "--student", str(student), "--conversation", conversation_id, "again?"]
    )
    assert "conversation not found" in str(gone.exception)
