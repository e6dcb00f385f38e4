"""Applying a roster plan to Canvas: structure by REST, enrollments by REST or one SIS import.

The channel is :func:`agents.rules.roster_verdicts.choose_channel`'s. The accounts new
enrollments need are made in the same run, before them: as users.csv in the enrollments' own SIS
import (Canvas applies users first; upserting an existing user costs nothing and carries Banner's
name and e-mail changes), or, by REST, through the Users API for a student an enrollment found
missing. A person Banner cannot give an account (:mod:`agents.rules.accounts`), or whose login
Canvas already gives someone else, becomes an exception for a person with the Banner record to
fix; the rest of the section still syncs.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

from pydantic import BaseModel, ConfigDict, Field

from agents.deps import ProvisioningConfig
from agents.rules.accounts import AccountProblem, CanvasAccount
from agents.rules.roster_plan import ActionKind, EnrollmentChange, ProvisionCourse, SectionChange
from agents.rules.roster_verdicts import SyncChannel, choose_channel
from agents.state import PersonException
from agents.workflows.roster_sync.accounts import enroll_making_users, user_row
from agents.workflows.roster_sync.planning import MAX_LISTED_EXCEPTIONS, PlannedSync
from tools.banner.models import Section
from tools.canvas import courses, enrollments, lookup
from tools.canvas.client import CanvasClient
from tools.canvas.errors import CanvasNotFound
from tools.canvas.models import (
    CourseShellSpec,
    CrossListSpec,
    EndEnrollment,
    EnrollmentKey,
    EnrollmentSpec,
    SectionSpec,
    SisEnrollmentRow,
    SisImportSpec,
)
from tools.canvas.sis_imports import run_sis_import

_END_TASK = {
    ActionKind.INACTIVATE: "inactivate",
    ActionKind.DELETE: "delete",
    ActionKind.CONCLUDE: "conclude",
}
_SIS_STATUS = {
    ActionKind.ENROLL: "active",
    ActionKind.REACTIVATE: "active",
    ActionKind.INACTIVATE: "inactive",
    ActionKind.DELETE: "deleted",
    ActionKind.CONCLUDE: "completed",
}
_SIS_ROLE = {"StudentEnrollment": "student", "TeacherEnrollment": "teacher", "TaEnrollment": "ta"}
_MISSING_USER = re.compile(r"User not found for enrollment \(User ID: (?P<user>[^)]+)\)")
_LOGIN_TAKEN = re.compile(r"An existing Canvas user with the login (?P<login>\S+) already exists")


class ApplyReport(BaseModel):
    """What applying did: per-kind counts, the channel, and exceptions for people."""

    model_config = ConfigDict(frozen=True)

    term: str
    digest: str
    channel: SyncChannel
    applied: dict[str, int] = Field(description="Actions done, by kind.")
    failed: int = Field(description="Actions Canvas refused or could not find (see exceptions).")
    sections: int = Field(description="Sections in scope (active and due).")
    unknown_crns: list[str] = Field(description="CRNs asked for that Banner does not have.")
    exceptions: list[PersonException]
    exceptions_total: int


def _crn(term: str, sis_section: str) -> str:
    return sis_section.removeprefix(f"{term}-")


@dataclass
class _Applier:
    """Applies one plan; collects counts and exceptions as it goes."""

    client: CanvasClient
    planned: PlannedSync
    config: ProvisioningConfig
    applied: Counter[str]
    exceptions: list[PersonException]
    failed: int = 0

    @property
    def term(self) -> str:
        return self.planned.plan.term_code

    def _section(self, crn: str) -> Section:
        return self.planned.banner.sections[crn]

    def structure(self, actions: Sequence[ProvisionCourse | SectionChange]) -> None:
        """Courses (from the department's template), then sections, moved into their course."""
        course_ids: dict[str, int] = {}
        for action in actions:
            if isinstance(action, ProvisionCourse):
                first = self._section(action.crns[0])
                label = f"{first.subject} {first.course_number}"
                shell = courses.ensure_course_shell(
                    self.client,
                    CourseShellSpec(
                        sis_course_id=action.course_sis_id,
                        name=f"{label} {first.title or ''}".strip(),
                        course_code=label,
                        template_course_id=self.config.template_for(first.subject),
                        copy_timeout_seconds=self.config.copy_timeout_seconds,
                    ),
                )
                course_ids[action.course_sis_id] = shell.course.id
            else:
                section = self._section(action.crn)
                made = courses.ensure_section(
                    self.client,
                    SectionSpec(
                        sis_course_id=action.course_sis_id,
                        sis_section_id=action.section_sis_id,
                        name=f"{section.subject} {section.course_number}-{section.sequence}"
                        f" ({section.crn})",
                    ),
                )
                if action.course_sis_id not in course_ids:
                    course_ids[action.course_sis_id] = lookup.find_course(
                        self.client, action.course_sis_id
                    ).id
                if made.course_id != course_ids[action.course_sis_id]:
                    courses.ensure_crosslist(
                        self.client,
                        CrossListSpec(
                            sis_section_id=action.section_sis_id,
                            sis_course_id=action.course_sis_id,
                        ),
                    )
            self.applied[action.kind.value] += 1

    @cached_property
    def _accounts(self) -> dict[str, CanvasAccount]:
        """The accounts planned for new enrollments, by SIS user id."""
        return {a.sis_user_id: a for a in self.planned.accounts.accounts}

    def _account_problem(self, problem: AccountProblem, crn: str | None) -> None:
        self.exceptions.append(
            PersonException(
                kind=problem.kind.value,
                detail=problem.detail,
                term=self.term,
                crn=crn,
                pidm=problem.pidm,
                record=problem.record,
            )
        )

    def account_problems(self, changes: Sequence[EnrollmentChange]) -> list[EnrollmentChange]:
        """Raise the plan's account problems; returns the changes whose person can have one."""
        first_crn: dict[int | None, str] = {}
        for change in changes:
            first_crn.setdefault(change.pidm, _crn(self.term, change.section_sis_id))
        for problem in self.planned.accounts.problems:
            self._account_problem(problem, first_crn.get(problem.pidm))
        blocked = self.planned.accounts.blocked
        self.failed += sum(c.pidm in blocked for c in changes)
        return [c for c in changes if c.pidm not in blocked]

    def _login_taken(self, account: CanvasAccount, crn: str, why: str) -> None:
        self.failed += 1
        self.exceptions.append(
            PersonException(
                kind="account_login_taken",
                detail=f"Canvas refused the account: {why}",
                term=self.term,
                crn=crn,
                pidm=account.pidm,
                record=account.record,
            )
        )

    def _missing_user(self, change: EnrollmentChange) -> None:
        self.failed += 1
        self.exceptions.append(
            PersonException(
                kind="canvas_user_missing",
                detail="The student has no Canvas account yet, so the enrollment waits for one.",
                term=self.term,
                crn=_crn(self.term, change.section_sis_id),
                pidm=change.pidm,
            )
        )

    def rest(self, changes: Sequence[EnrollmentChange]) -> None:
        """One REST call per change; enrolls in a small parallel batch, making missing users."""
        enrolls = [c for c in changes if c.kind is ActionKind.ENROLL]
        specs = [
            EnrollmentSpec(sis_section_id=c.section_sis_id, sis_user_id=c.user_sis_id, type=c.role)
            for c in enrolls
        ]
        made = enroll_making_users(self.client, specs, self._accounts)
        if made.users_created:
            self.applied["create_user"] += made.users_created
        for change, outcome in zip(enrolls, made.outcomes, strict=True):
            crn = _crn(self.term, change.section_sis_id)
            if outcome.refused is not None:
                self._login_taken(self._accounts[change.user_sis_id], crn, outcome.refused)
            elif outcome.missing == "user":
                self._missing_user(change)
            elif outcome.missing is not None:
                self.failed += 1
            else:
                self.applied[change.kind.value] += 1
        for change in changes:
            if change.kind is ActionKind.ENROLL:
                continue
            key = {
                "sis_section_id": change.section_sis_id,
                "sis_user_id": change.user_sis_id,
                "type": change.role,
            }
            try:
                if change.kind is ActionKind.REACTIVATE:
                    enrollments.reactivate_enrollment(self.client, EnrollmentKey(**key))
                else:
                    task = _END_TASK[change.kind]
                    enrollments.end_enrollment(self.client, EndEnrollment(**key, task=task))
            except CanvasNotFound:
                self.failed += 1  # gone since it was read: the next plan sees the truth
                continue
            self.applied[change.kind.value] += 1

    def sis_import(self, changes: Sequence[EnrollmentChange]) -> None:
        """All changes in one SIS import (enrollments.csv); missing users come back as warnings."""
        rows = [
            SisEnrollmentRow(
                section_id=c.section_sis_id,
                user_id=c.user_sis_id,
                role=_SIS_ROLE.get(c.role, "student"),
                status=_SIS_STATUS[c.kind],
            )
            for c in changes
        ]
        needed = {c.user_sis_id for c in changes if c.kind is ActionKind.ENROLL}
        accounts = [a for sis_id, a in self._accounts.items() if sis_id in needed]
        result = run_sis_import(
            self.client,
            SisImportSpec(
                users=[user_row(a) for a in accounts],
                enrollments=rows,
                timeout_seconds=self.config.sis_import_timeout_seconds,
            ),
        )
        missing = {
            m.group("user")
            for w in result.warnings
            if (m := _MISSING_USER.search(w.message)) is not None
        }
        by_login = {a.login_id: a for a in accounts}
        taken: dict[str, str] = {}
        for error in result.errors:
            if (m := _LOGIN_TAKEN.search(error.message)) and m.group("login") in by_login:
                taken[by_login[m.group("login")].sis_user_id] = error.message
        self.applied["upsert_user"] += len(accounts) - len(taken)
        for change in changes:
            if change.user_sis_id in taken:
                self._login_taken(
                    self._accounts[change.user_sis_id],
                    _crn(self.term, change.section_sis_id),
                    taken[change.user_sis_id],
                )
            elif change.user_sis_id in missing:
                self._missing_user(change)
            elif result.succeeded:
                self.applied[change.kind.value] += 1
            else:
                self.failed += 1
        for error in result.errors:
            if not _LOGIN_TAKEN.search(error.message):
                self.exceptions.append(
                    PersonException(kind="sis_import_error", detail=error.message, term=self.term)
                )


def apply_sync(
    client: CanvasClient, planned: PlannedSync, config: ProvisioningConfig
) -> ApplyReport:
    """Apply the plan: structure by REST, enrollments by REST or one SIS import (the channel)."""
    plan = planned.plan
    channel = choose_channel(plan, rest_max_requests=config.rest_max_requests)
    applier = _Applier(client, planned, config, Counter(), list(planned.exceptions))
    applier.structure([a for a in plan.actions if not isinstance(a, EnrollmentChange)])
    changes = applier.account_problems([a for a in plan.actions if isinstance(a, EnrollmentChange)])
    if changes:
        (applier.rest if channel is SyncChannel.REST else applier.sis_import)(changes)
    return ApplyReport(
        term=plan.term_code,
        digest=planned.digest,
        channel=channel,
        applied=dict(sorted(applier.applied.items())),
        failed=applier.failed,
        sections=len(planned.banner.sections),
        unknown_crns=list(planned.banner.unknown_crns),
        exceptions=applier.exceptions[:MAX_LISTED_EXCEPTIONS],
        exceptions_total=len(applier.exceptions),
    )
