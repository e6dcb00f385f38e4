"""`bca rollout`: show, set (validated, atomic, audited), history, report; bad input refused."""

from __future__ import annotations

import getpass
import json
import sys
from pathlib import Path

import pytest

from core.db import make_engine
from policies.audit import AuditLog
from policies.rollout import Mode, Target, Workflow, load_rollout
from policies.rollout_log import RolloutLog, ShadowRecord
from tests.runtime.test_cli_bad_input import one_error_line, run_bca, var  # noqa: F401

SHIPPED = Path(__file__).parents[2] / "policies" / "rollout.yaml"


@pytest.fixture
def rollout_file(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The shipped file copied into the empty deployment of ``var``, named by BCA_ROLLOUT_FILE."""
    deployment: Path = request.getfixturevalue("var")
    deployment.mkdir(parents=True, exist_ok=True)
    path = deployment / "rollout.yaml"
    path.write_text(SHIPPED.read_text())
    monkeypatch.setenv("BCA_ROLLOUT_FILE", str(path))
    monkeypatch.setattr(sys, "argv", sys.argv)  # restored after run_bca replaces it
    return path


def test_set_show_and_history(
    rollout_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    code, out, _ = run_bca(
        ["rollout", "set", "roster_sync", "shadow", "--scope", "departments=MATH",
         "--scope", "campuses=M", "--by", "registrar:7"], capsys,
    )  # fmt: skip
    assert code == 0 and "shadow for departments=MATH and campuses=M" in out
    entry = load_rollout(rollout_file).of(Workflow.ROSTER_SYNC)
    assert [(r.mode, r.scope) for r in entry.rules] == [
        (Mode.SHADOW, {"departments": ["MATH"], "campuses": ["M"]})
    ]
    assert run_bca(["rollout", "set", "chatbot", "off"], capsys)[0] == 0
    code, out, _ = run_bca(["rollout", "show", "--json"], capsys)
    shown = {row["workflow"]: row for row in json.loads(out)}
    assert shown["chatbot"]["default"] == "off" and shown["roster_sync"]["rules"][0]["mode"] == (
        "shadow"
    )
    code, out, _ = run_bca(["rollout", "history", "--json"], capsys)
    changes = [json.loads(line) for line in out.splitlines()]
    assert [(c["workflow"], c["actor"]) for c in changes] == [
        ("chatbot", f"cli:{getpass.getuser()}"), ("roster_sync", "registrar:7"),
    ]  # fmt: skip
    assert changes[0]["before"]["default"] == "auto" and changes[0]["after"]["default"] == "off"
    audit = AuditLog(make_engine(f"sqlite:///{rollout_file.parent}/app.db"))
    assert [e.tool for e in audit.tail(5)] == ["rollout.set", "rollout.set"]
    assert audit.verify().ok


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["roster_sink", "off"], "Invalid value for 'workflow'"),
        (["roster_sync", "sometimes"], "Invalid value for 'mode'"),
        (["roster_sync", "off", "--scope", "dept=MATH"], "unknown scope key 'dept'"),
        (["roster_sync", "off", "--scope", "departments"], "needs KEY=VALUE"),
    ],
)
def test_bad_input_is_refused_and_the_file_is_kept(
    rollout_file: Path, argv: list[str], says: str, capsys: pytest.CaptureFixture[str]
) -> None:
    before = rollout_file.read_text()
    line = one_error_line(*run_bca(["rollout", "set", *argv], capsys))
    assert says in line
    assert rollout_file.read_text() == before


def test_a_broken_file_is_named_with_its_line_and_not_overwritten(
    rollout_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    broken = "version: 1\nworkflows:\n  roster_sync: {default: sometimes}\n"
    rollout_file.write_text(broken)
    line = one_error_line(*run_bca(["rollout", "set", "chatbot", "off"], capsys))
    assert f"{rollout_file}:3:" in line and "unknown mode 'sometimes'" in line
    assert rollout_file.read_text() == broken
    assert f"{rollout_file}:3:" in one_error_line(*run_bca(["rollout", "show"], capsys))


def test_report_json_counts_by_action_kind(
    rollout_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    log = RolloutLog(make_engine(f"sqlite:///{rollout_file.parent}/app.db"))
    log.create()
    for kinds in ({"banner_place_hold": 1}, {"banner_place_hold": 1}, {"canvas_send_message": 2}):
        log.shadowed(ShadowRecord(
            workflow=Workflow.EARLY_ALERTS, tool=next(iter(kinds)), target=Target(term="202610"),
            keys={}, arguments={}, would_have=kinds,
        ))  # fmt: skip
    code, out, _ = run_bca(["rollout", "report", "early_alerts", "--json"], capsys)
    assert code == 0
    report = json.loads(out)
    assert report["shadowed_calls"] == 3
    assert report["would_have"] == {"banner_place_hold": 2, "canvas_send_message": 2}
    code, out, _ = run_bca(["rollout", "report", "grade_passback"], capsys)
    assert code == 0 and "0 shadowed calls" in out
