"""The chatbot's kill switch: ``off`` in the live rollout file makes ``/api/chat`` say so."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from dataclasses import replace
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from core.settings import Settings
from policies.pii import Redactor
from policies.rbac import Role
from policies.rollout import Mode, RolloutConfig, RolloutControl, Workflow, write_rollout
from policies.rollout_gate import RolloutGate
from policies.scope import BannerDirectory
from runtime.api.app import create_app
from runtime.api.queue import GraphApprovalQueue
from runtime.rollout import chatbot_switched_off
from tests.api.chat_support import FakeAgent, chat_service
from tests.api.conftest import ON_THIS_HOST, TERM, Desk, People


@pytest.fixture
def rollout_file(tmp_path: Path) -> Path:
    path = tmp_path / "rollout.yaml"
    write_rollout(path, RolloutConfig())
    return path


@pytest.fixture
def client(
    settings: Settings, desk: Desk, banner: Engine, agent: FakeAgent, redactor: Redactor,
    rollout_file: Path,
) -> Iterator[TestClient]:  # fmt: skip
    gate = RolloutGate(RolloutControl(rollout_file))
    queue = GraphApprovalQueue(desk.graph, desk.checkpointer, BannerDirectory(banner))
    app = create_app(
        settings,
        approval_queue=lambda _s: nullcontext(queue),
        chat_service=lambda s: replace(
            chat_service(s, agent, redactor, TERM),
            switched_off=chatbot_switched_off(gate, lambda: TERM),
        ),
    )
    with TestClient(app, client=ON_THIS_HOST) as test_client:
        yield test_client


def test_off_makes_the_assistant_unavailable_and_auto_brings_it_back_without_a_restart(
    client: TestClient, token, people: People, agent: FakeAgent, rollout_file: Path
) -> None:
    headers = token(Role.STUDENT, people.students[0])
    ask = {"message": "How do I clear a hold?"}
    assert client.post("/api/chat", json=ask, headers=headers).status_code == 200
    write_rollout(rollout_file, RolloutConfig().with_mode(Workflow.CHATBOT, Mode.OFF, None))
    refused = client.post("/api/chat", json=ask, headers=headers)
    assert refused.status_code == 503
    assert "assistant is unavailable" in refused.json()["detail"]
    assert len(agent.calls) == 1  # the agent was not asked
    write_rollout(rollout_file, RolloutConfig())
    assert client.post("/api/chat", json=ask, headers=headers).status_code == 200
    assert len(agent.calls) == 2
