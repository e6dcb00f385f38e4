"""Versioned prompt files and their loader."""

from prompts.loader import Prompt, all_prompts, load_prompt

__all__ = ["Prompt", "all_prompts", "load_prompt"]
