"""Canvas pagination: ``page``/``per_page`` parameters and an RFC 5988 ``Link`` header.

Links are absolute URLs built on the URL the client used (scheme, host and port from the
request), so they start with exactly canvasapi's base URL, and carry every query parameter of
the request with ``page`` and ``per_page`` replaced: canvasapi follows ``rel="next"`` without
re-sending its own parameters. Default page size 10, maximum 100, as in Canvas.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar
from urllib.parse import urlencode

from fastapi import Request, Response

DEFAULT_PER_PAGE = 10
MAX_PER_PAGE = 100

T = TypeVar("T")


class Page:
    """The slice one request asks for."""

    def __init__(self, request: Request) -> None:
        self.request = request
        self.per_page = min(
            MAX_PER_PAGE, max(1, _int(request.query_params.get("per_page"), DEFAULT_PER_PAGE))
        )
        self.page = max(1, _int(request.query_params.get("page"), 1))

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.page - 1) * self.per_page

    def link_header(self, total: int) -> str:
        """The ``Link`` header for a list of ``total`` items."""
        last = max(1, math.ceil(total / self.per_page))
        links = [("current", self.page), ("first", 1)]
        if self.page < last:
            links.append(("next", self.page + 1))
        if self.page > 1:
            links.append(("prev", self.page - 1))
        links.append(("last", last))
        return ",".join(f'<{self._url(page)}>; rel="{rel}"' for rel, page in links)

    def _url(self, page: int) -> str:
        params = [
            (k, v)
            for k, v in self.request.query_params.multi_items()
            if k not in {"page", "per_page"}
        ]
        params += [("page", str(page)), ("per_page", str(self.per_page))]
        base = str(self.request.url.replace(query=""))
        return f"{base}?{urlencode(params)}"

    def respond(self, response: Response, total: int, items: list[Any]) -> list[Any]:
        """Set the Link header and return the items (the route's return value)."""
        response.headers["Link"] = self.link_header(total)
        return items

    def slice(self, response: Response, items: Sequence[T], shape: Callable[[T], Any]) -> list[Any]:
        """Paginate an in-memory sequence."""
        chosen = items[self.offset : self.offset + self.per_page]
        return self.respond(response, len(items), [shape(i) for i in chosen])


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value else default
    except ValueError:
        return default
