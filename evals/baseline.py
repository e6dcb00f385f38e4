"""Baselines: a suite's pass rates stored per case and scorer, and the diff of a run against them.

``evals/baselines/<suite>.json`` holds, per case, the share of epochs passed and each scorer's
pass rate. A diff entry is ``regressed`` when a rate fell by more than the tolerance,
``improved`` when it rose by more, ``new`` / ``removed`` when the case (or scorer) appears on
one side only. A run with any regression beyond the tolerance fails.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel

from core.errors import ConfigurationError
from evals.results import SuiteResult

BASELINES_DIR = Path(__file__).parent / "baselines"
Change = Literal["regressed", "improved", "new", "removed"]


class CaseBaseline(BaseModel):
    """One case's rates."""

    pass_rate: float
    scorers: dict[str, float]


class Baseline(BaseModel):
    """A suite's stored rates."""

    suite: str
    prompt_ref: str
    model: str
    epochs: int
    cases: dict[str, CaseBaseline]

    @classmethod
    def of(cls, result: SuiteResult) -> Baseline:
        """The baseline a run would store."""
        return cls(
            suite=result.suite,
            prompt_ref=result.prompt_ref,
            model=result.model,
            epochs=result.epochs,
            cases={
                c.case_id: CaseBaseline(
                    pass_rate=round(c.pass_rate, 4),
                    scorers={k: round(v, 4) for k, v in c.scorer_rates().items()},
                )
                for c in result.cases
            },
        )


class DiffEntry(BaseModel):
    """One change against the baseline."""

    case_id: str
    scorer: str
    """A scorer's name, or ``case`` for the case's own pass rate."""
    change: Change
    before: float | None
    after: float | None


def baseline_path(suite: str, folder: Path | None = None) -> Path:
    """Where a suite's baseline lives (``folder`` default: ``evals/baselines``)."""
    return (folder or BASELINES_DIR) / f"{suite}.json"


def load_baseline(path: Path) -> Baseline | None:
    """The stored baseline, or None when there is none yet."""
    if not path.is_file():
        return None
    try:
        return Baseline.model_validate_json(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigurationError(f"{path}: not a baseline: {exc}") from None


def save_baseline(result: SuiteResult, path: Path) -> None:
    """Store the run's rates as the suite's baseline."""
    path.parent.mkdir(parents=True, exist_ok=True)
    data = Baseline.of(result).model_dump(mode="json")
    path.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def _compare(
    case_id: str, scorer: str, before: float | None, after: float | None, tolerance: float
) -> DiffEntry | None:
    if before is None and after is None:
        return None
    if before is None:
        return DiffEntry(case_id=case_id, scorer=scorer, change="new", before=None, after=after)
    if after is None:
        return DiffEntry(
            case_id=case_id, scorer=scorer, change="removed", before=before, after=None
        )
    if after < before - tolerance:
        change: Change = "regressed"
    elif after > before + tolerance:
        change = "improved"
    else:
        return None
    return DiffEntry(case_id=case_id, scorer=scorer, change=change, before=before, after=after)


def diff(baseline: Baseline, result: SuiteResult, tolerance: float = 0.0) -> list[DiffEntry]:
    """Changes per case and per scorer, regressions first."""
    now = Baseline.of(result).cases
    entries: list[DiffEntry] = []
    for case_id in sorted(baseline.cases.keys() | now.keys()):
        before, after = baseline.cases.get(case_id), now.get(case_id)
        if before is None or after is None:
            entry = _compare(
                case_id,
                "case",
                before.pass_rate if before else None,
                after.pass_rate if after else None,
                tolerance,
            )
            entries += [entry] if entry else []
            continue
        found = _compare(case_id, "case", before.pass_rate, after.pass_rate, tolerance)
        entries += [found] if found else []
        for scorer in sorted(before.scorers.keys() | after.scorers.keys()):
            entry = _compare(
                case_id, scorer, before.scorers.get(scorer), after.scorers.get(scorer), tolerance
            )
            entries += [entry] if entry else []
    order = {"regressed": 0, "removed": 1, "new": 2, "improved": 3}
    return sorted(entries, key=lambda e: (order[e.change], e.case_id, e.scorer))


def regressions(entries: list[DiffEntry]) -> list[DiffEntry]:
    """The entries that fail a run."""
    return [e for e in entries if e.change == "regressed"]
