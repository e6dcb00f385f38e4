"""Reading both sides of a roster sync's scope and planning it by the rules.

Scope: a whole term, some CRNs, or one student in one CRN (what an event touches). Sections are
in scope when :func:`agents.rules.provisioning.provisioning_due` says so; a cross-list group is
in scope as a whole when any of its sections is. What a dry run shows (:class:`PlanReport`) and
the share the guard judges a bulk call by (:func:`approval_share`) are derived from the plan.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine

from agents.deps import ProvisioningConfig
from agents.rules.accounts import AccountsPlan, plan_accounts
from agents.rules.adapters import (
    from_banner_registrations,
    from_banner_section,
    from_canvas_term,
)
from agents.rules.provisioning import provisioning_due
from agents.rules.roster_plan import (
    ActionKind,
    CanvasSnapshot,
    EnrollmentChange,
    RosterPlan,
    plan_roster,
)
from agents.rules.roster_verdicts import (
    MassDropPolicy,
    MassDropVerdict,
    PlanFigures,
    SyncChannel,
    choose_channel,
    mass_drop_verdict,
    plan_figures,
)
from agents.state import PersonException
from core.ids import course_sis_id
from tools.banner import reads
from tools.banner.models import Registration, Section
from tools.canvas import enrollments, lookup
from tools.canvas.client import CanvasClient
from tools.canvas.errors import CanvasNotFound
from tools.canvas.models import EnrollmentInfo, EnrollmentQuery, SectionInfo

MAX_LISTED_EXCEPTIONS = 50
"""Exceptions listed in a tool result; the rest are counted (the result stays small)."""


@dataclass(frozen=True)
class SyncScope:
    """What a sync covers: a term, optionally some CRNs, optionally one student (by PIDM)."""

    term: str
    crns: tuple[str, ...] | None = None
    pidm: int | None = None


@dataclass(frozen=True)
class BannerSide:
    """The Banner facts of a scope: the sections due and their registrations."""

    sections: dict[str, Section]
    registrations: list[Registration]
    unknown_crns: tuple[str, ...]
    first_class: date | None


@dataclass(frozen=True)
class PlannedSync:
    """A plan with the Banner facts it came from (needed to name courses when applying)."""

    plan: RosterPlan
    banner: BannerSide
    exceptions: list[PersonException]
    accounts: AccountsPlan = field(default_factory=lambda: AccountsPlan(accounts=[], problems=[]))
    """The Canvas users the plan's new enrollments need (made before them, in the same run)."""

    @property
    def digest(self) -> str:
        """A short fingerprint: the plan a person approved is the plan that is applied."""
        body = "\n".join(a.model_dump_json() for a in self.plan.actions)
        return hashlib.sha256(body.encode()).hexdigest()[:16]


class PlanReport(BaseModel):
    """What a dry run shows: the plan's figures, the approval verdict, the channel."""

    model_config = ConfigDict(frozen=True)

    term: str
    digest: str
    figures: PlanFigures
    verdict: MassDropVerdict
    channel: SyncChannel
    sections: int
    unknown_crns: list[str]
    exceptions: list[PersonException]
    exceptions_total: int


def read_banner(db: Engine, scope: SyncScope, today: date, window_days: int) -> BannerSide:
    """The sections due in scope (whole cross-list groups) and their registrations.

    A scope naming CRNs (an event's) reads only those sections, their cross-list partners and
    their registrations (one student's, when it names one), never the whole term: per-event
    cost then does not grow with the term.
    """
    if scope.crns is None:
        listed = reads.term_sections(db, scope.term)
    else:
        listed = reads.sections_with_crosslists(db, scope.term, scope.crns)
    every = {s.crn: s for s in listed}
    due_groups = {
        s.crosslist_group
        for s in listed
        if s.crosslist_group and provisioning_due(s.status, s.start_date, today, window_days)
    }
    sections = {
        crn: s
        for crn, s in sorted(every.items())
        if provisioning_due(s.status, s.start_date, today, window_days)
        or s.crosslist_group in due_groups
    }
    if scope.crns is None:
        registrations = [
            r
            for r in reads.term_roster_snapshot(db, scope.term)
            if r.crn in sections and (scope.pidm is None or r.pidm == scope.pidm)
        ]
    else:
        registrations = (
            reads.sections_roster_snapshot(db, scope.term, list(sections), scope.pidm)
            if sections
            else []
        )
    return BannerSide(
        sections=sections,
        registrations=registrations,
        unknown_crns=tuple(sorted(set(scope.crns or ()) - set(every))),
        first_class=reads.term_first_class(db, scope.term),
    )


def _course_ids(scope: SyncScope, sections: Iterable[Section]) -> dict[str, str]:
    """CRN → the sis_course_id of its Canvas course."""
    return {s.crn: course_sis_id(scope.term, s.crn, s.crosslist_group) for s in sections}


def read_canvas(
    client: CanvasClient, scope: SyncScope, banner: BannerSide, banner_id: str | None
) -> CanvasSnapshot:
    """What Canvas holds for the scope's courses: their sections and student enrollments.

    Two requests per course, whatever the scope: its sections and its student enrollments (only
    ``banner_id``'s when given, so an event reads one student's rows), both addressed by the
    course's SIS id. The planner needs of a course only whether it exists and which sections
    it holds: a 404 on the sections says it is missing (as a GET of the course would), and a
    listing names the sections in it. A course that lists no sections is fetched as well (one
    more request, rare: a course is provisioned with its sections), so that its existence is
    judged by the same GET as before rather than by an empty list alone.
    """
    found: dict[str, list[SectionInfo]] = {}
    rows: list[EnrollmentInfo] = []
    for course_id in sorted(set(_course_ids(scope, banner.sections.values()).values())):
        try:
            listed = lookup.find_course_sections(client, course_id)
            if not listed:
                lookup.get_course(client, course_id)
        except CanvasNotFound:
            continue
        found[course_id] = listed
        query = EnrollmentQuery(
            sis_id=course_id,
            states=enrollments.ALL_STATES,
            types=["StudentEnrollment"],
            sis_user_id=banner_id,
        )
        rows += enrollments.enrollments_in(lookup.course_at(client, course_id), query)
    return from_canvas_term(found, rows)


def plan_sync(
    db: Engine,
    client: CanvasClient,
    scope: SyncScope,
    config: ProvisioningConfig,
    today: date,
    *,
    with_registrations: bool = True,
) -> PlannedSync:
    """Read both sides for ``scope`` and plan by the census and wait-list rules.

    ``with_registrations=False`` plans the structure only (courses, sections, cross-lists).
    """
    banner = read_banner(db, scope, today, config.window_days)
    usable, without_id = from_banner_registrations(
        banner.registrations if with_registrations else []
    )
    banner_id = None
    if scope.pidm is not None:
        banner_id = reads.person_by_pidm(db, scope.pidm).banner_id
    canvas = read_canvas(client, scope, banner, banner_id)
    if not with_registrations:
        canvas = canvas.model_copy(update={"enrollments": ()})
    plan = plan_roster(
        config.term_policy(scope.term, banner.first_class),
        sections=[from_banner_section(s) for s in banner.sections.values()],
        registrations=usable,
        canvas=canvas,
        as_of=today,
    )
    exceptions = [
        PersonException(
            kind="banner_id_missing",
            detail="The student has no current Banner ID (SPRIDEN), so Canvas cannot be matched.",
            term=scope.term,
            crn=r.crn,
            pidm=r.pidm,
        )
        for r in without_id
    ]
    newcomers = {
        a.pidm
        for a in plan.actions
        if isinstance(a, EnrollmentChange) and a.kind is ActionKind.ENROLL and a.pidm is not None
    }
    accounts = plan_accounts(
        reads.account_records(db, newcomers, config.accounts.email_code), config.accounts
    )
    return PlannedSync(plan=plan, banner=banner, exceptions=exceptions, accounts=accounts)


def report(planned: PlannedSync, config: ProvisioningConfig) -> PlanReport:
    """The figures a dry run shows and the approval request cites."""
    plan = planned.plan
    return PlanReport(
        term=plan.term_code,
        digest=planned.digest,
        figures=plan_figures(plan),
        verdict=mass_drop_verdict(plan, config.mass_drop),
        channel=choose_channel(plan, rest_max_requests=config.rest_max_requests),
        sections=len(planned.banner.sections),
        unknown_crns=list(planned.banner.unknown_crns),
        exceptions=planned.exceptions[:MAX_LISTED_EXCEPTIONS],
        exceptions_total=len(planned.exceptions),
    )


def approval_share(planned: PlannedSync, scope: SyncScope, policy: MassDropPolicy) -> float:
    """The share the guard compares with its threshold (equal to the rule's term share).

    The term's share, or a breaching section's when one breaches; a section share only breaches
    above ``max_section_share``, which is never below the guard's threshold (see GraphDeps). A
    plan for one student (an event) ends at most that student's enrollments: not a mass drop,
    whatever the scope's own shares (its population is one), so its share is zero.
    """
    if scope.pidm is not None:
        return 0.0
    verdict = mass_drop_verdict(planned.plan, policy)
    return max([verdict.term.share, *(s.share for s in verdict.breaching_sections)])
