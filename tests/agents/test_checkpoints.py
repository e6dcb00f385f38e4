import json
import subprocess
import sys
from pathlib import Path

import pytest

from agents.checkpoints import APPROVAL_DURABILITY, open_checkpointer
from tests.agents.approval_graph import build

ROOT = Path(__file__).resolve().parents[2]

RESUME = """
import json, sys
from langgraph.types import Command
from agents.checkpoints import open_checkpointer
from tests.agents.approval_graph import build
with open_checkpointer(sys.argv[1]) as saver:
    graph = build(saver)
    config = {"configurable": {"thread_id": sys.argv[2]}}
    pending = [i.value for t in graph.get_state(config).tasks for i in t.interrupts]
    out = graph.invoke(Command(resume=json.loads(sys.argv[3])), config)
    print(json.dumps({"pending": pending, "sent": out["sent"]}))
"""


def pause(url: str, thread: str) -> None:
    with open_checkpointer(url) as saver:
        graph = build(saver)
        config = {"configurable": {"thread_id": thread}}
        out = graph.invoke({"draft": "Hello <PERSON_1>"}, config, durability=APPROVAL_DURABILITY)
        assert out["__interrupt__"][0].value["action"] == "send_outreach"


def resume_elsewhere(url: str, thread: str, decision: dict) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", RESUME, url, thread, json.dumps(decision)],
        cwd=ROOT, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("decision", "sent"),
    [
        ({"type": "approve"}, "Hello <PERSON_1>"),
        ({"type": "edit", "args": {"body": "Hi <PERSON_1>!"}}, "Hi <PERSON_1>!"),
        ({"type": "reject"}, ""),
    ],
)
def test_resume_in_a_new_process_sqlite(tmp_path, decision, sent):
    url = str(tmp_path / "checkpoints.db")
    pause(url, "t1")
    result = resume_elsewhere(url, "t1", decision)
    assert result["pending"] == [{"action": "send_outreach", "args": {"body": "Hello <PERSON_1>"}}]
    assert result["sent"] == sent


def test_resume_in_a_new_process_postgres(pg_url):
    pause(pg_url, "t-pg")
    result = resume_elsewhere(pg_url, "t-pg", {"type": "approve"})
    assert result["sent"] == "Hello <PERSON_1>"
