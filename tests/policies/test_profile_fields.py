"""profile_fields.yaml: the shipped file loads, and a mistake names its file and line."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import ConfigurationError
from policies.profile_fields import Part, Relation, load_profile_fields
from policies.rbac import Role


def test_the_shipped_views() -> None:
    fields = load_profile_fields()
    assert fields.parts(Role.HELPDESK, Relation.DIRECTORY) == frozenset({Part.IDENTITY})
    assert fields.parts(Role.ADVISOR, Relation.DIRECTORY) == frozenset({Part.IDENTITY})
    assert fields.parts(Role.INSTRUCTOR, Relation.DIRECTORY) is None  # not in search at all
    assert fields.parts(Role.REGISTRAR, Relation.ANY) == frozenset(Part)
    assert fields.parts(Role.STUDENT, Relation.ANY) is None
    assert Relation.DIRECTORY not in fields.need_to_know


def test_an_unknown_part_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "fields.yaml"
    path.write_text(
        "version: 1\nneed_to_know: [any]\nroles:\n  registrar:\n    any: [identity, shoe_size]\n"
    )
    with pytest.raises(ConfigurationError, match=r"fields.yaml:5: roles.registrar.any"):
        load_profile_fields(path)


def test_an_unknown_role_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "fields.yaml"
    path.write_text("version: 1\nneed_to_know: []\nroles:\n  janitor:\n    any: [identity]\n")
    with pytest.raises(ConfigurationError, match="janitor"):
        load_profile_fields(path)
