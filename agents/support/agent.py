"""One chat turn end to end: redact the message, run the graph, re-identify the answer.

The surfaces (API, page, CLI) call :meth:`SupportAgent.answer` with a :class:`ToolContext` whose
principal is the support agent acting on behalf of the signed-in student; nothing the student or
the model writes can change whose records the tools reach. The student's message is redacted
before it enters the graph (so the checkpointed history and the model hold placeholders only);
the answer is re-identified at the last step, from the run's own vault, which holds only what
this student's message and this student's records put there.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.base import BaseCheckpointSaver

from agents.support.config import SupportConfig
from agents.support.graph import SupportGraph
from agents.support.intents import Embedder, IntentRouter
from agents.support.models import Citation, Handoff, TranscriptLine, TurnResult
from agents.support.template import TEMPLATE_LABEL
from agents.support.turn import answers, this_turn, tokens_of
from agents.toolbox import ToolContext
from core.errors import ValidationFailed
from policies.guard import Guard


class SupportAgent:
    """The chatbot, built once per process and shared by every conversation."""

    def __init__(
        self,
        guard: Guard,
        embedder: Embedder,
        model: BaseChatModel | None = None,
        config: SupportConfig | None = None,
        checkpointer: BaseCheckpointSaver[Any] | None = None,
    ) -> None:
        self.config = config or SupportConfig()
        self.model = model
        router = IntentRouter(embedder, self.config.intent_floor)
        self.graph = SupportGraph(guard, router, model, self.config).build(checkpointer)

    def answer(self, ctx: ToolContext, *, message: str, thread_id: str) -> TurnResult:
        """The reply to ``message`` in the conversation ``thread_id`` (see the module docstring)."""
        redacted = ctx.redactor.redact_text(message, ctx.vault).text
        config: Any = {"configurable": {"thread_id": thread_id}}
        before = self.graph.get_state(config).values.get("messages", []) if self._keeps() else []
        turn_number = sum(isinstance(m, HumanMessage) for m in before)
        state = self.graph.invoke(
            {
                "messages": [HumanMessage(redacted)],
                "question": redacted,
                "turn": turn_number,
                "mode": "model" if self.model is not None else "template",
                "steps": 0,
                "intent": "",
                "note": "",
                "reply": {},
            },
            config,
            context=replace(ctx, kb_min_score=self.config.min_score),
        )
        reply = state["reply"]
        turn = this_turn(state["messages"])
        placeheld = str(reply["answer"])
        try:
            shown = ctx.vault.reidentify(placeheld)
        except ValidationFailed:
            placeheld = shown = (
                "I could not put together a reliable answer, so I will not guess."
                f" A person from the help desk will follow up. {TEMPLATE_LABEL}"
            )
            reply = {**reply, "citations": [], "handoff": Handoff(
                reason="tool_error", detail="the answer named details this turn never saw"
            ).model_dump()}  # fmt: skip
        handoff = reply.get("handoff")
        return TurnResult(
            answer=shown,
            citations=[Citation.model_validate(c) for c in reply.get("citations", [])],
            tools_used=list(dict.fromkeys(a.name for a in answers(turn))),
            handoff=Handoff.model_validate(handoff) if handoff else None,
            mode=state.get("mode", "template"),
            tokens=tokens_of(turn),
            transcript=[
                TranscriptLine(role="student", text=redacted),
                TranscriptLine(role="assistant", text=placeheld),
            ],
        )

    def _keeps(self) -> bool:
        return self.graph.checkpointer is not None
