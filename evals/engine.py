"""The engine: suites run as inspect_ai tasks, one per suite and prompt version.

inspect_ai provides the dataset, the epochs (each case run k times), the scorers' bookkeeping
and the JSON log (``inspect view --log-dir <report>/logs`` opens it); the project provides the
solver that drives its own drafter and policy (:mod:`evals.solvers`) and the domain scorers
(:mod:`evals.scorers`). No inspect model is used: the solver calls the project's own client, so
the inspect model is its offline ``mockllm``. The suite names its solver: the drafter's, or the
support chatbot's whole graph over the sandbox.

Replay runs start the model simulator on the suite's cassettes (``evals/cassettes/<suite>/``)
and point the real ``ChatOpenAI`` at it; ``record`` puts the simulator in record mode in front
of the chosen model (the scripted rules served over HTTP, an OpenAI-compatible endpoint, the
local model) and keeps every answer as a cassette.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from inspect_ai import Epochs, Task
from inspect_ai import eval as inspect_eval
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.log import EvalLog

from core.errors import BcaError, ConfigurationError
from evals.models import ModelTarget
from evals.people import People
from evals.results import CaseResult, EpochResult, SuiteResult
from evals.scorers import SCORERS, inspect_scorers
from evals.solvers import SOLVERS, CaseRun, SuiteContext
from evals.suite import Suite
from policies.pii import Redactor
from policies.pii.patterns import DEFAULT_BANNER_ID_PATTERN
from sandbox.model.script import Script
from sandbox.model.testing import running_model_sim

CASSETTES_DIR = Path(__file__).parent / "cassettes"
_META = "meta.json"


class EvalRunFailed(BcaError):
    """inspect could not run a task (a bug in a solver or scorer, not a failed case)."""


def cassette_dir(suite: Suite, root: Path = CASSETTES_DIR) -> Path:
    """Where a suite's cassettes live."""
    return root / suite.name


@contextmanager
def model_session(
    target: ModelTarget, suite: Suite, *, record: bool, cassettes: Path = CASSETTES_DIR
) -> Iterator[ModelTarget]:
    """The target the suite's cases call: replay and record wrap it in the simulator."""
    folder = cassette_dir(suite, cassettes)
    with ExitStack() as stack:
        if target.kind == "replay":
            meta = folder / _META
            if not meta.is_file():
                raise ConfigurationError(
                    f"no cassettes for suite {suite.name} in {folder}: record them with"
                    f" bca eval run {suite.name} --model scripted --record"
                )
            recorded = json.loads(meta.read_text(encoding="utf-8"))
            sim = stack.enter_context(running_model_sim(mode="replay", cassettes=folder))
            yield target.model_copy(
                update={"name": recorded["model"], "base_url": sim.base_url,
                        "token_field": recorded["token_field"]}
            )  # fmt: skip
            return
        if not record:
            yield target
            return
        upstream, key = target.base_url, target.api_key.get_secret_value()
        if target.kind == "scripted":
            upstream = stack.enter_context(running_model_sim(Script(rules=suite.script))).base_url
        if folder.exists():
            shutil.rmtree(folder)  # a recording replaces the old one whole: no stale answers
        folder.mkdir(parents=True)
        sim = stack.enter_context(
            running_model_sim(mode="record", cassettes=folder, upstream=upstream, upstream_key=key)
        )
        (folder / _META).write_text(
            json.dumps({"model": target.name, "token_field": target.token_field}, indent=1) + "\n",
            encoding="utf-8",
        )
        yield target.model_copy(update={"kind": "openai", "base_url": sim.base_url})


def _collect(
    log: EvalLog, suite: Suite, prompt_ref: str, model: str, seconds: float
) -> SuiteResult:
    if log.status != "success" or log.samples is None:
        raise EvalRunFailed(f"inspect could not run {suite.name}: {log.error}")
    by_case: dict[str, list[EpochResult]] = {}
    for sample in log.samples:
        if "run" not in sample.store:
            why = sample.error.message if sample.error else "no run recorded"
            raise EvalRunFailed(f"{suite.name}: case {sample.id} could not run: {why}")
        scores = sample.scores or {}
        scored = {n: s for n, s in scores.items() if n in SCORERS}
        by_case.setdefault(str(sample.id), []).append(
            EpochResult(
                epoch=sample.epoch,
                scores={
                    n: (s.value == 1.0) if (s.metadata or {}).get("scored") else None
                    for n, s in scored.items()
                },
                details={n: s.explanation or "" for n, s in scored.items()},
                run=CaseRun.model_validate(sample.store["run"]),
            )
        )
    cases = [
        CaseResult(
            case_id=c.id,
            description=c.description,
            epochs=sorted(by_case[c.id], key=lambda e: e.epoch),
        )
        for c in suite.cases
    ]
    return SuiteResult(
        suite=suite.name,
        prompt_ref=prompt_ref,
        model=model,
        epochs=len(cases[0].epochs) if cases else 0,
        cases=cases,
        seconds=seconds,
        log_file=log.location,
    )


def run_suite(
    suite: Suite,
    people: People,
    target: ModelTarget,
    prompt_ref: str,
    *,
    epochs: int,
    redactor: Redactor,
    prices: dict[str, tuple[float, float]],
    log_dir: Path,
    max_samples: int = 4,
    forced: bool = False,
    banner_id_pattern: str = DEFAULT_BANNER_ID_PATTERN,
) -> SuiteResult:
    """Every case of ``suite`` under ``prompt_ref``, ``epochs`` times, through inspect."""
    ctx = SuiteContext(
        suite, people, target, prompt_ref, redactor, prices, forced, banner_id_pattern
    )
    task = Task(
        name=f"{suite.name}@{prompt_ref.partition('@')[2] or 'latest'}",
        dataset=MemoryDataset(
            [Sample(id=c.id, input=c.description or c.id) for c in suite.cases], name=suite.name
        ),
        solver=SOLVERS[suite.solver](ctx),
        scorer=inspect_scorers(ctx),
        epochs=Epochs(epochs, ["mean", f"pass_at_{epochs}"]),
        metadata={"prompt": prompt_ref, "model": target.label},
    )
    started = time.perf_counter()
    (log,) = inspect_eval(
        task,
        model="mockllm/model",
        log_dir=str(log_dir),
        log_format="json",
        display="none",
        max_samples=max_samples,
        fail_on_error=False,
        score_display=False,
    )
    return _collect(log, suite, prompt_ref, target.label, time.perf_counter() - started)
