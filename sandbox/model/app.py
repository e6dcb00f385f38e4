"""The model simulator: an OpenAI-compatible HTTP server for tests, evaluations and demos.

``/v1/chat/completions`` (tools and tool calls, streaming by server-sent events) and
``/v1/models`` answer in one of three modes: ``script`` (ordered rules, see
:mod:`sandbox.model.script`), ``replay`` (cassettes; a miss is a 404 naming the request, so the
client fails at once and never passes silently) and ``record`` (forward to a real endpoint and
keep a cassette). ``/sim/*`` lets a test swap the script, read the captured requests (what a
real client really sent, e.g. to check that no personal data reached the model) and the
concurrency seen.
"""

from __future__ import annotations

import asyncio
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, ValidationError

from sandbox.model.cassettes import CassetteMiss, CassetteStore
from sandbox.model.protocol import ChatRequest, bounded, completion_body, stream_events
from sandbox.model.script import Script, ScriptPlayer

Mode = Literal["script", "replay", "record"]
MAX_CAPTURED = 2000
HANG_SECONDS = 3600.0


class SimConfig(BaseModel):
    """How the simulator answers."""

    mode: Mode = "script"
    model_name: str = "bca-sim"
    cassettes: Path | None = None
    upstream: str = ""
    upstream_key: str = ""
    upstream_timeout: float = 120.0


@dataclass
class SimState:
    """What the running simulator holds; shared by its request handlers."""

    config: SimConfig
    player: ScriptPlayer
    captured: list[dict[str, Any]] = field(default_factory=list)
    in_flight: int = 0
    max_in_flight: int = 0
    answered: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def enter(self, body: dict[str, Any]) -> None:
        """Count a request in and keep it (bounded) for the tests to inspect."""
        with self.lock:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            self.captured.append(body)
            del self.captured[:-MAX_CAPTURED]

    def leave(self) -> None:
        """Count a request out."""
        with self.lock:
            self.in_flight -= 1
            self.answered += 1

    def stats(self) -> dict[str, int]:
        """Requests seen and the most answered at once."""
        with self.lock:
            return {
                "requests": len(self.captured),
                "answered": self.answered,
                "in_flight": self.in_flight,
                "max_in_flight": self.max_in_flight,
            }


def _error(status: int, message: str, kind: str) -> JSONResponse:
    return JSONResponse({"error": {"message": message, "type": kind, "code": status}}, status)


def _answer(request: ChatRequest, body: dict[str, Any]) -> Any:
    if request.stream:
        return StreamingResponse(stream_events(body), media_type="text/event-stream")
    return body


async def _scripted(state: SimState, request: ChatRequest) -> Any:
    rule = state.player.pick(request)
    if rule is None:
        return _error(404, "no scripted rule matches this request", "script_miss")
    if rule.hang:
        await asyncio.sleep(HANG_SECONDS)
    if rule.delay_s:
        await asyncio.sleep(rule.delay_s)
    if rule.status >= 400:
        return _error(rule.status, rule.error, "simulated_error")
    completion = bounded(rule.completion(request), request)
    return _answer(request, completion_body(request, completion))


def create_app(config: SimConfig, script: Script | None = None) -> FastAPI:
    """The simulator app; ``app.state.sim`` is its :class:`SimState`."""
    app = FastAPI(title="bca model simulator", docs_url=None, redoc_url=None)
    state = SimState(config=config, player=ScriptPlayer(script or Script()))
    app.state.sim = state
    store = CassetteStore(config.cassettes) if config.cassettes else None

    @app.get("/v1/models")
    def models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": config.model_name, "object": "model"}]}

    @app.post("/v1/chat/completions", response_model=None)
    async def chat(raw: Request) -> Any:
        try:
            body = await raw.json()
            request = ChatRequest.model_validate(body)
        except (ValueError, ValidationError) as exc:
            return _error(400, f"malformed chat request: {exc}", "invalid_request_error")
        state.enter(body)
        try:
            if config.mode == "script":
                return await _scripted(state, request)
            if store is None:
                return _error(500, f"{config.mode} mode needs a cassettes folder", "config")
            if config.mode == "replay":
                return _answer(request, store.replay(request))
            recorded = await asyncio.to_thread(
                store.record, request, config.upstream, config.upstream_key, config.upstream_timeout
            )
            return _answer(request, recorded)
        except CassetteMiss as miss:
            return _error(404, str(miss), "cassette_miss")
        except httpx.HTTPError as exc:
            return _error(502, f"upstream {config.upstream} failed: {exc}", "upstream")
        finally:
            state.leave()

    @app.put("/sim/script")
    def put_script(script: Script) -> dict[str, int]:
        state.player = ScriptPlayer(script)
        return {"rules": len(script.rules)}

    @app.get("/sim/requests")
    def requests() -> list[dict[str, Any]]:
        with state.lock:
            return list(state.captured)

    @app.get("/sim/stats")
    def stats() -> dict[str, int]:
        return state.stats()

    @app.post("/sim/reset")
    def reset() -> dict[str, int]:
        with state.lock:
            state.captured.clear()
            state.max_in_flight = state.in_flight
            state.answered = 0
        return state.stats()

    return app
