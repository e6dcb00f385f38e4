"""Run the model simulator inside a test or benchmark, with handles to steer and inspect it.

Example::

    with running_model_sim(Script(rules=[Rule(reply="Hi {placeholders}")])) as sim:
        model = ChatOpenAI(model="sim", base_url=sim.base_url, api_key="x")
        sim.set_script(Script(rules=[Rule(hang=True)]))
        sim.requests()  # what the client really sent
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from sandbox.model.app import SimConfig, create_app
from sandbox.model.script import Rule, Script
from sandbox.serving import serving


@dataclass(frozen=True)
class ModelSimHandle:
    """A running simulator: its OpenAI base URL (``.../v1``) and its controls."""

    url: str

    @property
    def base_url(self) -> str:
        """What ``BCA_OPENAI_BASE_URL`` / ``ChatOpenAI(base_url=...)`` takes."""
        return f"{self.url}/v1"

    def set_script(self, script: Script | list[Rule]) -> None:
        """Replace the rules (a list of rules is a script)."""
        if isinstance(script, list):
            script = Script(rules=script)
        httpx.put(f"{self.url}/sim/script", json=script.model_dump()).raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        """The chat requests received so far, as the client sent them."""
        response = httpx.get(f"{self.url}/sim/requests")
        response.raise_for_status()
        found: list[dict[str, Any]] = response.json()
        return found

    def stats(self) -> dict[str, int]:
        """Requests seen, answered, in flight, and the most in flight at once."""
        response = httpx.get(f"{self.url}/sim/stats")
        response.raise_for_status()
        figures: dict[str, int] = response.json()
        return figures

    def reset(self) -> None:
        """Forget captured requests and counters (the script stays)."""
        httpx.post(f"{self.url}/sim/reset").raise_for_status()


@contextmanager
def running_model_sim(
    script: Script | list[Rule] | None = None, **config: Any
) -> Iterator[ModelSimHandle]:
    """Serve the simulator on a free loopback port for the block; ``config`` is a SimConfig's."""
    if isinstance(script, list):
        script = Script(rules=script)
    app = create_app(SimConfig(**config), script)
    with serving(app, "model-sim", graceful_seconds=1) as url:
        yield ModelSimHandle(url)
