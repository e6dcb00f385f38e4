"""What rollout controls leave behind in the app database: shadowed writes and mode changes.

``rollout_shadow`` holds one row per write the guard did not execute because its workflow was
in ``shadow`` (workflow, action kind, the keys of its target, its redacted arguments, and what
it would have done by action kind), the raw material of the shadow report. ``rollout_changes``
holds every change of the rollout file with who made it and the workflow's entry before and
after; each change is also appended to the hash-chained audit trail (:mod:`policies.audit`),
so the history cannot be rewritten unnoticed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import Column, Engine, Integer, MetaData, String, Table, Text, insert, select

from core.clock import utcnow
from policies.audit import AuditEvent, AuditLog, canonical_json
from policies.rollout import Target, Workflow, WorkflowRollout

metadata = MetaData()

rollout_shadow = Table(
    "rollout_shadow",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", String(32), nullable=False),
    Column("workflow", String(40), nullable=False, index=True),
    Column("tool", String(120), nullable=False),
    Column("term", String(20)),
    Column("crn", String(20)),
    Column("department", String(20)),
    Column("thread_id", String(200)),
    # The call's target keys (term, CRNs, PIDM) unredacted, for the report to compare with
    # Canvas; like the queue's person exceptions they stay in this database.
    Column("keys", Text, nullable=False),
    Column("arguments", Text, nullable=False),  # redacted, canonical JSON
    Column("would_have", Text, nullable=False),  # {action kind: count}
)

rollout_changes = Table(
    "rollout_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("time", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("workflow", String(40), nullable=False),
    Column("before", Text, nullable=False),
    Column("after", Text, nullable=False),
)


class ShadowRecord(BaseModel):
    """One write that was planned, recorded, and not executed."""

    model_config = ConfigDict(frozen=True)

    workflow: Workflow
    tool: str
    target: Target
    keys: dict[str, Any]
    arguments: dict[str, Any]
    would_have: dict[str, int]
    thread_id: str | None = None
    time: str = ""


class RolloutChange(BaseModel):
    """One change of a workflow's rollout entry."""

    model_config = ConfigDict(frozen=True)

    time: str
    actor: str
    workflow: Workflow
    before: WorkflowRollout
    after: WorkflowRollout


def _now() -> str:
    return utcnow().isoformat(timespec="seconds")


class RolloutLog:
    """Both tables of one app database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def create(self) -> None:
        """Create the tables if they are missing (idempotent)."""
        metadata.create_all(self.engine)

    def shadowed(self, record: ShadowRecord) -> None:
        """Keep one shadowed write (arguments must arrive redacted)."""
        with self.engine.begin() as conn:
            conn.execute(
                insert(rollout_shadow).values(
                    time=record.time or _now(),
                    workflow=record.workflow.value,
                    tool=record.tool,
                    term=record.target.term,
                    crn=record.target.crn,
                    department=record.target.department,
                    thread_id=record.thread_id,
                    keys=canonical_json(record.keys),
                    arguments=canonical_json(record.arguments),
                    would_have=canonical_json(record.would_have),
                )
            )

    def shadow_records(
        self, workflow: Workflow, since: datetime | None = None
    ) -> list[ShadowRecord]:
        """The workflow's shadowed writes, oldest first (from ``since`` when given)."""
        query = select(rollout_shadow).where(rollout_shadow.c.workflow == workflow.value)
        if since is not None:
            query = query.where(rollout_shadow.c.time >= since.isoformat(timespec="seconds"))
        with self.engine.connect() as conn:
            rows = conn.execute(query.order_by(rollout_shadow.c.id)).mappings().all()
        return [
            ShadowRecord(
                workflow=Workflow(r["workflow"]),
                tool=r["tool"],
                target=Target(term=r["term"], crn=r["crn"], department=r["department"]),
                keys=json.loads(r["keys"]),
                arguments=json.loads(r["arguments"]),
                would_have=json.loads(r["would_have"]),
                thread_id=r["thread_id"],
                time=r["time"],
            )
            for r in rows
        ]

    def changed(self, change: RolloutChange, audit: AuditLog, role: str) -> None:
        """Record a change here and in the audit trail."""
        before, after = change.before.model_dump(mode="json"), change.after.model_dump(mode="json")
        with self.engine.begin() as conn:
            conn.execute(
                insert(rollout_changes).values(
                    time=change.time,
                    actor=change.actor,
                    workflow=change.workflow.value,
                    before=canonical_json(before),
                    after=canonical_json(after),
                )
            )
        audit.append(
            AuditEvent(
                actor=change.actor,
                role=role,
                tool="rollout.set",
                arguments={"workflow": change.workflow.value, "before": before, "after": after},
                decision="allow",
                outcome="ok",
            )
        )

    def history(self, workflow: Workflow | None = None, limit: int = 100) -> list[RolloutChange]:
        """The last ``limit`` changes (of one workflow, when given), newest first."""
        query = select(rollout_changes).order_by(rollout_changes.c.id.desc()).limit(limit)
        if workflow is not None:
            query = query.where(rollout_changes.c.workflow == workflow.value)
        with self.engine.connect() as conn:
            rows = conn.execute(query).mappings().all()
        return [_change(dict(r)) for r in rows]


def _change(row: Mapping[str, Any]) -> RolloutChange:
    return RolloutChange(
        time=row["time"],
        actor=row["actor"],
        workflow=Workflow(row["workflow"]),
        before=WorkflowRollout.model_validate(json.loads(row["before"])),
        after=WorkflowRollout.model_validate(json.loads(row["after"])),
    )
