"""The part of OpenAI's Chat Completions protocol the simulator speaks, as typed models.

Requests keep every field the client sends (``extra="allow"``) so cassettes key on the whole
request; the fields the simulator acts on are typed. Responses are built here in both shapes a
client may ask for: one ``chat.completion`` object, or ``chat.completion.chunk`` events for
server-sent-event streaming.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

_WORDS = re.compile(r"\S+\s*")


class ChatRequest(BaseModel):
    """A ``POST /v1/chat/completions`` body."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[dict[str, Any]] = Field(min_length=1)
    tools: list[dict[str, Any]] | None = None
    stream: bool = False
    max_tokens: int | None = Field(None, ge=1)
    max_completion_tokens: int | None = Field(None, ge=1)
    stop: str | list[str] | None = None
    temperature: float | None = None

    @property
    def token_limit(self) -> int | None:
        """The completion bound, whichever of the two names the client used."""
        return self.max_completion_tokens or self.max_tokens

    @property
    def stops(self) -> list[str]:
        """Stop sequences as a list."""
        if self.stop is None:
            return []
        return [self.stop] if isinstance(self.stop, str) else list(self.stop)

    def text_of(self, role: str) -> str:
        """Every message of ``role`` joined, as plain text (the matchers look at it)."""
        parts = []
        for message in self.messages:
            if message.get("role") != role:
                continue
            content = message.get("content")
            if isinstance(content, list):  # content parts
                content = " ".join(str(p.get("text", "")) for p in content)
            parts.append(str(content or ""))
        return "\n".join(parts)

    def last_user(self) -> str:
        """The last user message (what a scripted rule usually answers)."""
        for message in reversed(self.messages):
            if message.get("role") == "user":
                return str(message.get("content") or "")
        return ""


def count_tokens(text: str) -> int:
    """A deterministic stand-in for a tokenizer: about four characters a token."""
    return max(1, (len(text) + 3) // 4) if text else 0


class Completion(BaseModel):
    """What the simulator answers with: text and/or tool calls, and how it ended."""

    content: str = ""
    tool_calls: list[dict[str, Any]] = Field(default_factory=list)
    finish_reason: str = "stop"


def bounded(completion: Completion, request: ChatRequest) -> Completion:
    """Apply the request's stop sequences and token limit, as a real server would."""
    text = completion.content
    for stop in request.stops:
        if stop and stop in text:
            text = text[: text.index(stop)]
    finish = completion.finish_reason
    limit = request.token_limit
    if limit is not None and count_tokens(text) > limit:
        text, finish = text[: limit * 4], "length"
    return completion.model_copy(update={"content": text, "finish_reason": finish})


def _tool_calls(calls: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": call.get("id") or f"call_{uuid.uuid4().hex[:12]}",
            "type": "function",
            "function": {
                "name": call["name"],
                "arguments": json.dumps(call.get("args", {}), sort_keys=True),
            },
        }
        for call in calls
    ]


def usage(request: ChatRequest, completion: Completion) -> dict[str, int]:
    """Token counts of the exchange (the same estimate for prompt and completion)."""
    prompt = count_tokens(json.dumps(request.messages)) + count_tokens(
        json.dumps(request.tools or [])
    )
    done = count_tokens(completion.content) + count_tokens(json.dumps(completion.tool_calls))
    return {"prompt_tokens": prompt, "completion_tokens": done, "total_tokens": prompt + done}


def completion_body(request: ChatRequest, completion: Completion) -> dict[str, Any]:
    """One ``chat.completion`` object."""
    message: dict[str, Any] = {"role": "assistant", "content": completion.content or None}
    finish = completion.finish_reason
    if completion.tool_calls:
        message["tool_calls"] = _tool_calls(completion.tool_calls)
        finish = "tool_calls"
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex[:16]}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.model,
        "choices": [{"index": 0, "message": message, "finish_reason": finish, "logprobs": None}],
        "usage": usage(request, completion),
    }


def stream_events(body: dict[str, Any]) -> Iterator[str]:
    """A finished completion replayed as SSE ``chat.completion.chunk`` events, then ``[DONE]``."""
    choice = body["choices"][0]
    message = choice["message"]
    base = {k: body[k] for k in ("id", "created", "model")} | {"object": "chat.completion.chunk"}

    def event(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> str:
        chunk = base | {"choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}
        return f"data: {json.dumps(chunk | extra)}\n\n"

    yield event({"role": "assistant", "content": ""})
    for word in _WORDS.findall(message.get("content") or ""):
        yield event({"content": word})
    for index, call in enumerate(message.get("tool_calls", [])):
        yield event({"tool_calls": [{"index": index, **call}]})
    yield event({}, choice["finish_reason"])
    yield f"data: {json.dumps(base | {'choices': [], 'usage': body['usage']})}\n\n"
    yield "data: [DONE]\n\n"
