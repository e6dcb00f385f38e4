"""The drafter: a prompt through the model, bounded, or its template, labelled as such.

Rules decide; the model only words what they decided, so a slow, rambling or unreachable model
must never hold up a decision. Every model call is bounded by the prompt's ``max_tokens`` (and
``stop``) and by a per-call timeout; only retryable failures (connection refused, 429, 5xx) are
retried, within the draft. A draft that fails, times out or breaks its prompt's rules
(:mod:`agents.drafting.checks`) falls back to the prompt's template **for that draft only**,
labelled with the reason. After ``failures`` consecutive failed calls the circuit breaker sends
every draft to the template for a cool-down. :meth:`Drafter.draft_many` drafts concurrently up
to a limit, so a scan with hundreds of flagged students costs a few timeouts, not hundreds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any, Literal

import httpx
import openai
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage
from pydantic import BaseModel, ConfigDict, Field
from tenacity import (
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    wait_exponential,
)

from agents.drafting.breaker import BreakerPolicy, BreakerState, breaker_state
from agents.drafting.checks import DraftChecker
from agents.drafting.records import OK, DraftLog, DraftRecord, MemoryDraftLog
from core.clock import utcnow
from policies.pii import PseudonymVault
from policies.pii.patterns import DEFAULT_BANNER_ID_PATTERN
from prompts import Prompt, load_prompt

TEMPLATE_MODE_LABEL = "[template mode: drafted from a fixed template, no language model]"


def fallback_label(reason: str) -> str:
    """The first line of a draft the template wrote because the model could not."""
    return f"[drafted from the template: {reason}]"


class DraftRequest(BaseModel):
    """One draft to make: a prompt and its already-redacted inputs."""

    model_config = ConfigDict(frozen=True)

    prompt_ref: str
    variables: dict[str, Any]


class Draft(BaseModel):
    """A drafted text with its provenance, as shown to the approving person."""

    model_config = ConfigDict(frozen=True)

    text: str
    prompt_ref: str
    model: str | None = Field(description="The model that wrote it; None: the template did.")
    fallback: str | None = Field(
        None, description="Why the template wrote it although a model is configured."
    )

    @property
    def template_mode(self) -> bool:
        """Whether no model's words are in it."""
        return self.model is None


def drafted_by(draft: Draft) -> str:
    """One sentence for the approval's reasoning: who wrote the draft, from which prompt."""
    if draft.fallback is not None:
        return f"Drafted from the template ({draft.prompt_ref}): {draft.fallback}."
    return f"Drafted by {draft.model or 'template'} ({draft.prompt_ref})."


class DrafterLimits(BaseModel):
    """How long and how often a draft may wait for the model, and how many at once."""

    model_config = ConfigDict(frozen=True)

    timeout_seconds: float = 8.0
    max_retries: int = 1
    token_field: Literal["max_tokens", "max_completion_tokens"] = "max_completion_tokens"
    """``max_tokens`` is sent as is (llama.cpp, vLLM, Ollama); ChatOpenAI renames its own
    ``max_tokens`` to OpenAI's ``max_completion_tokens``."""
    concurrency: int = 4
    breaker: BreakerPolicy = Field(default_factory=BreakerPolicy)


class _Failed(Exception):
    """A model call that did not produce an answer, with the label's words."""

    def __init__(self, outcome: str, reason: str) -> None:
        super().__init__(reason)
        self.outcome = outcome
        self.reason = reason


def _retryable(exc: BaseException) -> bool:
    """Connection refused or reset, rate limited, a server error: worth one more try."""
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return False  # a model that did not answer in time will not answer faster now
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code == 429 or exc.status_code >= 500
    return isinstance(exc, openai.APIConnectionError | httpx.TransportError)


def _failure(exc: BaseException, timeout: float) -> _Failed:
    if isinstance(exc, openai.APITimeoutError | httpx.TimeoutException):
        return _Failed("timeout", f"the model did not answer in {timeout:g} s")
    if isinstance(exc, openai.APIStatusError):
        kind = "rate_limited" if exc.status_code == 429 else "model_error"
        return _Failed(kind, f"the model endpoint answered HTTP {exc.status_code}")
    if isinstance(exc, openai.APIConnectionError | httpx.TransportError):
        return _Failed("unreachable", "the model endpoint could not be reached")
    return _Failed("model_error", f"the model call failed ({type(exc).__name__})")


def _usage(reply: AIMessage) -> tuple[int, int]:
    usage = reply.usage_metadata
    if usage is None:
        return 0, 0
    return int(usage["input_tokens"]), int(usage["output_tokens"])


class Drafter:
    """Renders prompts through the model when one is configured, else their templates."""

    def __init__(
        self,
        model: BaseChatModel | None,
        model_name: str | None = None,
        *,
        limits: DrafterLimits | None = None,
        log: DraftLog | None = None,
        banner_id_pattern: str = DEFAULT_BANNER_ID_PATTERN,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._model = model
        self._name = model_name or (type(model).__name__ if model is not None else None)
        self.limits = limits or DrafterLimits()
        self.log: DraftLog = log if log is not None else MemoryDraftLog()
        self._checker = DraftChecker(banner_id_pattern)
        self._clock = clock

    @property
    def model_name(self) -> str | None:
        """The configured model, or None in template mode."""
        return self._name if self._model is not None else None

    def breaker(self) -> BreakerState:
        """The circuit breaker's state now (closed in template mode)."""
        if self._model is None:
            return BreakerState(open=False)
        recent = self.log.recent_attempts(self.limits.breaker.failures)
        return breaker_state(recent, self._clock(), self.limits.breaker)

    def draft(
        self,
        prompt_ref: str,
        variables: Mapping[str, object],
        vault: PseudonymVault | None = None,
    ) -> Draft:
        """Draft from already-redacted ``variables``; the prompt sees placeholders only.

        ``vault`` is the run's: a draft that spells out one of its real values is refused.
        """
        prompt = load_prompt(prompt_ref)
        if self._model is None:
            body = prompt.render("fallback", variables)
            self._record(prompt, "template", attempted=False)
            return Draft(text=f"{TEMPLATE_MODE_LABEL}\n{body}", prompt_ref=prompt.ref, model=None)
        state = self.breaker()
        if state.open and state.until is not None:
            reason = (
                f"the model failed {state.consecutive_failures} times in a row; template mode"
                f" until {state.until:%H:%M:%S} UTC"
            )
            self._record(prompt, "circuit_open", attempted=False)
            return self._fallback(prompt, variables, reason)
        return self._from_model(prompt, variables, vault)

    def draft_many(
        self, requests: Sequence[DraftRequest], vault: PseudonymVault | None = None
    ) -> list[Draft]:
        """Every request drafted, at most ``limits.concurrency`` at a time; in request order."""
        if len(requests) <= 1 or self._model is None:
            return [self.draft(r.prompt_ref, r.variables, vault) for r in requests]
        workers = min(self.limits.concurrency, len(requests))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="draft") as pool:
            return list(pool.map(lambda r: self.draft(r.prompt_ref, r.variables, vault), requests))

    def _from_model(
        self, prompt: Prompt, variables: Mapping[str, object], vault: PseudonymVault | None
    ) -> Draft:
        assert self._model is not None
        started = time.perf_counter()
        try:
            reply = self._invoke(prompt, variables)
        except _Failed as failed:
            self._record(prompt, failed.outcome, started=started, failed=True)
            return self._fallback(prompt, variables, failed.reason)
        text = reply.text.strip()
        tokens_in, tokens_out = _usage(reply)
        finding = self._checker.check(
            text,
            prompt,
            variables,
            vault,
            finish_reason=reply.response_metadata.get("finish_reason"),
        )
        outcome = finding.violation.value if finding else OK
        self._record(prompt, outcome, started=started, tokens_in=tokens_in, tokens_out=tokens_out)
        if finding is not None:
            return self._fallback(prompt, variables, finding.detail)
        return Draft(text=text, prompt_ref=prompt.ref, model=self._name)

    def _invoke(self, prompt: Prompt, variables: Mapping[str, object]) -> AIMessage:
        """One bounded model call, retried only for retryable failures; raises :class:`_Failed`."""
        assert self._model is not None
        bounds: dict[str, Any] = (
            {"extra_body": {"max_tokens": prompt.max_tokens}}
            if self.limits.token_field == "max_tokens"
            else {"max_tokens": prompt.max_tokens}
        )
        if prompt.stop:
            bounds["stop"] = list(prompt.stop)
        model = self._model.bind(**bounds)
        messages = [
            SystemMessage(prompt.render("system", variables)),
            HumanMessage(prompt.render("user", variables)),
        ]
        retrying = Retrying(
            retry=retry_if_exception(_retryable),
            stop=stop_after_attempt(1 + self.limits.max_retries),
            wait=wait_exponential(multiplier=0.25, max=2.0),
            reraise=True,
        )
        try:
            reply = retrying(model.invoke, messages)
        except Exception as exc:  # any failure of the model is a fallback, never a failed run
            raise _failure(exc, self.limits.timeout_seconds) from None
        if not isinstance(reply, AIMessage):
            raise _Failed("model_error", "the model answered with no message")
        return reply

    def _fallback(self, prompt: Prompt, variables: Mapping[str, object], reason: str) -> Draft:
        body = prompt.render("fallback", variables)
        return Draft(
            text=f"{fallback_label(reason)}\n{body}",
            prompt_ref=prompt.ref,
            model=None,
            fallback=reason,
        )

    def _record(
        self,
        prompt: Prompt,
        outcome: str,
        *,
        attempted: bool = True,
        started: float | None = None,
        failed: bool = False,
        tokens_in: int = 0,
        tokens_out: int = 0,
    ) -> None:
        latency = (time.perf_counter() - started) * 1000 if started is not None else 0.0
        self.log.record(
            DraftRecord(
                at=self._clock(),
                prompt_ref=prompt.ref,
                model=self._name,
                outcome=outcome,
                attempted=attempted,
                failed=failed,
                tokens_in=tokens_in,
                tokens_out=tokens_out,
                latency_ms=round(latency, 2),
            )
        )
