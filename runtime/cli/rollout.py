"""`bca rollout`: show and change each workflow's rollout mode, its history, its shadow report.

``set`` validates the whole file before writing it (atomically) and records who changed what,
before and after, in the app database and the audit trail; running workers pick it up on
their next tool call.
"""

from __future__ import annotations

import getpass
import json
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table

from policies.rollout import Mode, Workflow, WorkflowRollout

ScopeOption = Annotated[
    list[str] | None,
    typer.Option(
        "--scope",
        help="KEY=VALUE[,VALUE] (repeatable): subjects, departments, colleges, campuses,"
        " courses (CRN or 'SUBJ NUM'), terms. Without it the workflow's default changes.",
    ),
]


def _rules(entry: WorkflowRollout) -> str:
    return "; ".join(
        f"{rule.mode.value} for "
        + " and ".join(f"{k.value}={','.join(v)}" for k, v in rule.scope.items())
        for rule in entry.rules
    )


def show(
    as_json: Annotated[bool, typer.Option("--json", help="JSON instead of a table.")] = False,
) -> None:
    """Each workflow's default mode and its scoped rules, in the order they are evaluated."""
    from core.settings import Settings
    from policies.rollout import describe
    from runtime.rollout import current, rollout_path

    settings = Settings()
    config = current(settings)
    if as_json:
        typer.echo(json.dumps(describe(config), indent=2))
        return
    path = str(rollout_path(settings))
    table = Table("workflow", "default", "rules (first match wins)", title=path)
    for workflow in Workflow:
        entry = config.of(workflow)
        table.add_row(workflow.value, entry.default.value, _rules(entry))
    Console().print(table)


def set_(
    workflow: Annotated[Workflow, typer.Argument(help="The workflow to change.")],
    mode: Annotated[Mode, typer.Argument(help="off | shadow | approve | auto")],
    scope: ScopeOption = None,
    by: Annotated[
        str | None, typer.Option(help="Who makes the change (default: cli:$USER).")
    ] = None,
) -> None:
    """Set a workflow's mode: its default, or with --scope a rule evaluated before the others."""
    from core.db import make_engine
    from core.settings import Settings
    from policies.rollout import parse_scope
    from runtime.rollout import set_mode

    settings = Settings()
    rule_scope = parse_scope(scope or [])
    change = set_mode(
        settings,
        make_engine(settings.database_url),
        workflow,
        mode,
        rule_scope or None,
        actor=by or f"cli:{getpass.getuser()}",
        role="registrar",
    )
    typer.echo(
        f"{workflow.value}: default {change.before.default.value} -> {change.after.default.value};"
        f" rules: {_rules(change.after) or 'none'}"
    )


def history(
    workflow: Annotated[Workflow | None, typer.Argument(help="Only this workflow.")] = None,
    limit: Annotated[int, typer.Option("-n", "--limit", min=1, help="How many changes.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Who changed which workflow's rollout, when, from what to what (newest first)."""
    from core.db import make_engine
    from core.settings import Settings
    from policies.rollout_log import RolloutLog

    log = RolloutLog(make_engine(Settings().database_url))
    log.create()
    changes = log.history(workflow, limit)
    if as_json:
        for change in changes:
            typer.echo(json.dumps(change.model_dump(mode="json"), sort_keys=True))
        return
    table = Table("time", "actor", "workflow", "before", "after")
    for c in changes:
        before = f"{c.before.default.value}; {_rules(c.before)}".rstrip("; ")
        after = f"{c.after.default.value}; {_rules(c.after)}".rstrip("; ")
        table.add_row(c.time, c.actor, c.workflow.value, before, after)
    Console().print(table)


def report(
    workflow: Annotated[Workflow, typer.Argument(help="A workflow that ran in shadow.")],
    as_json: Annotated[bool, typer.Option("--json", help="The report as JSON.")] = False,
) -> None:
    """What the workflow would have done in shadow; roster sync: per section vs Canvas."""
    from core.db import make_engine
    from core.settings import Settings
    from policies.rollout_log import RolloutLog
    from runtime.rollout import shadow_report
    from tools.canvas.client import CanvasClient

    settings = Settings()
    log = RolloutLog(make_engine(settings.database_url))
    log.create()
    canvas = CanvasClient.from_settings(settings) if workflow is Workflow.ROSTER_SYNC else None
    found = shadow_report(workflow, log, make_engine(settings.banner_url), canvas)
    if as_json:
        typer.echo(json.dumps(found.model_dump(mode="json"), indent=2))
        return
    kinds = ", ".join(f"{k} {n}" for k, n in found.would_have.items()) or "nothing"
    typer.echo(f"{workflow.value}: {found.shadowed_calls} shadowed calls; would have: {kinds}")
    if found.sections:
        table = Table("term", "CRN", "dept", "would enroll", "enrolled in Canvas", "agreement %")
        for s in found.sections:
            table.add_row(
                s.term, s.crn, s.department or "", str(s.would_have_enrolled),
                str(s.enrolled_in_canvas), f"{s.agreement_pct:.1f}",
            )  # fmt: skip
        Console().print(table)


def register(root: typer.Typer) -> None:
    """Attach ``bca rollout`` to the root command."""
    group = typer.Typer(
        name="rollout", help="Rollout modes per workflow and shadow reports.", no_args_is_help=True
    )
    group.command("show")(show)
    group.command("set")(set_)
    group.command("history")(history)
    group.command("report")(report)
    root.add_typer(group)
