"""The staff student search and profile: reads Banner and Canvas, scopes, assembles, audits.

The composition the API and the dashboard share (so the page can never show what the API
refuses): the caller's :class:`~policies.student_scope.StudentScope` from Banner, the search
index in the app database (refreshed from Banner's activity dates at most every
``refresh_every`` seconds, so an edit in Banner reaches search within a minute without anyone
running ``bca search index``), only the reads the caller's parts need, the pure assembly of
:mod:`agents.student_profile`, and one audit record per profile view with who, whom and the
stated purpose. Read-only: nothing here writes to Banner or Canvas.

A student out of the caller's scope is indistinguishable from one that does not exist (the
same :class:`StudentNotFound`, so the API's 404 gives no hint), but the attempt is audited.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Engine

from agents.student_profile import (
    ApprovalSummary,
    BannerFacts,
    CanvasFacts,
    CaseSource,
    NoCases,
    ProfileFacts,
    StudentProfile,
    assemble,
)
from core.clock import utcnow
from core.errors import NotFoundError, ServiceUnavailable
from policies.approvals import ApprovalRequest
from policies.audit import AuditEvent, AuditLog
from policies.profile_fields import Part, ProfileFields, Relation
from policies.rbac import Principal
from policies.student_scope import CONFIDENTIAL, StudentScope, student_scope
from tools.banner import directory, reads
from tools.banner.errors import PersonNotFound, StudentRecordNotFound
from tools.banner.models import PersonDetails, SearchEntry, StudentStanding
from tools.banner.search.index import StudentSearchIndex
from tools.canvas.activity import student_activity
from tools.canvas.client import CanvasClient
from tools.canvas.errors import CanvasNotFound

PROFILE_VIEW = "student_profile_view"
"""The audit trail's name for a profile view (its ``tool`` column)."""


class Purpose(StrEnum):
    """Why a profile is opened: the short list the audit trail records (plus a note)."""

    ADVISING = "advising"
    TEACHING = "teaching"
    REGISTRATION = "registration"
    SUPPORT = "support"
    OTHER = "other"


class StudentNotFound(NotFoundError):
    """No such student, or not one the caller may see (the two are not told apart)."""

    def __init__(self, banner_id: str) -> None:
        super().__init__("student", banner_id=banner_id)


class StudentMatch(BaseModel):
    """One search result, at the level the caller may see it."""

    model_config = ConfigDict(frozen=True)

    banner_id: str
    name: str
    level: str | None = None
    email: str | None = None
    confidential: bool = False
    relation: Relation
    score: float


def _name(entry: SearchEntry) -> str:
    first = entry.preferred_first_name or entry.first_name
    return " ".join(p for p in (first, entry.last_name) if p)


@dataclass
class ProfileService:
    """Search and profile for staff, over one Banner, one app database and one Canvas."""

    banner: Engine
    index: StudentSearchIndex
    audit: AuditLog
    fields: ProfileFields
    canvas: Callable[[], CanvasClient]
    approvals: Callable[[int], Iterable[ApprovalRequest]]
    """The outstanding approval requests about a student (an index query, not a listing)."""
    cases: CaseSource = field(default_factory=NoCases)
    refresh_every: float = 60.0
    clock: Callable[[], datetime] = utcnow
    _refreshed: float = field(default=0.0, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def term_of(self, principal: Principal) -> str:
        """The token's term, else the latest started term with registrations."""
        term = principal.term or directory.current_term(self.banner, self.clock().date())
        if term is None:
            raise ServiceUnavailable("Banner has no current term (STVTERM) with registrations")
        return term

    def scope(self, principal: Principal) -> StudentScope:
        """The caller's reach, looked up in Banner for the term."""
        return student_scope(principal, self.banner, self.term_of(principal), self.fields)

    def fresh_index(self) -> None:
        """Build the index if it never was; else refresh it when ``refresh_every`` has passed."""
        with self._lock:
            now = time.monotonic()
            if self.index.built() and now - self._refreshed < self.refresh_every:
                return
            if self.index.built():
                self.index.refresh(self.banner)
            else:
                self.index.build(self.banner)
            self._refreshed = now

    def search(self, principal: Principal, query: str, limit: int = 20) -> list[StudentMatch]:
        """Matches the caller may see, their own students first.

        A confidential student is found only by their exact Banner ID.
        """
        scope = self.scope(principal)
        if not scope.may_search:
            return []
        self.fresh_index()
        typed_id = query.strip().upper()
        matches = []
        found = self.index.search(
            query, among=scope.search_among(), prefer=scope.own_students(), limit=limit
        )
        for entry, score in found:
            relation = scope.relation(entry.pidm)
            parts = scope.parts(entry.pidm, entry.confidential)
            if relation is None or parts is None:
                continue
            if not parts:
                if entry.banner_id != typed_id:
                    continue  # a name or e-mail must not reveal a confidential student
                matches.append(
                    StudentMatch(
                        banner_id=entry.banner_id,
                        name=CONFIDENTIAL,
                        confidential=True,
                        relation=relation,
                        score=score,
                    )
                )
                continue
            matches.append(
                StudentMatch(
                    banner_id=entry.banner_id,
                    name=_name(entry),
                    level=entry.level,
                    email=entry.email,
                    confidential=entry.confidential,
                    relation=relation,
                    score=score,
                )
            )
        return matches

    def profile(
        self, principal: Principal, banner_id: str, purpose: Purpose, note: str | None = None
    ) -> StudentProfile:
        """The profile the caller may see, audited; :class:`StudentNotFound` otherwise."""
        banner_id = banner_id.strip().upper()
        scope = self.scope(principal)
        try:
            person = reads.person_by_id(self.banner, banner_id)
        except PersonNotFound:
            self._audit(principal, None, banner_id, purpose, note, None)
            raise StudentNotFound(banner_id) from None
        details = directory.person_details(self.banner, person.pidm)
        standing = self._standing(person.pidm, scope.term)
        parts = scope.parts(person.pidm, bool(details and details.confidential))
        if standing is None or parts is None:
            self._audit(principal, person.pidm, banner_id, purpose, note, None)
            raise StudentNotFound(banner_id)
        facts = self._facts(person.pidm, banner_id, parts, scope, details, standing)
        profile = assemble(facts, parts, crns=scope.crns_taught(person.pidm))
        self._audit(principal, person.pidm, banner_id, purpose, note, parts)
        return profile

    def _standing(self, pidm: int, term: str) -> StudentStanding | None:
        try:
            return reads.student_standing(self.banner, pidm, term)
        except StudentRecordNotFound:
            return None

    def _facts(
        self,
        pidm: int,
        banner_id: str,
        parts: frozenset[Part],
        scope: StudentScope,
        details: PersonDetails | None,
        standing: StudentStanding,
    ) -> ProfileFacts:
        """Only the reads the shown parts need (the risk score needs GPA and holds too)."""
        term, now = scope.term, self.clock()
        risk = Part.RISK in parts
        banner = BannerFacts(
            person=reads.person_by_pidm(self.banner, pidm),
            details=details,
            level=standing.level,
            standing=standing,
            gpa=reads.student_gpa(self.banner, pidm, term) if Part.GPA in parts or risk else None,
            holds=reads.student_holds(self.banner, pidm, now.date())
            if Part.HOLDS in parts or risk
            else None,
            advisors=reads.student_advisors(self.banner, pidm, term)
            if Part.ADVISORS in parts
            else [],
            schedule=directory.student_schedule(self.banner, pidm, term)
            if Part.SCHEDULE in parts
            else [],
        )
        canvas = self._canvas(banner_id) if Part.CANVAS in parts or risk else None
        approvals = (
            [
                ApprovalSummary(
                    id=r.id,
                    action=r.action_request.action,
                    approver=r.approver.value,
                    created_at=r.created_at,
                    expires_at=r.expires_at,
                )
                for r in self.approvals(pidm)
            ]
            if Part.APPROVALS in parts
            else []
        )
        cases = self.cases.open_cases(pidm) if Part.CASES in parts else []
        return ProfileFacts(
            term=term, as_of=now, banner=banner, canvas=canvas, approvals=approvals, cases=cases
        )

    def _canvas(self, banner_id: str) -> CanvasFacts:
        """The student's Canvas courses; Canvas down or without the user is said, not fatal."""
        try:
            return CanvasFacts(courses=student_activity(self.canvas(), banner_id))
        except CanvasNotFound:
            return CanvasFacts(unavailable="Canvas has no user with this Banner ID")
        except ServiceUnavailable as exc:
            return CanvasFacts(unavailable=f"Canvas is unavailable: {exc}")

    def _audit(
        self,
        principal: Principal,
        pidm: int | None,
        banner_id: str,
        purpose: Purpose,
        note: str | None,
        parts: frozenset[Part] | None,
    ) -> None:
        """Who looked at whom, why, and what they were shown (or that they were refused).

        The student is recorded by PIDM (the Banner key, no name); a refused look at someone
        who does not exist keeps the Banner ID typed, so probing is visible in the trail.
        """
        subject: dict[str, object] = (
            {"student_pidm": pidm} if pidm is not None else {"banner_id": banner_id}
        )
        self.audit.append(
            AuditEvent(
                actor=principal.actor,
                role=principal.role.value,
                tool=PROFILE_VIEW,
                arguments={**subject, "purpose": purpose.value, "note": note},
                decision="allow" if parts is not None else "deny",
                outcome=(
                    f"shown: {', '.join(sorted(parts)) or 'confidential notice only'}"
                    if parts is not None
                    else "not found or out of scope (404)"
                ),
            )
        )
