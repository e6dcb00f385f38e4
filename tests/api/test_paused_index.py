"""The paused-run index and its requests: listing reads no checkpoint, a resume takes its request
out, and a database from before an index gets it filled once from the checkpointer.

Finished runs pile up in a real SQLite checkpointer next to a few paused ones; ``get_state`` is
counted per thread, so a listing that still read threads fails here, not only in a benchmark.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import nullcontext
from typing import Any

import pytest
from fastapi.testclient import TestClient
from langgraph.types import Command
from sqlalchemy import Engine

from agents.checkpoints import open_checkpointer
from app import create_app
from core.db import make_engine
from core.settings import Settings
from policies.approvals import ApprovalRequest
from policies.rbac import Role
from policies.scope import BannerDirectory
from runtime.approval_index import ApprovalIndex
from runtime.ledger import (
    REQUESTS_BACKFILL,
    ledger_backfills,
    metadata,
    pending_approvals,
    person_exceptions,
    run_outcomes,
)
from runtime.pipeline import Pipeline, VaultedApprovalQueue
from tests.api.conftest import People, build_graph, outreach_request
from tests.api.test_chat_pages import signed_in

FINISHED = 120


def _config(thread: str) -> Any:
    return {"configurable": {"thread_id": thread}}


def _thread(request: ApprovalRequest) -> str:
    assert request.thread_id is not None
    return request.thread_id


class Store:
    """A graph in a real checkpointer with finished runs and three paused requests."""

    def __init__(self, graph: Any, people: People) -> None:
        self.graph = graph
        self.calls: list[str] = []
        for n in range(FINISHED):
            thread = f"done-{n}"
            graph.invoke(
                {"request": outreach_request(people.students[0], 100 + n).model_dump(mode="json")},
                _config(thread),
            )
            graph.invoke(Command(resume={"type": "approve"}), _config(thread))
        self.requests = [
            outreach_request(people.students[0], 1),
            outreach_request(people.students[1], 2),
            outreach_request(people.theirs, 3),
        ]
        self.results = {
            _thread(r): graph.invoke({"request": r.model_dump(mode="json")}, _config(_thread(r)))
            for r in self.requests
        }
        real = graph.get_state

        def counting(config: Any, *args: Any, **kwargs: Any) -> Any:
            self.calls.append(str(config["configurable"]["thread_id"]))
            return real(config, *args, **kwargs)

        graph.get_state = counting

    @property
    def paused(self) -> set[str]:
        return {_thread(r) for r in self.requests}


@pytest.fixture
def pipeline(settings: Settings) -> Iterator[Pipeline]:
    built = Pipeline.from_settings(settings)
    yield built
    built.dispose()


@pytest.fixture
def store(settings: Settings, people: People) -> Iterator[Store]:
    with open_checkpointer(settings.resolved_checkpoint_url()) as saver:
        yield Store(build_graph(saver), people)


def _ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.text
    return {item["id"] for item in response.json()}


def test_listing_reads_no_thread_and_a_resume_leaves_the_index(
    settings: Settings, banner: Engine, people: People, pipeline: Pipeline, store: Store, token
):
    for thread, result in store.results.items():  # as the worker records a paused run
        assert result.get("__interrupt__")
        pipeline.record(thread, result)
    assert set(pipeline.ledger.paused_threads()) == store.paused
    queue = VaultedApprovalQueue(
        store.graph,
        store.graph.checkpointer,
        BannerDirectory(banner),
        index=ApprovalIndex(pipeline.app_engine),
        pipeline=pipeline,
    )
    mine, mine_too, theirs = store.requests
    with TestClient(create_app(settings, approval_queue=lambda _s: nullcontext(queue))) as client:
        advisor = token(Role.ADVISOR, people.advisor)
        store.calls.clear()
        assert _ids(client.get("/api/approvals", headers=advisor)) == {mine.id, mine_too.id}
        assert _ids(client.get("/api/approvals", headers=token(Role.ADVISOR, people.other))) == {
            theirs.id
        }
        assert store.calls == []  # listed from the index of requests alone
        signed_in(client, settings, Role.ADVISOR, str(people.advisor))
        page = client.get("/dashboard")
        assert page.status_code == 200 and f'id="approval-{mine.id}"' in page.text
        assert store.calls == []

        answered = client.post(
            f"/api/approvals/{mine.id}/decision", json={"type": "approve"}, headers=advisor
        )
        assert answered.status_code == 200, answered.text
        decision = store.graph.get_state(_config(_thread(mine))).values["decision"]
        assert decision["type"] == "approve" and decision["request_id"] == mine.id
        assert set(pipeline.ledger.paused_threads()) == {_thread(mine_too), _thread(theirs)}
        assert ApprovalIndex(pipeline.app_engine).get(mine.id) is None
        store.calls.clear()
        assert _ids(client.get("/api/approvals", headers=advisor)) == {mine_too.id}
        assert store.calls == []
        again = client.post(
            f"/api/approvals/{mine.id}/decision", json={"type": "approve"}, headers=advisor
        )
        assert again.status_code == 404


def test_a_run_that_pauses_again_stays_indexed_and_one_with_an_outcome_leaves(
    pipeline: Pipeline, store: Store
):
    thread = _thread(store.requests[0])
    pipeline.record(thread, store.results[thread])
    pipeline.record_state(store.graph, thread)  # resumed, still waiting: kept
    assert pipeline.ledger.paused_threads() == [thread]
    outcome = {"status": "done", "detail": "sent", "figures": {"sent": 1}}
    pipeline.record(thread, {"event": {"kind": "canvas.alert"}, "outcome": outcome})
    assert pipeline.ledger.paused_threads() == []
    assert pipeline.ledger.figures("canvas.") == {"sent": 1}


def _old_database(settings: Settings) -> None:
    """The app database as it was before the index: the ledger's first two tables only."""
    engine = make_engine(settings.database_url)
    metadata.create_all(engine, tables=[run_outcomes, person_exceptions])
    engine.dispose()


def test_an_older_database_gets_its_paused_runs_indexed_once(
    settings: Settings, people: People, store: Store
):
    _old_database(settings)
    pipeline = Pipeline.from_settings(settings)  # creates the index, due for its backfill
    try:
        assert pipeline.ledger.backfill_due()
        assert pipeline.ledger.paused_threads() == []
        pipeline.backfill_paused(store.graph)
        assert set(pipeline.ledger.paused_threads()) == store.paused
        assert not pipeline.ledger.backfill_due()
        store.calls.clear()
        pipeline.backfill_paused(store.graph)  # done: no second walk
        assert store.calls == []
        pipeline.ledger.create_schema()  # the index exists: not due again
        assert not pipeline.ledger.backfill_due()
    finally:
        pipeline.dispose()


def test_a_database_with_paused_runs_but_no_request_index_reads_only_its_paused_threads(
    settings: Settings, pipeline: Pipeline, store: Store
):
    for thread in store.paused:
        pipeline.ledger.paused(thread, None)  # as a worker from before the request index did
    pipeline.ledger.paused("done-0", None)  # left behind: it finished long ago
    with pipeline.app_engine.begin() as conn:
        conn.execute(pending_approvals.delete())
        conn.execute(ledger_backfills.delete())
        conn.execute(ledger_backfills.insert(), {"name": REQUESTS_BACKFILL})
    store.calls.clear()
    pipeline.backfill_paused(store.graph)
    assert set(store.calls) == store.paused | {"done-0"}  # never a walk of all 123 threads
    assert set(pipeline.ledger.paused_threads()) == store.paused
    index = ApprovalIndex(pipeline.app_engine)
    assert index.count() == 3
    assert {index.get(r.id).thread_id for r in store.requests} == store.paused  # type: ignore[union-attr]
    assert not pipeline.ledger.backfill_due()


def test_a_new_database_index_is_filled_by_an_empty_walk(settings: Settings):
    pipeline = Pipeline.from_settings(settings)
    try:
        assert pipeline.ledger.backfill_due()
        with open_checkpointer(settings.resolved_checkpoint_url()) as saver:
            pipeline.backfill_paused(build_graph(saver))
        assert not pipeline.ledger.backfill_due()
        assert pipeline.ledger.paused_threads() == []
    finally:
        pipeline.dispose()
