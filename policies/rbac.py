"""Role-based access control as data: who may call which tool, under which scope rule.

``policies/rbac.yaml`` lists, per role, the tools the role may call. Anything not listed is
denied. Each grant names a **scope rule** (evaluated against Banner by :mod:`policies.scope`) and
whether the call needs a person's approval (:mod:`policies.approvals`). The file is checked
against the tool catalogue when it is loaded, so a typo in a role, a tool or a scope stops the
process at startup with ``file:line: reason`` instead of silently denying or allowing at runtime.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal, Self

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from core.errors import ConfigurationError
from policies.yaml_lines import line_of, load_located, yaml_error_line

DEFAULT_POLICY_PATH = Path(__file__).with_name("rbac.yaml")


class Role(StrEnum):
    """Every role the system knows: five agents, then the people."""

    PROVISIONING = "provisioning"
    ROSTER = "roster"
    GRADE = "grade"
    ALERT = "alert"
    SUPPORT = "support"
    STUDENT = "student"
    ADVISOR = "advisor"
    INSTRUCTOR = "instructor"
    REGISTRAR = "registrar"
    HELPDESK = "helpdesk"
    CHAIR = "chair"
    RESEARCH = "research"
    ADMIN = "admin"
    EVALUATOR = "evaluator"
    LMS_ADMIN = "lms_admin"


AGENT_ROLES = frozenset({Role.PROVISIONING, Role.ROSTER, Role.GRADE, Role.ALERT, Role.SUPPORT})


class Scope(StrEnum):
    """Whose records a grant reaches; see :mod:`policies.scope` for how each is checked."""

    SELF = "self"  # the caller's own records (a student)
    ADVISEES = "advisees"  # students the caller advises (SGRADVR)
    TAUGHT_SECTIONS = "taught_sections"  # sections the caller teaches (SIRASGN) and their students
    ON_BEHALF_OF = "on_behalf_of"  # only the authenticated student an agent acts for
    ANY = "any"


CALLER_SCOPES = frozenset({Scope.SELF, Scope.ON_BEHALF_OF})
"""The scopes whose one student is the caller: the only ones a caller-bound tool takes."""


class Approval(StrEnum):
    """When a granted call waits for a person."""

    NEVER = "never"
    ABOVE_THRESHOLD = "above_threshold"  # only when a bulk change exceeds its threshold share
    ALWAYS = "always"


_APPROVAL_STRENGTH = {Approval.NEVER: 0, Approval.ABOVE_THRESHOLD: 1, Approval.ALWAYS: 2}


@dataclass(frozen=True)
class ToolTraits:
    """What the policy needs to know about a tool to check a grant for it.

    ``student_arg``/``section_args`` name the arguments that identify whose record the call
    touches (a PIDM; a term and CRN); ``approval_floor`` is the least approval any grant of the
    tool may ask for (every Banner write is ``always``).

    ``caller_bound`` tools take no student at all: their subject is the signed-in student
    (the principal's PIDM under ``self``, its ``on_behalf_of`` under ``on_behalf_of``), so a
    model cannot even name another student to them. They may be granted under those two
    scopes only.

    ``published`` tools return the institution's published pages and nothing about a person:
    their results reach the model unredacted (name detection would turn an office code such as
    "AR" into a person placeholder, and a help desk's public address is meant to be read).
    """

    name: str
    writes: bool
    approval_floor: Approval
    student_arg: str | None = None
    section_args: tuple[str, str] | None = None
    caller_bound: bool = False
    published: bool = False

    def __post_init__(self) -> None:
        """A caller-bound tool names no student argument: there is nobody else to name."""
        if self.caller_bound and self.student_arg is not None:
            raise ConfigurationError(f"tool {self.name!r} is caller-bound and takes no student")
        if self.published and (self.writes or self.student_arg or self.caller_bound):
            raise ConfigurationError(f"tool {self.name!r} is published: it reads public pages only")


class Principal(BaseModel):
    """The authenticated caller of a tool: who, in which role, for whom, in which term.

    Built by trusted code (the API's authentication, the event router), never from model
    output; scope rules read the subject of a call from here.
    """

    model_config = ConfigDict(frozen=True)

    actor: str = Field(min_length=1, description="Stable identity, e.g. 'agent:support'.")
    role: Role
    pidm: int | None = Field(None, description="The person's own PIDM (people roles).")
    on_behalf_of: int | None = Field(None, description="The authenticated student an agent serves.")
    term: str | None = Field(None, description="Term for effective-dated checks (SGRADVR...).")
    department: str | None = Field(
        None, pattern=r"^[A-Z0-9]{1,4}$", description="A chair's department (SCBCRSE dept code)."
    )

    @model_validator(mode="after")
    def _identity_fits_role(self) -> Self:
        """A person role must name its person, and the support agent its student."""
        if self.role in (Role.STUDENT, Role.ADVISOR, Role.INSTRUCTOR) and self.pidm is None:
            raise ValueError(f"role {self.role} needs the person's pidm")
        if self.role is Role.SUPPORT and self.on_behalf_of is None:
            raise ValueError("the support agent acts only on behalf of an authenticated student")
        if self.role is Role.CHAIR and self.department is None:
            raise ValueError("role chair needs the department it chairs")
        return self


def _catalogue(info: ValidationInfo) -> Mapping[str, ToolTraits]:
    """The tool catalogue passed as validation context by :func:`load_policy`."""
    catalogue: Mapping[str, ToolTraits] = (info.context or {})["tools"]
    return catalogue


class Grant(BaseModel):
    """Permission for a role to call one tool under a scope rule."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    tool: str
    scope: Scope
    approval: Approval = Approval.NEVER

    @field_validator("tool")
    @classmethod
    def _known_tool(cls, tool: str, info: ValidationInfo) -> str:
        catalogue = _catalogue(info)
        if tool not in catalogue:
            raise ValueError(f"unknown tool {tool!r}; known tools: {', '.join(sorted(catalogue))}")
        return tool

    @model_validator(mode="after")
    def _fits_tool(self, info: ValidationInfo) -> Self:
        traits = _catalogue(info)[self.tool]
        if _APPROVAL_STRENGTH[self.approval] < _APPROVAL_STRENGTH[traits.approval_floor]:
            raise ValueError(
                f"tool {self.tool!r} needs approval at least {traits.approval_floor.value!r}, "
                f"the grant says {self.approval.value!r}"
            )
        if traits.caller_bound and self.scope not in CALLER_SCOPES:
            raise ValueError(
                f"tool {self.tool!r} is bound to the signed-in student: grant it with scope"
                f" 'self' or 'on_behalf_of', not {self.scope.value!r}"
            )
        if self.scope in CALLER_SCOPES and not (traits.student_arg or traits.caller_bound):
            raise ValueError(f"scope {self.scope.value!r} needs a tool about one student")
        if self.scope is Scope.ADVISEES and not traits.student_arg:
            raise ValueError(f"scope {self.scope.value!r} needs a tool about one student")
        if self.scope is Scope.TAUGHT_SECTIONS and not (traits.student_arg or traits.section_args):
            raise ValueError("scope 'taught_sections' needs a tool about a section or student")
        return self


class RoleGrants(BaseModel):
    """A role's grants, at most one per tool."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    grants: list[Grant] = Field(default_factory=list)

    @field_validator("grants")
    @classmethod
    def _one_grant_per_tool(cls, grants: list[Grant]) -> list[Grant]:
        seen: set[str] = set()
        for grant in grants:
            if grant.tool in seen:
                raise ValueError(f"tool {grant.tool!r} is granted twice")
            seen.add(grant.tool)
        return grants


class PolicyFile(BaseModel):
    """The whole of ``rbac.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    roles: dict[Role, RoleGrants]


class Policy:
    """The loaded policy: looks up the grant for (role, tool); no grant means deny."""

    def __init__(self, source: str, data: PolicyFile, catalogue: Mapping[str, ToolTraits]) -> None:
        self.source = source
        self.catalogue = dict(catalogue)
        self._grants = {(role, g.tool): g for role, rg in data.roles.items() for g in rg.grants}

    def grants(self) -> list[tuple[Role, Grant]]:
        """Every (role, grant) pair."""
        return [(role, grant) for (role, _tool), grant in self._grants.items()]

    def grant(self, role: Role, tool: str) -> Grant | None:
        """The grant letting ``role`` call ``tool``, or None (deny)."""
        return self._grants.get((role, tool))

    def tools_of(self, role: Role) -> list[str]:
        """Names of the tools ``role`` may call at all, in catalogue order."""
        return [name for name in self.catalogue if (role, name) in self._grants]


def load_policy(path: Path, catalogue: Mapping[str, ToolTraits]) -> Policy:
    """Read and check ``path`` against the tool catalogue.

    Raises :class:`ConfigurationError` listing every problem as ``file:line: reason``.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigurationError(f"{path}: cannot read the RBAC policy: {exc.strerror}") from None
    try:
        document = load_located(text)
    except yaml.MarkedYAMLError as exc:
        raise ConfigurationError(f"{path}:{yaml_error_line(exc)}: {exc.problem}") from None
    try:
        data = PolicyFile.model_validate(document, context={"tools": catalogue})
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"] if p != "[key]")
            reason = error["msg"].removeprefix("Value error, ")
            if error["type"] == "enum" and error["loc"][-1] == "[key]":
                reason = f"unknown role {error['input']!r}; {reason}"
            problems.append(f"{path}:{line_of(document, error['loc'])}: {where}: {reason}")
        raise ConfigurationError("invalid RBAC policy:\n" + "\n".join(problems)) from None
    return Policy(str(path), data, catalogue)
