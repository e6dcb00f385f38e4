"""Fixtures for the chatbot tests: the policy tests' sandbox and guard, the sandbox's help pages
in a real embedded chromadb, and the student with a registration hold the questions are about."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest
from langgraph.checkpoint.memory import InMemorySaver
from sqlalchemy import Engine, text

from agents.support.agent import SupportAgent
from agents.support.config import SupportConfig
from agents.toolbox import ToolContext
from policies.guard import Guard
from policies.pii import PseudonymVault, Redactor
from policies.rbac import Principal, Role
from sandbox.kb.corpus import write_corpus
from tests.policies.agent_harness import TODAY, ScriptedModel, redactor_for
from tests.policies.conftest import TERM, audit, banner, cast, guard, policy
from tools.kb.embedding import Embedder, load_embedder
from tools.kb.store import KnowledgeBase

__all__ = ["audit", "banner", "cast", "guard", "policy"]


@dataclass(frozen=True)
class Student:
    """A sandbox student, with what must never reach a model."""

    pidm: int
    banner_id: str
    first: str
    last: str
    email: str | None
    hold_code: str
    hold_desc: str


def _student_with_registration_hold(engine: Engine, today: date) -> Student:
    sql = text(
        "SELECT h.sprhold_pidm, s.spriden_id, s.spriden_first_name, s.spriden_last_name,"
        " h.sprhold_hldd_code, t.stvhldd_desc,"
        " (SELECT goremal_email_address FROM goremal WHERE goremal_pidm = h.sprhold_pidm"
        "   AND goremal_status_ind = 'A' ORDER BY goremal_preferred_ind DESC LIMIT 1) AS email"
        " FROM sprhold h JOIN stvhldd t ON t.stvhldd_code = h.sprhold_hldd_code"
        " JOIN spriden s ON s.spriden_pidm = h.sprhold_pidm AND s.spriden_change_ind IS NULL"
        " WHERE t.stvhldd_reg_hold_ind = 'Y' AND h.sprhold_from_date <= :d"
        " AND h.sprhold_to_date > :d ORDER BY h.sprhold_pidm LIMIT 1"
    )
    with engine.connect() as conn:
        row = conn.execute(sql, {"d": today}).one()
    return Student(
        pidm=int(row[0]), banner_id=row[1], first=row[2], last=row[3], hold_code=row[4],
        hold_desc=row[5], email=row[6],
    )  # fmt: skip


@pytest.fixture(scope="session")
def held(banner: Engine) -> Student:
    return _student_with_registration_hold(banner, TODAY)


@pytest.fixture(scope="session")
def redactor(banner: Engine) -> Redactor:
    return redactor_for(banner)


@pytest.fixture(scope="session")
def embedder() -> Embedder:
    return load_embedder()


@pytest.fixture(scope="session")
def kb(
    banner: Engine, embedder: Embedder, tmp_path_factory: pytest.TempPathFactory
) -> KnowledgeBase:
    root = Path(tmp_path_factory.mktemp("kb"))
    write_corpus(banner, root / "corpus")
    store = KnowledgeBase.open(
        path=root / "chroma", url=None, collection="support-tests", embedder=embedder
    )
    store.ingest(root / "corpus")
    return store


def support_context(
    pidm: int, banner: Engine, redactor: Redactor, kb: KnowledgeBase, **kw: object
) -> ToolContext:
    principal = Principal(actor="agent:support", role=Role.SUPPORT, on_behalf_of=pidm, term=TERM)
    return ToolContext(
        principal=principal, banner=banner, redactor=redactor, kb=kb,
        vault=PseudonymVault(), today=TODAY, **kw,  # type: ignore[arg-type]
    )  # fmt: skip


def support_agent(
    guard: Guard, embedder: Embedder, model: ScriptedModel | None = None
) -> SupportAgent:
    return SupportAgent(guard, embedder, model, SupportConfig(max_steps=3), InMemorySaver())
