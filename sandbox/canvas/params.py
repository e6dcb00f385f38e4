"""Rails-style bracketed parameters, as canvasapi sends them.

canvasapi flattens keyword arguments into ``enrollment[user_id]``, ``state[]`` and
``grading_scheme_entry[][name]``; GET puts them in the query string, POST/PUT/DELETE in a form
body (DELETE too: Canvas reads ``task`` from it). :class:`Params` nests them back the way Rails
does and offers typed getters, so a route reads ``params.text("enrollment", "user_id")``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from fastapi import Request
from starlette.datastructures import UploadFile

from sandbox.canvas.errors import bad_request

_TOKEN = re.compile(r"\[([^\]]*)\]")


def _tokens(key: str) -> list[str]:
    head, _, rest = key.partition("[")
    return [head, *_TOKEN.findall("[" + rest)] if rest else [head]


def _contains(node: Any, path: list[str]) -> bool:
    for token in path:
        if not isinstance(node, dict) or token not in node:
            return False
        node = node[token]
    return True


def _assign(target: Any, tokens: list[str], value: Any) -> None:
    head, rest = tokens[0], tokens[1:]
    if isinstance(target, list):
        if not rest:
            target.append(value)
            return
        if not target or not isinstance(target[-1], dict) or _contains(target[-1], rest):
            target.append({})
        _assign(target[-1], rest, value)
        return
    if not rest:
        target[head] = value
        return
    child = target.get(head)
    wanted: type = list if rest[0] == "" else dict
    if not isinstance(child, wanted):
        child = wanted()
        target[head] = child
    _assign(child, rest, value)


def nest(pairs: Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """Turn flat bracketed pairs into nested dicts and lists (Rails semantics)."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        _assign(result, _tokens(key), value)
    return result


class Params:
    """The request's parameters (query string merged with the form body), nested."""

    def __init__(self, data: dict[str, Any], files: dict[str, UploadFile] | None = None) -> None:
        self.data = data
        self.files = files or {}

    def get(self, *path: str) -> Any:
        """The raw value at ``path`` or None."""
        node: Any = self.data
        for key in path:
            if not isinstance(node, dict) or key not in node:
                return None
            node = node[key]
        return node

    def text(self, *path: str) -> str | None:
        """A scalar parameter as a string; empty strings count as given."""
        value = self.get(*path)
        if value is None or isinstance(value, dict | list):
            return None
        return str(value)

    def required(self, *path: str) -> str:
        """A parameter that must be present, else Canvas's 400."""
        value = self.text(*path)
        if value is None or value == "":
            raise bad_request(f"{_display(path)} is required")
        return value

    def integer(self, *path: str) -> int | None:
        """An integer parameter; a malformed one is a 400."""
        value = self.text(*path)
        if value is None or value == "":
            return None
        try:
            return int(value)
        except ValueError:
            raise bad_request(f"{_display(path)} must be an integer") from None

    def number(self, *path: str) -> float | None:
        """A numeric parameter; a malformed one is a 400."""
        value = self.text(*path)
        if value is None or value == "":
            return None
        try:
            return float(value)
        except ValueError:
            raise bad_request(f"{_display(path)} must be a number") from None

    def flag(self, *path: str, default: bool = False) -> bool:
        """A boolean the way Rails reads it (``true``, ``1``, ``on``)."""
        value = self.text(*path)
        if value is None:
            return default
        return value.lower() in {"true", "1", "on", "yes"}

    def strings(self, *path: str) -> list[str]:
        """A list parameter (``state[]=a&state[]=b``); a scalar counts as one item."""
        value = self.get(*path)
        if value is None:
            return []
        if isinstance(value, list):
            return [str(v) for v in value if not isinstance(v, dict | list)]
        if isinstance(value, dict):
            return [str(v) for v in value.values()]
        return [str(value)]

    def records(self, *path: str) -> list[dict[str, Any]]:
        """A list of hashes (``grading_scheme_entry[][name]``)."""
        value = self.get(*path)
        if isinstance(value, list):
            return [v for v in value if isinstance(v, dict)]
        if isinstance(value, dict):
            return [v for v in value.values() if isinstance(v, dict)]
        return []


def _display(path: tuple[str, ...]) -> str:
    return path[0] + "".join(f"[{p}]" for p in path[1:])


async def read_params(request: Request) -> Params:
    """FastAPI dependency: the query string plus, for writes, the form body."""
    pairs: list[tuple[str, Any]] = list(request.query_params.multi_items())
    files: dict[str, UploadFile] = {}
    if request.method in {"POST", "PUT", "DELETE", "PATCH"}:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form(max_part_size=1024 * 1024 * 1024)
            for key, value in form.multi_items():
                if isinstance(value, str):
                    pairs.append((key, value))
                else:
                    files[key] = value
    return Params(nest(pairs), files)
