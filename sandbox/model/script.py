"""Scripted behaviour of the simulated model: ordered rules, first match answers.

A rule matches on the request (a regular expression over the last user message, the system
prompt, whether tools were offered, whether the last message is a tool result) and says what
the "model" does: reply with text and/or tool calls, wait, never answer, or fail with an HTTP
status. Rules are data (YAML or JSON), so an evaluation suite, a test or ``bca model-sim
--script`` can describe a slow, rambling, rule-breaking or broken model without code.
"""

from __future__ import annotations

import re
import threading
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import ConfigurationError
from sandbox.model.protocol import ChatRequest, Completion

PLACEHOLDER = re.compile(r"<[A-Z][A-Z_]*_\d+>")


class ScriptedCall(BaseModel):
    """A tool call the scripted model makes."""

    model_config = ConfigDict(extra="forbid")

    name: str
    args: dict[str, Any] = Field(default_factory=dict)
    id: str | None = None


class Rule(BaseModel):
    """One behaviour and the requests it answers (every given condition must hold)."""

    model_config = ConfigDict(extra="forbid")

    name: str = ""
    when_user: str | None = Field(None, description="Regex searched in the last user message.")
    when_system: str | None = Field(None, description="Regex searched in the system prompt.")
    when_tools: bool | None = Field(None, description="Whether the request offers tools.")
    after_tool: bool | None = Field(None, description="Whether the last message is a tool result.")
    reply: str = Field(
        "",
        description="Text answered; {placeholders} becomes the placeholders of the last user"
        " message, {echo} the message itself.",
    )
    tool_calls: list[ScriptedCall] = Field(default_factory=list)
    delay_s: float = Field(0.0, ge=0, description="Wait before answering.")
    hang: bool = Field(False, description="Accept the request and never answer.")
    status: int = Field(200, ge=200, le=599, description="An HTTP error status to answer with.")
    error: str = "simulated model error"
    times: int | None = Field(None, ge=1, description="Answer this many requests, then stop.")

    @field_validator("when_user", "when_system")
    @classmethod
    def _compiles(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            try:
                re.compile(pattern)
            except re.error as exc:
                raise ValueError(f"not a regular expression: {exc}") from None
        return pattern

    def matches(self, request: ChatRequest) -> bool:
        """Whether every condition of this rule holds for ``request``."""
        if self.when_user is not None and not re.search(self.when_user, request.last_user()):
            return False
        if self.when_system is not None and not re.search(
            self.when_system, request.text_of("system")
        ):
            return False
        if self.when_tools is not None and bool(request.tools) is not self.when_tools:
            return False
        last_is_tool = request.messages[-1].get("role") == "tool"
        return self.after_tool is None or last_is_tool is self.after_tool

    def completion(self, request: ChatRequest) -> Completion:
        """The answer this rule gives to ``request``."""
        user = request.last_user()
        placeholders = " ".join(dict.fromkeys(PLACEHOLDER.findall(user)))
        text = self.reply.replace("{placeholders}", placeholders)
        text = text.replace("{echo}", user)
        calls = [c.model_dump(exclude_none=True) for c in self.tool_calls]
        return Completion(content=text, tool_calls=calls)


class Script(BaseModel):
    """Ordered rules; a request no rule answers is an error, never a silent default."""

    model_config = ConfigDict(extra="forbid")

    rules: list[Rule] = Field(default_factory=list)

    @classmethod
    def from_file(cls, path: Path) -> Script:
        """A script from a YAML or JSON file; a bad field names the file and the field."""
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigurationError(f"{path}: cannot read the script: {exc}") from None
        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise ConfigurationError(f"{path}: {where}: {first['msg']}") from None


class ScriptPlayer:
    """Picks the rule for each request, counting uses of rules limited by ``times``."""

    def __init__(self, script: Script) -> None:
        self._lock = threading.Lock()
        self.script = script
        self._used: dict[int, int] = {}

    def pick(self, request: ChatRequest) -> Rule | None:
        """The first rule that matches and has uses left, or None."""
        with self._lock:
            for index, rule in enumerate(self.script.rules):
                if rule.times is not None and self._used.get(index, 0) >= rule.times:
                    continue
                if rule.matches(request):
                    self._used[index] = self._used.get(index, 0) + 1
                    return rule
        return None
