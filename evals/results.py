"""A run's results: per case over its epochs (pass@k, pass^k, flaky) and the run's figures.

pass@k: the case passed in at least one of its k epochs; pass^k (τ-bench): it passed in all k;
flaky: some but not all. A case passes an epoch when every scorer it asks for passes. Figures
per suite run: cases, pass rate per scorer (over the epochs it was scored in), pass@k and
pass^k over cases, tokens in/out, latency p50/p95 and the estimated cost.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from evals.solvers import CaseRun


class EpochResult(BaseModel):
    """One epoch of one case: every scorer's verdict (None: not scored) and the run."""

    epoch: int
    scores: dict[str, bool | None]
    details: dict[str, str]
    run: CaseRun

    @property
    def passed(self) -> bool:
        """Every scored expectation held."""
        return all(v is not False for v in self.scores.values())


class CaseResult(BaseModel):
    """One case over its epochs."""

    case_id: str
    description: str = ""
    epochs: list[EpochResult]

    @property
    def passes(self) -> int:
        """Epochs passed."""
        return sum(e.passed for e in self.epochs)

    @property
    def pass_at_k(self) -> bool:
        """Passed at least once."""
        return self.passes > 0

    @property
    def pass_hat_k(self) -> bool:
        """Passed every time (pass^k)."""
        return self.passes == len(self.epochs)

    @property
    def flaky(self) -> bool:
        """Passed sometimes."""
        return 0 < self.passes < len(self.epochs)

    @property
    def pass_rate(self) -> float:
        """Share of epochs passed."""
        return self.passes / len(self.epochs)

    def scorer_rates(self) -> dict[str, float]:
        """Per scorer: share of the epochs it was scored in that passed."""
        rates = {}
        for name in self.epochs[0].scores:
            scored = [e.scores[name] for e in self.epochs if e.scores[name] is not None]
            if scored:
                rates[name] = sum(bool(v) for v in scored) / len(scored)
        return rates

    def failures(self) -> list[str]:
        """``scorer: detail`` of every failed scorer, first epoch it failed in."""
        seen: dict[str, str] = {}
        for epoch in self.epochs:
            for name, ok in epoch.scores.items():
                if ok is False and name not in seen:
                    seen[name] = f"{name} (epoch {epoch.epoch}): {epoch.details.get(name, '')}"
        return list(seen.values())


def _quantile(values: Sequence[float], q: float) -> float | None:
    ordered = sorted(values)
    if not ordered:
        return None
    return round(ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))], 1)


class Figures(BaseModel):
    """The figures of one suite run."""

    cases: int
    epochs: int
    passed_all: int
    pass_at_k: float
    pass_hat_k: float
    flaky: int
    scorer_pass_rates: dict[str, float]
    tokens_in: int
    tokens_out: int
    latency_p50_ms: float | None
    latency_p95_ms: float | None
    cost_usd: float
    seconds: float


class SuiteResult(BaseModel):
    """One suite under one prompt version and one model."""

    suite: str
    prompt_ref: str
    model: str
    epochs: int
    cases: list[CaseResult]
    seconds: float
    log_file: str = ""

    @property
    def key(self) -> str:
        """``suite`` under ``prompt@N`` (two versions in one run are two results)."""
        return f"{self.suite}[{self.prompt_ref}]"

    def figures(self) -> Figures:
        """The run's figures."""
        runs = [e.run for c in self.cases for e in c.epochs]
        names = self.cases[0].epochs[0].scores if self.cases else {}
        rates = {}
        for name in names:
            scored = [
                e.scores[name] for c in self.cases for e in c.epochs if e.scores[name] is not None
            ]
            if scored:
                rates[name] = round(sum(bool(v) for v in scored) / len(scored), 4)
        n = len(self.cases) or 1
        latencies = [r.latency_ms for r in runs]
        return Figures(
            cases=len(self.cases),
            epochs=self.epochs,
            passed_all=sum(c.pass_hat_k for c in self.cases),
            pass_at_k=round(sum(c.pass_at_k for c in self.cases) / n, 4),
            pass_hat_k=round(sum(c.pass_hat_k for c in self.cases) / n, 4),
            flaky=sum(c.flaky for c in self.cases),
            scorer_pass_rates=rates,
            tokens_in=sum(r.tokens_in for r in runs),
            tokens_out=sum(r.tokens_out for r in runs),
            latency_p50_ms=_quantile(latencies, 0.5),
            latency_p95_ms=_quantile(latencies, 0.95),
            cost_usd=round(sum(r.cost_usd for r in runs), 6),
            seconds=round(self.seconds, 2),
        )
