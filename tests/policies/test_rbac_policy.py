"""rbac.yaml: the shipped file loads; every kind of mistake stops startup with file:line: reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from agents.toolbox import CATALOGUE, load_default_policy
from core.errors import ConfigurationError
from policies.rbac import Approval, Principal, Role, Scope, load_policy

GOOD = """\
version: 1
roles:
  support:
    grants:
      - {tool: banner_get_holds, scope: on_behalf_of}
  registrar:
    grants:
      - tool: banner_place_hold
        scope: any
        approval: always
"""


def _load(tmp_path: Path, text: str) -> str:
    path = tmp_path / "rbac.yaml"
    path.write_text(text)
    with pytest.raises(ConfigurationError) as err:
        load_policy(path, CATALOGUE)
    return str(err.value)


def test_shipped_policy_loads_and_denies_by_default() -> None:
    policy = load_default_policy()
    assert policy.grant(Role.SUPPORT, "banner_get_holds") is not None
    assert policy.grant(Role.SUPPORT, "banner_post_grade") is None
    assert policy.grant(Role.EVALUATOR, "banner_get_person") is None
    assert policy.tools_of(Role.EVALUATOR) == ["banner_get_section"]


ADDITIVE_CANVAS_WRITES = {
    "canvas_enroll_student",
    "canvas_ensure_course",
    "canvas_enroll_instructors",
}
"""Canvas writes that only give access Banner already grants (nothing ended, nothing sent)."""
CARRY_OUT_AN_APPROVED_INCOMPLETE = {"canvas_extend_access", "canvas_send_contract"}
"""Writes their tools refuse until the registrar's approved extension is in Banner and the
contract is active (agents/toolbox/contract_tools.py)."""


def test_every_banner_write_and_outreach_needs_approval_in_the_shipped_policy() -> None:
    policy = load_default_policy()
    for _role, grant in policy.grants():
        traits = CATALOGUE[grant.tool]
        exempt = ADDITIVE_CANVAS_WRITES | CARRY_OUT_AN_APPROVED_INCOMPLETE
        if traits.writes and grant.tool not in exempt:
            assert grant.approval is not Approval.NEVER, grant


def test_small_policy_loads(tmp_path: Path) -> None:
    path = tmp_path / "rbac.yaml"
    path.write_text(GOOD)
    policy = load_policy(path, CATALOGUE)
    grant = policy.grant(Role.REGISTRAR, "banner_place_hold")
    assert grant is not None and grant.scope is Scope.ANY and grant.approval is Approval.ALWAYS


@pytest.mark.parametrize(
    ("old", "new", "line", "reason"),
    [
        ("  registrar:", "  registrars:", 6, "unknown role 'registrars'"),
        ("tool: banner_get_holds", "tool: banner_get_hold", 5, "unknown tool 'banner_get_hold'"),
        ("scope: on_behalf_of", "scope: on_behalf", 5, "scope"),
        ("        scope: any\n", "        scope: everyone\n", 9, "scope"),
        ("        approval: always\n", "        approval: never\n", 8, "needs approval at least"),
        ("        approval: always\n", "        approval: maybe\n", 10, "approval"),
        ("        approval: always\n", "        aproval: always\n", 10, "Extra inputs"),
        (
            "      - {tool: banner_get_holds, scope: on_behalf_of}\n",
            "      - {tool: banner_get_holds, scope: on_behalf_of}\n"
            "      - {tool: banner_get_holds, scope: any}\n",
            4,
            "granted twice",
        ),
        (
            "      - {tool: banner_get_holds, scope: on_behalf_of}\n",
            "      - {tool: banner_get_section, scope: self}\n",
            5,
            "needs a tool about one student",
        ),
        ("version: 1", "version: 2", 1, "version"),
        ("  support:\n", "  registrar:\n    grants: []\n  support:\n", 8, "duplicate key"),
        ("      - {tool: banner_get_holds", "      - {tool: [banner_get_holds", 5, ""),
    ],
)
def test_mistakes_name_file_line_and_reason(
    tmp_path: Path, old: str, new: str, line: int, reason: str
) -> None:
    assert old in GOOD
    message = _load(tmp_path, GOOD.replace(old, new, 1))
    assert f"{tmp_path / 'rbac.yaml'}:{line}:" in message, message
    assert reason in message


def test_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"nope\.yaml"):
        load_policy(tmp_path / "nope.yaml", CATALOGUE)


def test_principal_must_fit_its_role() -> None:
    with pytest.raises(ValidationError, match="needs the person's pidm"):
        Principal(actor="person:x", role=Role.ADVISOR)
    with pytest.raises(ValidationError, match="on behalf of an authenticated student"):
        Principal(actor="agent:support", role=Role.SUPPORT)
    with pytest.raises(ValidationError):
        Principal(actor="agent:x", role="janitor")
