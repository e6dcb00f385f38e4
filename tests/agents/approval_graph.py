"""A minimal graph with an approval interrupt, importable by a second process."""

from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import interrupt


class State(TypedDict, total=False):
    draft: str
    decision: dict
    sent: str


def ask(state: State) -> State:
    decision = interrupt({"action": "send_outreach", "args": {"body": state["draft"]}})
    return {"decision": decision}


def act(state: State) -> State:
    decision = state["decision"]
    if decision["type"] == "approve":
        return {"sent": state["draft"]}
    if decision["type"] == "edit":
        return {"sent": decision["args"]["body"]}
    return {"sent": ""}


def build(checkpointer):
    graph = StateGraph(State)
    graph.add_node("ask", ask)
    graph.add_node("act", act)
    graph.add_edge(START, "ask")
    graph.add_edge("ask", "act")
    graph.add_edge("act", END)
    return graph.compile(checkpointer=checkpointer)
