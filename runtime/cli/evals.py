"""`bca eval run`: prompt regression suites against a scripted, replayed, remote or local model.

``--model`` picks where the drafts come from: ``scripted`` (the suites' rules, in process),
``replay`` (the model simulator on the recorded cassettes, through the real ``ChatOpenAI``),
``openai:NAME`` (any OpenAI-compatible endpoint: ``BCA_OPENAI_BASE_URL``, ``OPENAI_API_KEY``)
or ``local`` (the SmolLM2 server of ``bca model-serve``, started here when nothing answers at
``--local-url``). An endpoint that does not answer is an error with exit code 3 after at most
``--connect-timeout`` seconds, before any case runs.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from urllib.parse import urlparse

import httpx
import typer

from core.errors import ConfigurationError, ServiceUnavailable
from core.settings import Settings
from runtime.cli.models import LOCAL_MODEL_ALIAS, local_model_command, wait_until_serving

if TYPE_CHECKING:
    from evals.models import ModelTarget

LOCAL_URL = "http://127.0.0.1:8901/v1"


class EndpointUnreachable(ServiceUnavailable):
    """The model endpoint did not answer, so no case ran.

    Exit code 3, not the usual 1: 1 already means "a suite regressed", and CI must tell a
    regression from a run that never started.
    """

    exit_code = 3


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
    evals = typer.Typer(help="Prompt regression suites (evals/suites).", no_args_is_help=True)
    evals.command("run")(run)
    root.add_typer(evals, name="eval")


def _answers(base_url: str, timeout: float) -> str | None:
    """None when ``base_url``/models answers, else why not."""
    try:
        response = httpx.get(f"{base_url.rstrip('/')}/models", timeout=timeout)
    except httpx.HTTPError as exc:
        return f"{type(exc).__name__}: {exc}"
    return None if response.status_code < 500 else f"HTTP {response.status_code}"


@contextmanager
def model_target(
    spec: str, settings: Settings, *, temperature: float, timeout: float, local_url: str,
    connect_timeout: float,
) -> Iterator[ModelTarget]:  # fmt: skip
    """The target ``--model`` names; ``local`` starts the SmolLM2 server for the run if needed."""
    from evals.models import ModelTarget  # the evals import in seconds: only for `bca eval`

    key = settings.openai_api_key
    if spec in ("scripted", "replay"):
        yield ModelTarget(kind=spec, name=spec, temperature=temperature, timeout_seconds=timeout)
        return
    if spec.startswith("openai:") and spec != "openai:":
        base = settings.openai_base_url
        problem = _answers(base or "https://api.openai.com/v1", connect_timeout)
        if problem is not None:
            raise EndpointUnreachable(
                f"model endpoint {base or 'api.openai.com'} unreachable: {problem}"
            )
        yield ModelTarget(
            kind="openai", name=spec.partition(":")[2], base_url=base, api_key=key,
            temperature=temperature, timeout_seconds=timeout,
            token_field=settings.resolved_token_field(),
        )  # fmt: skip
        return
    if spec != "local":
        raise ConfigurationError(
            f"--model {spec!r}: expected scripted, replay, openai:NAME or local"
        )
    process = None
    if _answers(local_url, connect_timeout) is not None:
        url = urlparse(local_url)
        command = local_model_command(url.hostname or "127.0.0.1", url.port or 8901, 2048, 2)
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_until_serving(local_url, process, timeout=120)
    try:
        yield ModelTarget(
            kind="local", name=LOCAL_MODEL_ALIAS, base_url=local_url,
            temperature=temperature, timeout_seconds=timeout,
        )  # fmt: skip
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=15)


def run(
    suites: Annotated[
        list[str] | None, typer.Argument(help="Suite names or files; default all.")
    ] = None,
    model: Annotated[str, typer.Option(help="scripted | replay | openai:NAME | local")] = "replay",
    epochs: Annotated[int, typer.Option(min=1, help="Runs of each case (pass@k, pass^k).")] = 1,
    prompt: Annotated[
        list[str] | None,
        typer.Option(help="NAME@vN under test (repeat for two versions side by side)."),
    ] = None,
    baseline: Annotated[
        Path | None, typer.Option(help="Baseline folder or file (default evals/baselines).")
    ] = None,
    update_baseline: Annotated[bool, typer.Option(help="Store this run as the baseline.")] = False,
    tolerance: Annotated[
        float, typer.Option(min=0, max=1, help="Pass-rate drop allowed before a regression.")
    ] = 0.0,
    report: Annotated[Path, typer.Option(help="Folder for the reports.")] = Path("var/evals"),
    record: Annotated[
        bool, typer.Option(help="Record cassettes (evals/cassettes) from the chosen model.")
    ] = False,
    require: Annotated[
        list[str] | None, typer.Option(help="Scorer that must pass in every epoch (repeatable).")
    ] = None,
    temperature: Annotated[float, typer.Option(min=0, help="Sampling temperature.")] = 0.0,
    timeout: Annotated[float, typer.Option(help="Seconds one model call may take.")] = 30.0,
    connect_timeout: Annotated[float, typer.Option(help="Seconds to reach the endpoint.")] = 5.0,
    local_url: Annotated[str, typer.Option(help="Base URL of the local model.")] = LOCAL_URL,
    concurrency: Annotated[int, typer.Option(min=1, help="Cases at once (local: 1).")] = 4,
) -> None:
    """Run prompt suites, compare them with their baselines, write JUnit, Markdown and HTML."""
    from evals.run import RunOptions, run_evals

    settings = Settings()
    if record and model == "replay":
        raise ConfigurationError(
            "--record records from a model: use --model scripted|openai:..|local"
        )
    options = RunOptions(
        suites=suites or [], epochs=epochs, prompts=prompt or [], baseline=baseline,
        update_baseline=update_baseline, tolerance=tolerance, report=report, record=record,
        require=require or [], max_samples=1 if model == "local" else concurrency,
        banner_id_pattern=settings.banner_id_pattern,
    )  # fmt: skip
    with model_target(
        model, settings, temperature=temperature, timeout=timeout, local_url=local_url,
        connect_timeout=connect_timeout,
    ) as target:  # fmt: skip
        outcome = run_evals(options, target, settings.model_prices)
    typer.echo(outcome.files["markdown"].read_text(encoding="utf-8"))
    typer.echo(f"reports: {', '.join(str(p) for p in outcome.files.values())}", err=True)
    for entry in outcome.regressions:
        typer.echo(
            f"REGRESSED {entry.case_id} {entry.scorer}: {entry.before} -> {entry.after}", err=True
        )
    for failure in outcome.required_failures:
        typer.echo(f"REQUIRED SCORER FAILED {failure}", err=True)
    raise typer.Exit(outcome.exit_code)
