"""What every response carries and who may read the operations routes.

Headers: pages get a Content-Security-Policy without inline script or style (the dashboard
has none) whose ``frame-ancestors`` names the Canvas host, so an LTI embed can work later
while any other site cannot frame the Approve buttons; ``X-Frame-Options: SAMEORIGIN`` for
browsers that predate CSP (CSP wins where both are known); ``nosniff`` and a same-origin
referrer everywhere; ``Cache-Control: no-store`` on everything but static files, since nearly
every answer names a student.

``/metrics``, ``/docs`` and ``/openapi.json`` show approvals waiting and inbox counts, and map
the API: by default (``BCA_OPS_ACCESS=loopback``) they answer clients on this host and anyone
else only with an operator's bearer token. Swagger UI loads its script from a CDN, so the docs
pages get no CSP of ours (they are an operator's tool, not a page with student data).
"""

from __future__ import annotations

import ipaddress
import json
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from core.settings import Settings
from runtime.api.auth import OPERATOR_ROLES, InvalidToken, TokenVerifier

OPS_PATHS = ("/metrics", "/docs", "/redoc", "/openapi.json")
UNCACHED_EXEMPT = ("/static/",)


def content_security_policy(settings: Settings) -> str:
    """The pages' policy: everything from this origin, framed only by it and by Canvas."""
    canvas = urlsplit(settings.canvas_url)
    ancestors = "'self'" + (f" {canvas.scheme}://{canvas.netloc}" if canvas.netloc else "")
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
        " object-src 'none'; base-uri 'none'; form-action 'self';"
        f" frame-ancestors {ancestors}"
    )


def _is_ops(path: str) -> bool:
    return any(path == p or path.startswith(p + "/") for p in OPS_PATHS)


def _loopback(scope: Scope) -> bool:
    client = scope.get("client")
    if not client:
        return False
    try:
        return ipaddress.ip_address(client[0]).is_loopback
    except ValueError:
        return False


def _bearer(scope: Scope) -> str | None:
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token.strip() if scheme.lower() == "bearer" else None
    return None


class SecurityMiddleware:
    """Pure ASGI: gate the operations routes, then add the headers to whatever answers."""

    def __init__(self, app: ASGIApp, settings: Settings, verifier: TokenVerifier) -> None:
        self.app = app
        self.access = settings.ops_access
        self.verifier = verifier
        self.csp = content_security_policy(settings).encode()

    def _may_read_ops(self, scope: Scope) -> bool:
        if self.access == "open" or (self.access == "loopback" and _loopback(scope)):
            return True
        token = _bearer(scope)
        if token is None:
            return False
        try:
            return self.verifier.verify(token).role in OPERATOR_ROLES
        except InvalidToken:
            return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Refuse an operations route to whom it is closed; add the headers to the rest."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        ops = _is_ops(path)
        if ops and not self._may_read_ops(scope):
            body = json.dumps(
                {"detail": "operations routes need an operator's token from off this host"}
            ).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 403,
                    "headers": [
                        (b"content-type", b"application/json"),
                        (b"content-length", str(len(body)).encode()),
                        (b"www-authenticate", b"Bearer"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                added = [
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                ]
                if not path.startswith(UNCACHED_EXEMPT):
                    added.append((b"cache-control", b"no-store"))
                if not ops:
                    added += [
                        (b"content-security-policy", self.csp),
                        (b"x-frame-options", b"SAMEORIGIN"),
                    ]
                headers += [(n, v) for n, v in added if n not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
