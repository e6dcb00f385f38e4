"""What a roster plan amounts to: its figures, whether a person must approve it, its channel.

Pure functions of a :class:`~agents.rules.roster_plan.RosterPlan`: the dry run's counts, the
mass-drop verdict (Canvas's ``change_threshold`` lesson: a plan ending more than a set share of
a section's or a term's live enrollments waits for a registrar) and the choice between REST
calls and one SIS import.
"""

from __future__ import annotations

from collections import Counter
from enum import StrEnum
from typing import TypeGuard

from pydantic import Field, computed_field

from agents.rules.roster_plan import (
    LIVE_STATES,
    ActionKind,
    EnrollmentChange,
    FrozenRule,
    RosterAction,
    RosterPlan,
)


class PlanFigures(FrozenRule):
    """Counts for a dry run's report and the ``--json`` output."""

    by_kind: dict[ActionKind, int]
    total: int
    ending_live: int = Field(description="Actions that take access away from a live enrollment.")
    rest_requests: int
    registrations: int
    unmapped_crns: int


def _ends_live(action: RosterAction) -> TypeGuard[EnrollmentChange]:
    return (
        isinstance(action, EnrollmentChange)
        and action.kind.ends_enrollment
        and action.from_state in LIVE_STATES
    )


_REST_REQUESTS = {kind: 1 for kind in ActionKind} | {ActionKind.PROVISION: 2}
"""Canvas REST requests per action: a course is created, then a template copied into it."""


def rest_requests(plan: RosterPlan) -> int:
    """How many Canvas REST requests applying the plan action by action would take."""
    return sum(_REST_REQUESTS[action.kind] for action in plan.actions)


def plan_figures(plan: RosterPlan) -> PlanFigures:
    """Counts by action kind (every kind listed, zeros included) and the plan's cost."""
    counts = Counter(action.kind for action in plan.actions)
    return PlanFigures(
        by_kind={kind: counts[kind] for kind in ActionKind},
        total=len(plan.actions),
        ending_live=sum(_ends_live(action) for action in plan.actions),
        rest_requests=rest_requests(plan),
        registrations=plan.registrations,
        unmapped_crns=len(plan.unmapped_crns),
    )


class MassDropPolicy(FrozenRule):
    """Canvas's ``change_threshold`` lesson, per section and per term.

    A plan needs a registrar's approval when it would end **more than** ``max_section_share`` of a
    section's live enrollments (sections with fewer than ``min_section_live`` are not judged
    alone: one drop in a seminar of four is not a mass drop) or more than ``max_term_share`` of
    the term's. Exactly at the share is allowed.
    """

    max_section_share: float = Field(default=0.25, gt=0, le=1)
    max_term_share: float = Field(default=0.10, gt=0, le=1)
    min_section_live: int = Field(default=10, ge=1)


class ShareFigures(FrozenRule):
    """Live enrollments in a scope (a section, or ``term``) and how many the plan would end."""

    scope: str
    live: int
    ending: int

    @computed_field  # type: ignore[prop-decorator]
    @property
    def share(self) -> float:
        """Ending over live; zero when nothing is live."""
        return self.ending / self.live if self.live else 0.0


class MassDropVerdict(FrozenRule):
    """Whether a registrar must approve the plan, with the figures to show them."""

    needs_approval: bool
    term: ShareFigures
    breaching_sections: tuple[ShareFigures, ...]
    policy: MassDropPolicy


def mass_drop_verdict(plan: RosterPlan, policy: MassDropPolicy | None = None) -> MassDropVerdict:
    """Judge the plan against the mass-drop threshold (see :class:`MassDropPolicy`)."""
    policy = policy or MassDropPolicy()
    ending = Counter(action.section_sis_id for action in plan.actions if _ends_live(action))
    term = ShareFigures(
        scope="term", live=sum(plan.live_before.values()), ending=sum(ending.values())
    )
    breaching = tuple(
        figures
        for section, live in plan.live_before.items()
        if live >= policy.min_section_live
        and (figures := ShareFigures(scope=section, live=live, ending=ending[section])).share
        > policy.max_section_share
    )
    return MassDropVerdict(
        needs_approval=bool(breaching) or term.share > policy.max_term_share,
        term=term,
        breaching_sections=breaching,
        policy=policy,
    )


class SyncChannel(StrEnum):
    """How a plan is applied to Canvas."""

    REST = "rest"
    SIS_IMPORT = "sis_import"


REST_MAX_REQUESTS = 300
"""The REST-vs-SIS-import cut-off, in REST requests (see :func:`choose_channel`)."""


def choose_channel(plan: RosterPlan, *, rest_max_requests: int = REST_MAX_REQUESTS) -> SyncChannel:
    """REST for plans of at most ``rest_max_requests`` requests, a SIS import above.

    Why 300: REST costs one request per change, and every request draws on the token's leaky
    bucket (600 high-water, 10/s drain, 50 up front per request), which this token shares with
    event handling, grade passback and outreach. A client that paces itself off
    ``X-Rate-Limit-Remaining`` sustains about 5 writes/s, so 300 changes take about a minute, the
    order of a SIS import's fixed latency (upload, a turn in Canvas's job queue, then polling).
    An import costs a handful of requests whatever its size and is checked server-side by
    ``change_threshold``; REST is faster below the cut-off and reports each failure on its row.
    """
    return SyncChannel.REST if rest_requests(plan) <= rest_max_requests else SyncChannel.SIS_IMPORT
