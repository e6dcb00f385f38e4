"""The audit trail: appends chain, tampering of any kind is found, concurrent appends never fork."""

from __future__ import annotations

import itertools
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, insert, select, text, update
from typer.testing import CliRunner

from core.db import make_engine
from core.errors import BcaError
from policies.audit import AuditEvent, AuditLog, audit_events, row_hash
from runtime.cli import app


def _event(i: int) -> AuditEvent:
    return AuditEvent(
        actor="agent:support",
        role="support",
        tool="banner_get_holds",
        arguments={"pidm": "<PIDM_1>", "i": i},
        decision="allow" if i % 3 else "deny",
        outcome="ok" if i % 3 else "out of scope",
        latency_ms=0.25 * i,
        on_behalf_of="<PIDM_1>",
        thread_id="t-1",
        reasoning="The student asked about holds.",
    )


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/app.db"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture
def log(url: str) -> AuditLog:
    audit = AuditLog(make_engine(url))
    audit.create()
    for i in range(1, 6):
        audit.append(_event(i))
    return audit


def _verify_cli(url: str) -> tuple[int, str]:
    """Exit code and message as `bca` (whose main() turns BcaError into both) would give them."""
    result = CliRunner().invoke(app, ["audit", "verify", "--url", url])
    if isinstance(result.exception, BcaError):
        return result.exception.exit_code, str(result.exception)
    return result.exit_code, result.output


def test_intact_chain_verifies_and_links(log: AuditLog, url: str) -> None:
    events = list(log.iter_events())
    assert [e.seq for e in events] == [1, 2, 3, 4, 5]
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    assert events[1].arguments == {"pidm": "<PIDM_1>", "i": 2}
    report = log.verify()
    assert report.ok and report.rows == 5 and report.head_hash == events[-1].hash
    code, out = _verify_cli(url)
    assert code == 0, out
    assert "5 rows" in out


def _tamper_update(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(update(audit_events).where(audit_events.c.seq == 3).values(decision="allow"))


def _tamper_update_rehash(engine: Engine) -> None:
    # A forger who recomputes the row's own hash still breaks the link to row 4.
    with engine.begin() as conn:
        row = dict(
            conn.execute(select(audit_events).where(audit_events.c.seq == 3)).mappings().one()
        )
        row["outcome"] = "ok"
        conn.execute(
            update(audit_events)
            .where(audit_events.c.seq == 3)
            .values(outcome="ok", hash=row_hash(row))
        )


def _tamper_delete_middle(engine: Engine) -> None:
    _delete_row(engine, 3)


def _tamper_delete_last(engine: Engine) -> None:
    _delete_row(engine, 5)


def _tamper_insert_end(engine: Engine) -> None:
    # A well-formed row chained onto the last one: only the head notices.
    with engine.begin() as conn:
        last = dict(
            conn.execute(select(audit_events).where(audit_events.c.seq == 5)).mappings().one()
        )
        row = {**last, "seq": 6, "tool": "banner_post_grade", "prev_hash": last["hash"]}
        row["hash"] = row_hash(row)
        conn.execute(insert(audit_events).values(**row))


def _tamper_insert_middle(engine: Engine) -> None:
    # Make room by renumbering rows 4..5 upwards, then slip a row in as seq 4.
    with engine.begin() as conn:
        for seq in (5, 4):
            conn.execute(update(audit_events).where(audit_events.c.seq == seq).values(seq=seq + 1))
        prev = dict(
            conn.execute(select(audit_events).where(audit_events.c.seq == 3)).mappings().one()
        )
        row = {**prev, "seq": 4, "decision": "allow", "prev_hash": prev["hash"]}
        row["hash"] = row_hash(row)
        conn.execute(insert(audit_events).values(**row))


@pytest.mark.parametrize(
    ("tamper", "first_broken", "reason"),
    [
        (_tamper_update, "seq=3", "changed"),
        (_tamper_update_rehash, "seq=4", "prev_hash"),
        (_tamper_delete_middle, "seq=4", "sequence gap"),
        (_tamper_delete_last, "seq=5", "at the end"),
        (_tamper_insert_end, "seq=6", "at the end"),
        (_tamper_insert_middle, "seq=5", "prev_hash"),
    ],
)
def test_tampering_is_detected_and_named(
    log: AuditLog, url: str, tamper: Callable[[Engine], None], first_broken: str, reason: str
) -> None:
    tamper(log.engine)
    report = log.verify()
    assert not report.ok
    assert first_broken in (report.broken or "") and reason in (report.broken or "")
    code, out = _verify_cli(url)
    assert code == 1
    assert first_broken in out


def test_bca_verify_exits_non_zero_naming_the_row(tmp_path) -> None:
    url = f"sqlite:///{tmp_path}/app.db"
    audit = AuditLog(make_engine(url))
    audit.create()
    for i in range(1, 4):
        audit.append(_event(i))
    _delete_row(audit.engine, 2)
    bca = Path(sys.executable).with_name("bca")
    done = subprocess.run([bca, "audit", "verify", "--url", url], capture_output=True, text=True)
    assert done.returncode == 1
    assert "seq=3" in done.stderr and "sequence gap" in done.stderr


def _delete_row(engine: Engine, seq: int) -> None:
    with engine.begin() as conn:
        conn.execute(delete(audit_events).where(audit_events.c.seq == seq))


def test_verify_of_a_database_without_a_trail_fails(tmp_path) -> None:
    code, out = _verify_cli(f"sqlite:///{tmp_path}/empty.db")
    assert code == 1 and "no audit_events table" in out


def test_tail_shows_latest_events(log: AuditLog, url: str) -> None:
    assert [e.seq for e in log.tail(2)] == [4, 5]
    result = CliRunner().invoke(app, ["audit", "tail", "--url", url, "-n", "2", "--json"])
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and '"seq": 5' in lines[1]


def test_concurrent_appends_from_many_logs_never_fork(url: str) -> None:
    # Separate AuditLog objects (own engines, own in-process locks) stand in for separate
    # processes: only the database lock on the head row keeps them in one chain.
    first = AuditLog(make_engine(url))
    first.create()
    logs = [AuditLog(make_engine(url)) for _ in range(4)]
    errors: list[BaseException] = []

    def work(audit: AuditLog) -> None:
        try:
            for i in range(15):
                audit.append(_event(i))
        except BaseException as exc:  # surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(a,)) for a in logs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    report = first.verify()
    assert report.ok, report.broken
    assert report.rows == 60
    with first.engine.connect() as conn:
        hashes = conn.execute(text("SELECT COUNT(DISTINCT prev_hash) FROM audit_events")).scalar()
    assert hashes == 60
