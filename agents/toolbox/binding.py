"""Catalogue entries as LangChain tools that run only inside the guard.

Each tool is a ``StructuredTool`` with the entry's Pydantic argument schema; its function takes
the run's :class:`~agents.toolbox.context.ToolContext` (injected by ``ToolNode``) and refuses to
run unless the policy guard is executing it (:func:`policies.guard.require_guard`). Agents get
tools from :func:`guarded_tools` (schemas to bind to the model) and :func:`guarded_tool_node`
(the node that runs them through the guard), and from nowhere else.
"""

from __future__ import annotations

from typing import Any

from langchain.tools import ToolRuntime
from langchain_core.tools import BaseTool, StructuredTool
from langgraph.prebuilt import ToolNode
from pydantic import BaseModel

from agents.toolbox.catalogue import SPECS, ToolSpec
from agents.toolbox.context import ToolContext
from core.errors import ConfigurationError
from policies.guard import Guard, require_guard
from policies.rbac import Policy, Role


def _jsonable(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _structured_tool(spec: ToolSpec) -> StructuredTool:
    name = spec.traits.name

    def call(runtime: ToolRuntime, **kwargs: Any) -> Any:
        require_guard(name)
        ctx = runtime.context
        if not isinstance(ctx, ToolContext):
            raise ConfigurationError(f"tool {name!r} needs a ToolContext as the run's context")
        return _jsonable(spec.run(ctx, spec.args.model_validate(kwargs)))

    return StructuredTool.from_function(
        call, name=name, description=spec.description, args_schema=spec.args
    )


_TOOLS: dict[str, StructuredTool] = {spec.traits.name: _structured_tool(spec) for spec in SPECS}


def guarded_tools(policy: Policy, role: Role) -> list[BaseTool]:
    """The tools ``role`` is granted, to bind to its model; they run only inside the guard."""
    return [_TOOLS[name] for name in policy.tools_of(role)]


def guarded_tool_node(guard: Guard, role: Role) -> ToolNode:
    """The tool node of an agent in ``role``: every call passes ``guard`` first."""
    return guard.tool_node(guarded_tools(guard.policy, role))
