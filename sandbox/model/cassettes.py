"""Recorded model answers, keyed by a hash of the request that produced them.

Replay is deterministic: the same request (messages, tools, sampling and limits) always gets
the recorded answer, and a request never recorded is a loud miss naming its key and its last
user message. Record mode forwards to a real OpenAI-compatible endpoint and stores what came
back. Transport details (streaming or not) are left out of the key: a stream is the same
answer cut into chunks.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import httpx

from sandbox.model.protocol import ChatRequest

_TRANSPORT = frozenset({"stream", "stream_options"})


def request_key(request: ChatRequest) -> str:
    """The cassette key of a request: SHA-256 of its canonical JSON, transport fields left out."""
    body = {k: v for k, v in request.model_dump(exclude_none=True).items() if k not in _TRANSPORT}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()[:24]


class CassetteMiss(LookupError):
    """A replayed request that was never recorded."""

    def __init__(self, key: str, request: ChatRequest) -> None:
        self.key = key
        excerpt = request.last_user()[:120].replace("\n", " ")
        super().__init__(f"no cassette for request {key} (last user message: {excerpt!r})")


class CassetteStore:
    """A folder of ``<key>.json`` files, each the request and the completion body answered."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def path(self, key: str) -> Path:
        """Where the cassette of ``key`` lives."""
        return self.folder / f"{key}.json"

    def replay(self, request: ChatRequest) -> dict[str, Any]:
        """The recorded completion body; raises :class:`CassetteMiss` when there is none."""
        key = request_key(request)
        try:
            recorded: dict[str, Any] = json.loads(self.path(key).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise CassetteMiss(key, request) from None
        body: dict[str, Any] = recorded["response"]
        return body

    def record(
        self, request: ChatRequest, upstream: str, api_key: str, timeout: float
    ) -> dict[str, Any]:
        """Forward ``request`` (not streamed) to ``upstream``, store and return the answer."""
        payload = request.model_dump(exclude_none=True)
        payload["stream"] = False
        payload.pop("stream_options", None)
        response = httpx.post(
            f"{upstream.rstrip('/')}/chat/completions",
            json=payload,
            headers={"Authorization": f"Bearer {api_key}"} if api_key else {},
            timeout=timeout,
        )
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        self.folder.mkdir(parents=True, exist_ok=True)
        key = request_key(request)
        cassette = {"key": key, "request": payload, "response": body}
        self.path(key).write_text(
            json.dumps(cassette, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8"
        )
        return body
