"""A hand-built agent graph (model ⇄ guarded tools) driven by a scripted, recording chat model."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date
from typing import Any

from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage, BaseMessage
from langchain_core.outputs import ChatResult
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import START, MessagesState, StateGraph
from langgraph.graph.state import CompiledStateGraph
from langgraph.prebuilt import tools_condition
from pydantic import Field
from sqlalchemy import Engine

from agents.toolbox import ToolContext, guarded_tool_node, guarded_tools
from policies.guard import Guard
from policies.pii import PseudonymVault, Redactor
from policies.pii.spriden import load_directory
from policies.rbac import Principal

TODAY = date(2026, 2, 2)


class ScriptedModel(GenericFakeChatModel):
    """Plays back AIMessages (tool calls included) and records every prompt it is given."""

    seen: list[list[BaseMessage]] = Field(default_factory=list)

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedModel:
        return self

    def _generate(self, messages: list[BaseMessage], *args: Any, **kwargs: Any) -> ChatResult:
        self.seen.append(list(messages))
        return super()._generate(messages, *args, **kwargs)


def scripted(*turns: AIMessage) -> ScriptedModel:
    script: Iterator[AIMessage] = iter(turns)
    return ScriptedModel(messages=script)


def call(name: str, args: dict[str, Any], id_: str = "c1", text: str = "") -> AIMessage:
    return AIMessage(text, tool_calls=[{"name": name, "args": args, "id": id_}])


def agent(
    guard: Guard, principal: Principal, model: ScriptedModel
) -> CompiledStateGraph[MessagesState, ToolContext, MessagesState, MessagesState]:
    bound = model.bind_tools(guarded_tools(guard.policy, principal.role))

    def think(state: MessagesState) -> dict[str, list[BaseMessage]]:
        return {"messages": [bound.invoke(state["messages"])]}

    graph = StateGraph(MessagesState, context_schema=ToolContext)
    graph.add_node("model", think)
    graph.add_node("tools", guarded_tool_node(guard, principal.role))
    graph.add_edge(START, "model")
    graph.add_conditional_edges("model", tools_condition)
    graph.add_edge("tools", "model")
    return graph.compile(checkpointer=InMemorySaver())


def redactor_for(banner: Engine) -> Redactor:
    return Redactor(load_directory(banner.url.render_as_string(hide_password=False)), use_ner=False)


def context(principal: Principal, banner: Engine, redactor: Redactor, **kw: Any) -> ToolContext:
    return ToolContext(
        principal=principal,
        banner=banner,
        redactor=redactor,
        vault=kw.pop("vault", PseudonymVault()),
        today=TODAY,
        **kw,
    )
