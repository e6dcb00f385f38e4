"""Which parts of the staff student profile a caller sees: ``profile_fields.yaml``, as data.

Loaded and checked like ``rbac.yaml`` (unknown roles, relations or parts stop the process with
``file:line: reason``), so a new screen part or a wider view is a reviewed change to one file.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import ConfigurationError
from policies.rbac import Role
from policies.yaml_lines import line_of, load_located, yaml_error_line

DEFAULT_FIELDS_PATH = Path(__file__).with_name("profile_fields.yaml")


class Relation(StrEnum):
    """How the caller stands to the student (see :mod:`policies.student_scope`)."""

    ANY = "any"
    ADVISEE = "advisee"
    TAUGHT = "taught"
    DIRECTORY = "directory"


class Part(StrEnum):
    """The parts of the profile, each shown whole or not at all."""

    IDENTITY = "identity"  # name, preferred name, Banner ID, preferred e-mail, level
    DEMOGRAPHICS = "demographics"  # SPBPERS sex, ethnicity, birth date, citizenship
    PROGRAM = "program"  # SGBSTDN status, level, type, major, standing, full/part time
    ADVISORS = "advisors"  # SGRADVR
    GPA = "gpa"  # SHRTGPA, SHRLGPA
    HOLDS = "holds"  # SPRHOLD in force
    SCHEDULE = "schedule"  # SFRSTCR of the term
    CANVAS = "canvas"  # current grades, last activity, late/missing, page views
    RISK = "risk"  # the early-alert score and its factors
    APPROVALS = "approvals"  # open approval requests about the student
    CASES = "cases"  # help-desk cases (a seam until the support cases exist)


class FieldsFile(BaseModel):
    """The whole of ``profile_fields.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1]
    need_to_know: frozenset[Relation]
    roles: dict[Role, dict[Relation, frozenset[Part]]]


class ProfileFields:
    """The loaded file: the parts a (role, relation) sees, and who needs to know."""

    def __init__(self, data: FieldsFile) -> None:
        self._views = data.roles
        self.need_to_know = data.need_to_know

    def parts(self, role: Role, relation: Relation) -> frozenset[Part] | None:
        """The parts shown; None when this role may not see this student at all."""
        return self._views.get(role, {}).get(relation)

    def relations(self, role: Role) -> frozenset[Relation]:
        """The relations under which ``role`` sees anyone (empty: no access to search)."""
        return frozenset(self._views.get(role, {}))


def load_profile_fields(path: Path = DEFAULT_FIELDS_PATH) -> ProfileFields:
    """Read and check the file; :class:`ConfigurationError` lists every problem with its line."""
    try:
        document = load_located(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(
            f"{path}: cannot read the profile fields: {exc.strerror}"
        ) from None
    except yaml.MarkedYAMLError as exc:
        raise ConfigurationError(f"{path}:{yaml_error_line(exc)}: {exc.problem}") from None
    try:
        data = FieldsFile.model_validate(document)
    except ValidationError as exc:
        problems = [
            f"{path}:{line_of(document, e['loc'])}: "
            f"{'.'.join(str(p) for p in e['loc'] if p != '[key]')}: {e['msg']}"
            for e in exc.errors()
        ]
        raise ConfigurationError("invalid profile fields:\n" + "\n".join(problems)) from None
    return ProfileFields(data)
