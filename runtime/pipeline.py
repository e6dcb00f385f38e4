"""The agents wired into the runtime: the worker's default handler and the API's resume path.

:class:`Pipeline` holds what one process shares across runs, built once from the settings: the
Banner engine, the Canvas client, the redactor (SPRIDEN's names loaded once), the guard over
the audit trail, the graph dependencies, the store of pseudonym vaults and the run ledger.
:class:`AgentHandler` implements :class:`runtime.worker.Handler` over
:func:`agents.run.run_event` with the configured checkpointer; :class:`VaultedApprovalQueue`
resumes paused runs for the API. Both use the run thread's vault from :class:`VaultStore`,
so an outreach drafted in a worker can be re-identified when the API resumes it elsewhere, and
both record the run's outcome and person exceptions for the dashboard, or index the run and the
requests it waits on as paused (the ledger's ``paused_runs`` and ``pending_approvals``, all the
approval queue lists from), and store the run's operations notifications in the outbox. A
worker's run that finished keeps no vault: nothing will ask for its pseudonyms again.

Opening a worker's handler or the API's queue first fills those indexes from the checkpointer
if the ledger says it is due (a database from before the indexes: one walk of every thread,
once; from before ``pending_approvals`` only: a walk of the paused threads; a new database: an
empty walk).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from agents.approvals import (
    PendingApproval,
    all_threads,
    decide,
    requests_in,
    requests_of,
    state_of,
)
from agents.checkpoints import open_checkpointer
from agents.deps import GraphDeps
from agents.events import Event
from agents.graph import Router, build_router
from agents.run import EventRun, bind_rollout, run_event, thread_id
from agents.state import Outcome, PersonException
from agents.toolbox import ToolContext, load_default_policy
from core.db import make_engine
from core.settings import Settings, get_settings
from policies.approvals import ApprovalRequest
from policies.audit import AuditLog
from policies.guard import Guard
from policies.pii import PseudonymVault
from policies.pii.redactor import Redactor
from policies.rbac import Principal
from policies.scope import BannerDirectory
from runtime.api.queue import GraphApprovalQueue
from runtime.approval_index import ApprovalIndex
from runtime.contracts import SealedContractStore
from runtime.draft_log import SqlDraftLog
from runtime.ledger import Paused, RunLedger
from runtime.notify import Notifier
from runtime.rollout import rollout_gate
from runtime.vaults import VaultStore
from runtime.worker import Outcome as WorkOutcome
from tools.canvas.client import CanvasClient

log = logging.getLogger(__name__)


def _kind(values: Mapping[str, Any]) -> str | None:
    event = values.get("event") or {}
    return str(event.get("kind")) if event.get("kind") else None


def graph_deps(settings: Settings, app_engine: Engine) -> GraphDeps:
    """The graphs' dependencies for the configured deployment.

    The default policy's guard over the app database's audit trail, held to the rollout file,
    and the drafter recording into its ``model_calls`` (the tables are created if missing).
    """
    audit = AuditLog(app_engine)
    audit.create()
    drafts = SqlDraftLog(app_engine)
    drafts.create_schema()
    guard = Guard(load_default_policy(), audit, rollout=rollout_gate(settings, app_engine))
    return GraphDeps.from_settings(settings, guard, drafts)


def make_router() -> Router:
    """The router for the configured deployment (``langgraph.json`` names this factory).

    ``langgraph dev`` supplies its own checkpointer, so none is attached here; runs need a
    ``ToolContext`` as their context, as every caller of this graph does.
    """
    settings = get_settings()
    return build_router(graph_deps(settings, make_engine(settings.database_url)))


@dataclass
class Pipeline:
    """One process's shared connections and services for agent runs."""

    settings: Settings
    banner: Engine
    app_engine: Engine
    canvas: CanvasClient
    redactor: Redactor
    deps: GraphDeps
    vaults: VaultStore
    ledger: RunLedger
    contracts: SealedContractStore
    notifier: Notifier | None = None
    """Stores operations notifications of recorded runs in the outbox (None: none derived)."""

    @classmethod
    def from_settings(cls, settings: Settings) -> Pipeline:
        """Everything from the ``BCA_`` settings; schemas of the app's own tables are created."""
        banner = make_engine(settings.banner_url, check=False, pool_pre_ping=True)
        app_engine = make_engine(settings.database_url, check=False, pool_pre_ping=True)
        ledger = RunLedger(app_engine)
        ledger.create_schema()
        deps = graph_deps(settings, app_engine)
        return cls(
            settings=settings,
            banner=banner,
            app_engine=app_engine,
            canvas=CanvasClient.from_settings(settings),
            redactor=Redactor.from_settings(settings),
            deps=deps,
            vaults=VaultStore.from_settings(settings, app_engine),
            ledger=ledger,
            contracts=SealedContractStore.from_settings(settings, app_engine),
            notifier=Notifier.from_settings(settings, app_engine, deps.guard.policy),
        )

    def context(self, principal: Principal, vault: PseudonymVault) -> ToolContext:
        """A run's tool context: this process's connections, the thread's vault."""
        return ToolContext(
            principal=principal,
            banner=self.banner,
            redactor=self.redactor,
            canvas=self.canvas,
            vault=vault,
            today=self.deps.today(),
            provisioning=self.deps.provisioning,
            contracts=self.contracts,
        )

    def context_for_request(self, request: ApprovalRequest, vault: PseudonymVault) -> ToolContext:
        """The context a resumed run gets: the agent that asked, never the person answering."""
        asked = request.requested_by
        term = request.subject.get("term")
        principal = Principal(
            actor=asked.actor,
            role=asked.role,
            pidm=asked.pidm,
            on_behalf_of=asked.on_behalf_of,
            term=str(term) if term is not None else None,
        )
        return self.context(principal, vault)

    def record_state(self, graph: Router, thread: str) -> None:
        """:meth:`record` from the thread's checkpointed state (after a resume)."""
        snapshot = state_of(graph, thread)
        self.record(thread, snapshot.values, waiting=requests_in(snapshot, thread))

    def record(
        self,
        thread: str,
        values: Mapping[str, Any],
        *,
        waiting: Sequence[PendingApproval] | None = None,
    ) -> None:
        """Keep the run's outcome and person exceptions in the ledger, or index it as paused.

        ``waiting``: the requests the run waits on; None reads them from the run's result
        (``__interrupt__``, as ``invoke`` and :func:`agents.run.run_event` return it), so the
        index of waiting requests is written without reading the state back.
        """
        interrupts = values.get("__interrupt__") or ()
        if waiting is None:
            waiting = requests_of(((i.id, i.value) for i in interrupts), thread)
        paused = bool(waiting) or bool(interrupts)
        if values.get("outcome"):  # the run ended: this also takes it out of the paused index
            self.ledger.record(
                thread,
                _kind(values),
                Outcome.model_validate(values["outcome"]),
                [PersonException.model_validate(e) for e in values.get("exceptions") or ()],
            )
        elif not paused:
            self.ledger.unpaused(thread)
        if paused:
            self.ledger.paused(thread, _kind(values), waiting)
        if self.notifier is not None:  # an insert into the outbox: no channel is reached here
            self.notifier.observe(thread, values, waiting)

    def backfill_paused(self, graph: Router) -> None:
        """Fill the ledger's indexes of paused runs and their requests, if that is due."""
        checkpointer = graph.checkpointer

        def found(threads: list[str] | None) -> Iterator[Paused]:
            assert checkpointer is not None and not isinstance(checkpointer, bool)
            for thread in all_threads(checkpointer) if threads is None else threads:
                snapshot = state_of(graph, thread)
                requests = requests_in(snapshot, thread)
                if requests:
                    yield thread, _kind(snapshot.values), requests

        started = time.perf_counter()
        indexed = self.ledger.backfill_paused(found)
        if indexed is not None:
            log.info(
                "paused-run index filled from the checkpointer: %d paused runs in %.1f s",
                indexed,
                time.perf_counter() - started,
            )

    def dispose(self) -> None:
        """Close the engines and the Canvas session."""
        self.banner.dispose()
        self.app_engine.dispose()
        self.canvas.close()


class AgentHandler:
    """The worker's handler: one event, one router run in the configured checkpointer.

    Idempotent by event id (the thread id is the event's, so a redelivered event finds its run),
    thread-safe (the graph and connections are shared, each run has its own context). A run that
    dead-letters buries the event with the reason; anything that pauses for a person is done
    for the inbox, the approval queue takes it from there.
    """

    def __init__(self, pipeline: Pipeline, graph: Router, resources: ExitStack) -> None:
        self.pipeline = pipeline
        self.graph = graph
        self._resources = resources

    @classmethod
    def from_settings(cls, settings: Settings | None = None) -> AgentHandler:
        """A handler over the configured databases; its checkpointer stays open until close()."""
        pipeline = Pipeline.from_settings(settings or get_settings())
        resources = ExitStack()
        saver = resources.enter_context(
            open_checkpointer(pipeline.settings.resolved_checkpoint_url())
        )
        resources.callback(pipeline.dispose)
        graph = build_router(pipeline.deps, saver)
        pipeline.backfill_paused(graph)
        return cls(pipeline, graph, resources)

    def run(self, event: Event) -> EventRun:
        """Run the router on ``event`` in the thread's vault; the ledger keeps what it ended with.

        The worker's :meth:`handle` and ``bca reconcile`` both come here, so a run started by
        hand is recorded, indexed while paused and resumable exactly like one from the inbox.
        """
        thread = thread_id(event.event_id)
        pipeline = self.pipeline
        vault = pipeline.vaults.load(thread)
        run = None
        try:
            run = run_event(
                event,
                pipeline.deps,
                self.graph.checkpointer,  # type: ignore[arg-type]
                lambda principal: pipeline.context(principal, vault),
                graph=self.graph,
            )
        finally:
            if run is None or not run.finished:  # a paused or failed run resumes with it
                pipeline.vaults.save(thread, vault)
        pipeline.record(thread, run.values)
        return run

    def handle(self, event: Event) -> WorkOutcome:
        """Run the router on ``event`` and translate its outcome for the inbox."""
        outcome = self.run(event).outcome
        if outcome.status == "dead_letter":
            return WorkOutcome.dead(outcome.detail)
        return WorkOutcome.done()

    def close(self) -> None:
        """Close the checkpointer and the engines."""
        self._resources.close()


def handler() -> AgentHandler:
    """``bca worker``'s default handler spec (``runtime.pipeline:handler``)."""
    return AgentHandler.from_settings()


@dataclass
class VaultedApprovalQueue(GraphApprovalQueue):
    """The API's queue of paused runs: resumes with the thread's vault and records the outcome.

    Give it ``index=ApprovalIndex(pipeline.app_engine)`` (as :func:`approval_queue` does) so
    that listing is one query of the waiting requests; a resume keeps that index right through
    :meth:`Pipeline.record_state` (the answered request removed, the run's still-waiting ones
    kept, everything removed when the run ends).
    """

    pipeline: Pipeline | None = None

    def resume(self, pending: PendingApproval, answer: dict[str, Any]) -> None:
        """Answer one interrupt in the thread's vault; then keep what the run ended with."""
        pipeline = self.pipeline
        assert pipeline is not None, "VaultedApprovalQueue needs its pipeline"
        event = state_of(self.graph, pending.thread_id).values.get("event", {})
        with pipeline.vaults.kept(pending.thread_id) as vault:
            decide(
                self.graph,
                pending.thread_id,
                {pending.interrupt_id: answer},
                directory=self.directory,
                context=bind_rollout(pipeline.context_for_request(pending.request, vault), event),
            )
        pipeline.record_state(self.graph, pending.thread_id)

    def agents(self) -> AgentHandler:
        """The worker's handler over this queue's pipeline and graph (it owns neither).

        A run the API starts (a section re-run) then shares this process's connections and
        checkpointer, and is recorded, indexed while paused and resumable like a worker's.
        """
        assert self.pipeline is not None, "VaultedApprovalQueue needs its pipeline"
        return AgentHandler(self.pipeline, self.graph, ExitStack())


@contextmanager
def approval_queue(settings: Settings) -> Iterator[VaultedApprovalQueue]:
    """The router graph's paused runs in the configured checkpoint store, for the API."""
    pipeline = Pipeline.from_settings(settings)
    try:
        with open_checkpointer(settings.resolved_checkpoint_url()) as saver:
            graph = build_router(pipeline.deps, saver)
            pipeline.backfill_paused(graph)
            yield VaultedApprovalQueue(
                graph,
                saver,
                BannerDirectory(pipeline.banner),
                index=ApprovalIndex(pipeline.app_engine),
                pipeline=pipeline,
            )
    finally:
        pipeline.dispose()
