"""The run's side of every tool call: who is asking, and the connections trusted code hands in.

A graph never holds a Banner engine or a Canvas client; each run gets them here, as LangGraph's
runtime context (``graph.invoke(..., context=ToolContext(...))``), and the tool functions of
:mod:`agents.toolbox.catalogue` read them from it, never from the model's arguments. The guard
sees the same object through its ``RunContext`` protocol.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any, Protocol

from sqlalchemy import Engine

from agents.deps import ProvisioningConfig
from agents.toolbox.contracts import ContractStore
from agents.workflows import roster_sync
from core.errors import ValidationFailed
from core.ids import section_sis_id
from policies.guard import Redactor
from policies.pii import PseudonymVault
from policies.rbac import Principal
from policies.rollout import Target, Workflow
from policies.scope import BannerDirectory
from tools.banner import reads
from tools.banner.errors import SectionNotFound
from tools.canvas import enrollments
from tools.canvas.client import CanvasClient
from tools.canvas.models import EnrollmentQuery
from tools.kb.models import Hit


class Retriever(Protocol):
    """What ``kb_search`` needs of the knowledge base (:class:`tools.kb.store.KnowledgeBase`)."""

    def search(self, query: str, *, k: int = 5, min_score: float | None = None) -> list[Hit]:
        """The ``k`` chunks closest to ``query``, none below ``min_score``."""
        ...


@dataclass(frozen=True)
class ToolContext:
    """Everything a run's tools and guard need, supplied by trusted code, never by the model.

    Pass it as ``graph.invoke(..., context=ToolContext(...))``.
    """

    principal: Principal
    banner: Engine
    redactor: Redactor
    canvas: CanvasClient | None = None
    vault: PseudonymVault = field(default_factory=PseudonymVault)
    banner_user: str = "BCA_AGENT"
    today: date = field(default_factory=date.today)
    provisioning: ProvisioningConfig = field(default_factory=ProvisioningConfig)
    kb: Retriever | None = None
    kb_min_score: float | None = None
    """Passages below this similarity are not shown at all (the chatbot may not cite them)."""
    workflow: Workflow | None = None
    """The workflow this run belongs to (from the event's kind); None: no rollout applies."""
    bound_term: str | None = None
    bound_crn: str | None = None
    """The term and section the run's event names: what rollout rules are matched against."""
    contracts: ContractStore | None = None
    """Where incomplete contracts are kept sealed (the incompletes workflow's documents)."""
    _planned: dict[str, roster_sync.PlannedSync] = field(
        default_factory=dict, repr=False, compare=False
    )

    @cached_property
    def directory(self) -> BannerDirectory:
        """Banner relationships for the scope rules."""
        return BannerDirectory(self.banner)

    @cached_property
    def _rollout_target(self) -> Target:
        """The bound section's subject, course, department, college and campus from Banner.

        Read at most once per run, and only when a rollout rule has to be matched.
        """
        if self.bound_crn is None or self.bound_term is None:
            return Target(term=self.bound_term)
        try:
            section = reads.get_section(self.banner, self.bound_term, self.bound_crn)
        except SectionNotFound:
            return Target(term=self.bound_term, crn=self.bound_crn)
        return Target(
            term=section.term,
            crn=section.crn,
            subject=section.subject,
            course_number=section.course_number,
            department=section.department,
            college=section.college,
            campus=section.campus,
        )

    def rollout_target(self) -> Target:
        """The run's bound section, for the guard's rollout gate."""
        return self._rollout_target

    def preview(self, tool: str, args: Mapping[str, Any]) -> dict[str, int] | None:
        """What a shadowed write would have done by action kind (a roster plan's actions)."""
        if tool != "canvas_apply_roster_plan":
            return None
        planned = self.planned(roster_scope(args))
        kinds = Counter(action.kind.value for action in planned.plan.actions)
        return dict(sorted(kinds.items()))

    def term(self, given: str | None) -> str:
        """The term a call names, else the principal's current term."""
        term = given or self.principal.term
        if term is None:
            raise ValidationFailed("name a term: this run has no current term")
        return term

    def retriever(self) -> Retriever:
        """The knowledge base, or a clear error when this run has none."""
        if self.kb is None:
            raise ValidationFailed("this run has no knowledge base to search")
        return self.kb

    def lms(self) -> CanvasClient:
        """The Canvas client, or a clear error when this run has none."""
        if self.canvas is None:
            raise ValidationFailed("this run has no Canvas connection")
        return self.canvas

    def contract_store(self) -> ContractStore:
        """The contract store, or a clear error when this run has none."""
        if self.contracts is None:
            raise ValidationFailed("this run has no contract store")
        return self.contracts

    def plan(self, scope: roster_sync.SyncScope) -> roster_sync.PlannedSync:
        """A fresh roster plan for ``scope``, read through this run's connections."""
        return roster_sync.plan_sync(self.banner, self.lms(), scope, self.provisioning, self.today)

    def planned(self, scope: roster_sync.SyncScope) -> roster_sync.PlannedSync:
        """The plan :meth:`bulk_share` just judged for ``scope`` (taken once), else a fresh one."""
        return self._planned.pop(repr(scope), None) or self.plan(scope)

    def bulk_share(self, tool: str, args: Mapping[str, Any]) -> float | None:
        """Share of live enrollments a bulk call would end.

        ``canvas_end_enrollments``: of the section's. ``canvas_apply_roster_plan``: the share the
        plan's mass-drop verdict turns on (the plan is kept for the call that follows, so what
        a person approves is what runs).
        """
        if tool == "canvas_apply_roster_plan":
            scope = roster_scope(args)
            planned = self._planned[repr(scope)] = self.plan(scope)
            return roster_sync.approval_share(planned, scope, self.provisioning.mass_drop)
        if tool != "canvas_end_enrollments":
            return None
        live = enrollments.list_enrollments(
            self.lms(),
            EnrollmentQuery(
                sis_id=section_sis_id(args["term"], args["crn"]),
                scope="section",
                states=["active", "invited"],
                types=["StudentEnrollment"],
            ),
        )
        return len(args["pidms"]) / max(len(live), 1)


def roster_scope(args: Mapping[str, Any]) -> roster_sync.SyncScope:
    """The sync scope a roster tool's arguments name (term, optional CRNs, optional student)."""
    crns, pidm = args.get("crns"), args.get("pidm")
    return roster_sync.SyncScope(
        term=str(args["term"]),
        crns=tuple(crns) if crns is not None else None,
        pidm=int(pidm) if pidm is not None else None,
    )
