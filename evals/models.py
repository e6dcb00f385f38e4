"""The chat models a suite can run against, and the capture of what was sent to them.

``scripted`` is an in-process chat model answering from the suite's rules (the model
simulator's :mod:`sandbox.model.script`, so a rule means the same here and in ``bca
model-sim``); every other kind is the real ``ChatOpenAI`` client against an OpenAI-compatible
endpoint: the simulator replaying cassettes, any OpenAI-compatible server, or the local
SmolLM2. :class:`Capture` is a callback that keeps the exact messages each model call was
given, which the PII scorer reads, and the tokens each call spent (an agent makes several calls
a turn, and not every one leaves a message in its state).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any, Literal
from uuid import UUID

from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models import BaseChatModel, LanguageModelInput
from langchain_core.messages import AIMessage, BaseMessage, ToolCall, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult, LLMResult
from langchain_core.runnables import Runnable
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_openai_tool
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, ConfigDict, SecretStr

from sandbox.model.protocol import ChatRequest, bounded, usage
from sandbox.model.script import ScriptPlayer

ModelKind = Literal["scripted", "replay", "openai", "local"]


class ModelTarget(BaseModel):
    """Where a run's model calls go (resolved by the CLI from ``--model``)."""

    model_config = ConfigDict(frozen=True)

    kind: ModelKind
    name: str
    base_url: str = ""
    api_key: SecretStr = SecretStr("")
    temperature: float = 0.0
    timeout_seconds: float = 30.0
    token_field: Literal["max_tokens", "max_completion_tokens"] = "max_tokens"
    """How the completion bound is sent (``max_completion_tokens`` for OpenAI itself)."""

    @property
    def label(self) -> str:
        """How reports name the model."""
        return self.name if self.kind in ("openai", "scripted") else f"{self.kind}:{self.name}"


def message_dicts(messages: list[BaseMessage]) -> list[dict[str, Any]]:
    """Chat messages as the role/content dicts of the OpenAI protocol (with an agent's calls)."""
    roles = {"human": "user", "ai": "assistant", "system": "system", "tool": "tool"}
    found = []
    for m in messages:
        entry: dict[str, Any] = {"role": roles.get(m.type, m.type), "content": m.text}
        if isinstance(m, AIMessage) and m.tool_calls:
            entry["tool_calls"] = [{"name": c["name"], "args": c["args"]} for c in m.tool_calls]
        if isinstance(m, ToolMessage) and m.name:
            entry["name"] = m.name
        found.append(entry)
    return found


class Capture(BaseCallbackHandler):
    """Keeps every message list a chat model was invoked with (one per call)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[list[dict[str, Any]]] = []
        self.errors: list[str] = []
        self.tokens_in = 0
        self.tokens_out = 0

    def on_chat_model_start(
        self,
        serialized: dict[str, Any],
        messages: list[list[BaseMessage]],
        *,
        run_id: UUID,
        **kwargs: Any,
    ) -> None:
        """Record the messages of the call about to be sent."""
        with self._lock:
            self.calls.extend(message_dicts(batch) for batch in messages)

    def on_llm_end(self, response: LLMResult, *, run_id: UUID, **kwargs: Any) -> None:
        """Add the call's token usage, as the client reported it."""
        for batch in response.generations:
            for generation in batch:
                message = getattr(generation, "message", None)
                usage = getattr(message, "usage_metadata", None)
                if usage:
                    with self._lock:
                        self.tokens_in += usage["input_tokens"]
                        self.tokens_out += usage["output_tokens"]

    def on_llm_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """Record a failed call: a replay miss names its request here."""
        with self._lock:
            self.errors.append(f"{type(error).__name__}: {error}"[:500])


class ScriptedChatModel(BaseChatModel):
    """A deterministic chat model: the suite's rules answer, first match wins.

    Rules with ``times`` make a model that behaves differently on later calls (a flaky
    model for pass^k). A request no rule answers raises, so the drafter falls back and the
    case fails visibly instead of passing on a default. Bound tools reach the rules as the
    request's ``tools`` (``when_tools``) and a rule's tool calls come back as the message's, so
    an agent's rules behave here as they do served by ``bca model-sim``.
    """

    player: Any
    model_name: str = "scripted"

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,
        run_manager: Any = None,
        **kwargs: Any,
    ) -> ChatResult:
        limit = kwargs.get("max_tokens") or (kwargs.get("extra_body") or {}).get("max_tokens")
        request = ChatRequest(
            model=self.model_name,
            messages=message_dicts(messages),
            tools=kwargs.get("tools"),
            stop=stop,
            max_tokens=limit,
        )
        player: ScriptPlayer = self.player
        rule = player.pick(request)
        if rule is None:
            raise LookupError(f"no scripted rule answers: {request.last_user()[:80]!r}")
        completion = bounded(rule.completion(request), request)
        counts = usage(request, completion)
        calls = [
            ToolCall(name=c["name"], args=c.get("args", {}), id=c.get("id") or f"call_{n}")
            for n, c in enumerate(completion.tool_calls)
        ]
        reply = AIMessage(
            content=completion.content,
            tool_calls=calls,
            usage_metadata={
                "input_tokens": counts["prompt_tokens"],
                "output_tokens": counts["completion_tokens"],
                "total_tokens": counts["total_tokens"],
            },
            response_metadata={"finish_reason": completion.finish_reason},
        )
        return ChatResult(generations=[ChatGeneration(message=reply)])

    def bind_tools(
        self,
        tools: Sequence[dict[str, Any] | type | Callable[..., Any] | BaseTool],
        *,
        tool_choice: str | None = None,
        **kwargs: Any,
    ) -> Runnable[LanguageModelInput, AIMessage]:
        """Offer ``tools`` to the rules, in the OpenAI shape the HTTP client would send."""
        return self.bind(tools=[convert_to_openai_tool(t) for t in tools], **kwargs)

    @property
    def _llm_type(self) -> str:
        return "bca-scripted"


def chat_model(
    target: ModelTarget, capture: Capture, player: ScriptPlayer | None = None
) -> BaseChatModel:
    """A fresh client for one case, reporting its calls to ``capture``."""
    if target.kind == "scripted":
        if player is None:
            raise ValueError("the scripted model needs the suite's script")
        return ScriptedChatModel(player=player, model_name=target.name, callbacks=[capture])
    return ChatOpenAI(
        model=target.name,
        base_url=target.base_url or None,
        api_key=target.api_key.get_secret_value() or "not-needed",
        temperature=target.temperature,
        timeout=target.timeout_seconds,
        max_retries=0,
        callbacks=[capture],
    )


def transcript(calls: list[list[dict[str, Any]]]) -> str:
    """The captured calls as one text (what the PII scorer searches)."""
    return json.dumps(calls, ensure_ascii=False)
