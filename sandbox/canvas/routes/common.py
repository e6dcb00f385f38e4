"""What every route module needs: typed dependencies and small helpers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from sandbox.canvas.auth import require_admin
from sandbox.canvas.params import Params, read_params
from sandbox.canvas.simulator import Simulator, get_sim

Sim = Annotated[Simulator, Depends(get_sim)]
Form = Annotated[Params, Depends(read_params)]


def api_router() -> APIRouter:
    """A router under ``/api/v1`` whose routes all require the token."""
    return APIRouter(prefix="/api/v1", dependencies=[Depends(require_admin)])


def base_url(request: Request) -> str:
    """The scheme, host and port the client used, without a trailing slash."""
    return str(request.base_url).rstrip("/")
