"""Run in a new process: approve every pending grade of a thread from the SQLite checkpointer.

Usage: ``python resume_grades.py '<json>'`` with checkpoints, banner, audit, canvas_url,
canvas_token, thread, term, instructor; prints the outcome as JSON on its last line.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from agents.approvals import answer_all, decide, pending_approvals
from agents.checkpoints import open_checkpointer
from agents.specialists import grades
from agents.toolbox import load_default_policy
from core.db import make_engine
from policies.audit import AuditLog
from policies.guard import Guard
from policies.rbac import Role
from policies.scope import BannerDirectory
from tests.agents.specialists.harness import agent_context, deps_with, person
from tests.policies.agent_harness import redactor_for
from tools.canvas.client import CanvasClient


def main(args: dict[str, str]) -> None:
    banner = make_engine(f"sqlite:///{args['banner']}")
    guard = Guard(load_default_policy(), AuditLog(make_engine(f"sqlite:///{args['audit']}")))
    canvas = CanvasClient(args["canvas_url"], args["canvas_token"])
    ctx = agent_context(Role.GRADE, args["term"], banner, redactor_for(banner), canvas)
    directory = BannerDirectory(banner)
    me = person("person:instructor", Role.INSTRUCTOR, int(args["instructor"]))
    with open_checkpointer(args["checkpoints"]) as saver:
        app = grades.build(deps_with(guard, None), checkpointer=saver)
        pending = pending_approvals(saver, app, me, directory)
        done = decide(
            app, args["thread"], answer_all(pending, "approve", me), directory=directory,
            context=ctx,
        )  # fmt: skip
    canvas.close()
    print(json.dumps({"pending": len(pending), "outcome": done.get("outcome")}))


if __name__ == "__main__":
    main(json.loads(sys.argv[1]))
