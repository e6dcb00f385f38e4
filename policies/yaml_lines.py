"""YAML loading that remembers lines, so a policy file's errors can say ``file:line: reason``.

Shared by the RBAC policy (:mod:`policies.rbac`) and the rollout controls
(:mod:`policies.rollout`): both are files people edit by hand, and a mistake in either must be
refused with the line it is on rather than silently change who may do what.
"""

from __future__ import annotations

from typing import Any

import yaml


class _LineLoader(yaml.SafeLoader):
    """A SafeLoader that remembers where each mapping and key came from, and refuses duplicates."""


class Located(dict[Any, Any]):
    """A YAML mapping with the line of each of its keys (1-based)."""

    key_lines: dict[Any, int]


class LocatedList(list[Any]):
    """A YAML sequence with the line of each item (1-based)."""

    item_lines: list[int]


def _construct_mapping(loader: _LineLoader, node: yaml.MappingNode) -> Located:
    mapping = Located()
    mapping.key_lines = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if key in mapping:
            raise yaml.MarkedYAMLError(
                problem=f"duplicate key {key!r}", problem_mark=key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=True)
        mapping.key_lines[key] = key_node.start_mark.line + 1
    return mapping


def _construct_sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LocatedList:
    items = LocatedList(loader.construct_object(child, deep=True) for child in node.value)
    items.item_lines = [child.start_mark.line + 1 for child in node.value]
    return items


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _construct_sequence)


def load_located(text: str) -> Any:
    """The YAML document of ``text`` with lines kept; raises ``yaml.MarkedYAMLError``."""
    return yaml.load(text, Loader=_LineLoader)


def yaml_error_line(exc: yaml.MarkedYAMLError) -> int:
    """The 1-based line a YAML syntax error points at."""
    mark = exc.problem_mark
    return mark.line + 1 if mark else 1


def line_of(document: Any, loc: tuple[int | str, ...]) -> int:
    """The line of the deepest key or list item on a Pydantic error path."""
    line, node = 1, document
    for part in loc:
        if isinstance(node, Located) and part in node:
            line, node = node.key_lines[part], node[part]
        elif isinstance(node, LocatedList) and isinstance(part, int) and part < len(node):
            line, node = node.item_lines[part], node[part]
        else:
            break
    return line
