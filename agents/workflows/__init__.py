"""Orchestrations that read Banner and Canvas through the tools, decide by the rules, and act."""
