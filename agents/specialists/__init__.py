"""The specialist subgraphs of the router: each `build(deps)` compiles one over AgentState.

Deterministic nodes decide by the rules and emit tool calls that the guarded tool node runs,
so every action a specialist takes is authorized, audited and, where the policy says, approved.
"""
