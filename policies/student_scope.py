"""Whom a staff member may find in student search and how much of each student they see.

Beside :mod:`policies.scope` (which checks one tool call): this decides, for one request, the
caller's :class:`~policies.profile_fields.Relation` to any student, from Banner only (SGRADVR
advisees effective for the term; students on the rosters of sections SIRASGN assigns the
caller), never from anything the request says. ``profile_fields.yaml`` then says which parts
that relation shows, and whether a FERPA-confidential student (SPBPERS_CONFID_IND = 'Y') may be
shown at all.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass, field

from sqlalchemy import Engine

from policies.profile_fields import Part, ProfileFields, Relation
from policies.rbac import Principal, Role
from tools.banner import directory, reads

CONFIDENTIAL = "Confidential"
"""What a confidential student's name reads as to anyone without a need to know."""


@dataclass(frozen=True)
class StudentScope:
    """One caller's reach over students in one term, looked up once per request."""

    principal: Principal
    term: str
    fields: ProfileFields
    advisees: frozenset[int] = frozenset()
    taught: dict[int, frozenset[str]] = field(default_factory=dict)

    def relation(self, pidm: int) -> Relation | None:
        """The closest relation the caller's role has views for; None: out of scope."""
        allowed = self.fields.relations(self.principal.role)
        if Relation.ANY in allowed:
            return Relation.ANY
        if Relation.ADVISEE in allowed and pidm in self.advisees:
            return Relation.ADVISEE
        if Relation.TAUGHT in allowed and pidm in self.taught:
            return Relation.TAUGHT
        if Relation.DIRECTORY in allowed:
            return Relation.DIRECTORY
        return None

    def parts(self, pidm: int, confidential: bool) -> frozenset[Part] | None:
        """What the caller sees of a student; empty when only "Confidential"; None: nothing."""
        relation = self.relation(pidm)
        if relation is None:
            return None
        if confidential and relation not in self.fields.need_to_know:
            return frozenset()
        return self.fields.parts(self.principal.role, relation)

    def search_among(self) -> Collection[int] | None:
        """The PIDMs search may return (None: anyone; an instructor: their students only)."""
        allowed = self.fields.relations(self.principal.role)
        if Relation.ANY in allowed or Relation.DIRECTORY in allowed:
            return None
        reach: set[int] = set()
        if Relation.ADVISEE in allowed:
            reach |= self.advisees
        if Relation.TAUGHT in allowed:
            reach |= set(self.taught)
        return reach

    def own_students(self) -> frozenset[int]:
        """The caller's advisees and students taught: who a search of theirs most likely means."""
        return self.advisees | frozenset(self.taught)

    def crns_taught(self, pidm: int) -> frozenset[str] | None:
        """The sections an instructor may see of this student (None: not limited)."""
        if self.relation(pidm) is Relation.TAUGHT:
            return self.taught.get(pidm, frozenset())
        return None

    @property
    def may_search(self) -> bool:
        """Whether the role has any view of students at all."""
        return bool(self.fields.relations(self.principal.role))


def student_scope(
    principal: Principal, banner: Engine, term: str, fields: ProfileFields
) -> StudentScope:
    """The caller's scope, with the Banner lookups its role's relations need."""
    relations = fields.relations(principal.role)
    advisees: frozenset[int] = frozenset()
    taught: dict[int, frozenset[str]] = {}
    if principal.pidm is not None and principal.role in (Role.ADVISOR, Role.INSTRUCTOR):
        if Relation.ADVISEE in relations:
            advisees = frozenset(reads.advisees_of(banner, principal.pidm, term))
        if Relation.TAUGHT in relations:
            taught = directory.students_taught(banner, principal.pidm, term)
    return StudentScope(principal, term, fields, advisees, taught)
