"""Bearer-token authentication: the configured admin token is the only valid one."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request

from sandbox.canvas.errors import unauthenticated
from sandbox.canvas.simulator import Simulator, get_sim
from sandbox.canvas.storage import ADMIN_USER_ID


def require_admin(request: Request, sim: Annotated[Simulator, Depends(get_sim)]) -> int:
    """FastAPI dependency: the acting user's id, or Canvas's 401 (JSON + WWW-Authenticate).

    Canvas accepts the token as ``Authorization: Bearer`` or an ``access_token`` parameter.
    """
    header = request.headers.get("authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    token = token or request.query_params.get("access_token", "")
    if not token:
        raise unauthenticated(invalid=False)
    if not hmac.compare_digest(token.encode(), sim.config.token.encode()):
        raise unauthenticated(invalid=True)
    return ADMIN_USER_ID
