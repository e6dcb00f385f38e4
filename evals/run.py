"""One evaluation run: load every suite first, run each under each prompt version, compare, report.

Every suite file is loaded and checked before any model is called, so a typo in the tenth
suite never costs nine suites of model calls. Exit codes: 0 clean; 1 a regression beyond the
tolerance against a stored baseline, or a required scorer failed in some epoch.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from core.errors import ConfigurationError
from evals.baseline import (
    BASELINES_DIR,
    DiffEntry,
    baseline_path,
    diff,
    load_baseline,
    regressions,
    save_baseline,
)
from evals.engine import CASSETTES_DIR, model_session, run_suite
from evals.models import ModelTarget
from evals.people import People
from evals.reports import RunReport, write_reports
from evals.results import SuiteResult
from evals.scorers import SCORERS
from evals.suite import Suite, load_suite, suite_paths
from policies.pii import Redactor
from prompts import load_prompt

_PROMPT = re.compile(r"^(?P<name>[a-z][a-z0-9_]*)@v?(?P<version>\d+)$")


class RunOptions(BaseModel):
    """What ``bca eval run`` was asked."""

    model_config = ConfigDict(frozen=True)

    suites: list[str] = []
    epochs: int = 1
    prompts: list[str] = []
    baseline: Path | None = None
    update_baseline: bool = False
    tolerance: float = 0.0
    report: Path = Path("var/evals")
    record: bool = False
    require: list[str] = []
    max_samples: int = 4
    cassettes: Path = CASSETTES_DIR
    banner_id_pattern: str = r"[A@]\d{8}"


class RunOutcome(BaseModel):
    """The run's results, diffs, what failed it, and where the reports are."""

    report: RunReport
    files: dict[str, Path]
    regressions: list[DiffEntry]
    required_failures: list[str]

    @property
    def exit_code(self) -> int:
        """0 clean, 1 regressed or a required scorer failed."""
        return 1 if self.regressions or self.required_failures else 0


def prompt_versions(names: Sequence[str]) -> dict[str, list[str]]:
    """``--prompt`` values (``name@vN`` or ``name@N``) by prompt name, each one checked."""
    chosen: dict[str, list[str]] = {}
    for value in names:
        match = _PROMPT.match(value)
        if match is None:
            raise ConfigurationError(
                f"--prompt {value!r}: expected NAME@vN, e.g. outreach_draft@v1"
            )
        ref = f"{match['name']}@{int(match['version'])}"
        load_prompt(ref)  # a prompt that does not exist is an error now, not per case
        chosen.setdefault(match["name"], []).append(ref)
    return chosen


def _baseline_file(options: RunOptions, suite: str, count: int) -> Path:
    if options.baseline is not None and options.baseline.suffix == ".json":
        if count > 1:
            raise ConfigurationError("--baseline FILE.json compares one suite; give a folder")
        return options.baseline
    return baseline_path(suite, options.baseline or BASELINES_DIR)


def _required_failures(results: list[SuiteResult], required: Sequence[str]) -> list[str]:
    failures = []
    for result in results:
        for case in result.cases:
            for epoch in case.epochs:
                failures += [
                    f"{result.key} {case.case_id} epoch {epoch.epoch}: {name}:"
                    f" {epoch.details.get(name, '')}"
                    for name in required
                    if epoch.scores.get(name) is False
                ]
    return failures


def load_all(options: RunOptions) -> list[tuple[Suite, People]]:
    """Every suite asked for, checked whole, before any model call."""
    unknown = sorted(set(options.require) - SCORERS.keys())
    if unknown:
        raise ConfigurationError(f"--require {unknown[0]}: scorers are {', '.join(SCORERS)}")
    loaded = [load_suite(path) for path in suite_paths(options.suites)]
    if not loaded:
        raise ConfigurationError("no suite to run")
    return loaded


def run_evals(
    options: RunOptions, target: ModelTarget, prices: dict[str, tuple[float, float]]
) -> RunOutcome:
    """Run, compare against baselines, write the reports (and the baselines when asked)."""
    loaded = load_all(options)
    versions = prompt_versions(options.prompts)
    names = [f"{p.first_name} {p.last_name}" for _, people in loaded for p in people.people]
    redactor = Redactor(sorted(set(names)), banner_id_pattern=options.banner_id_pattern)
    results: list[SuiteResult] = []
    diffs: dict[str, list[DiffEntry]] = {}
    found: list[DiffEntry] = []
    for suite, people in loaded:
        refs = versions.get(suite.prompt_name, [suite.prompt])
        path = _baseline_file(options, suite.name, len(loaded))
        baseline = load_baseline(path)
        with model_session(
            target, suite, record=options.record, cassettes=options.cassettes
        ) as session:
            for ref in refs:
                result = run_suite(
                    suite, people, session, ref,
                    epochs=options.epochs, redactor=redactor, prices=prices,
                    log_dir=options.report / "logs", max_samples=options.max_samples,
                    forced=suite.prompt_name in versions,
                    banner_id_pattern=options.banner_id_pattern,
                )  # fmt: skip
                results.append(result)
                if baseline is not None:
                    diffs[result.key] = diff(baseline, result, options.tolerance)
                    found += regressions(diffs[result.key])
        if options.update_baseline:
            save_baseline(next(r for r in results if r.suite == suite.name), path)
    report = RunReport(
        model=target.label, results=results, diffs=diffs, tolerance=options.tolerance
    )
    files = write_reports(report, options.report)
    return RunOutcome(
        report=report,
        files=files,
        regressions=found,
        required_failures=_required_failures(results, options.require),
    )
