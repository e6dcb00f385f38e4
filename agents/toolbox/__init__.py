"""The tools as agents see them, and the only way agents get them.

:mod:`~agents.toolbox.catalogue` lists every tool with its policy traits,
:mod:`~agents.toolbox.arguments` their schemas, :mod:`~agents.toolbox.context` the per-run
connections, and :mod:`~agents.toolbox.binding` turns entries into tools that run only inside
the guard.
"""

from agents.toolbox.binding import guarded_tool_node, guarded_tools
from agents.toolbox.catalogue import CATALOGUE, SPECS, load_default_policy
from agents.toolbox.context import ToolContext

__all__ = [
    "CATALOGUE",
    "SPECS",
    "ToolContext",
    "guarded_tool_node",
    "guarded_tools",
    "load_default_policy",
]
