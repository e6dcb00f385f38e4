"""Bearer-token authentication: who is calling, in which role, for which term.

A token is a JWT with the claims ``sub`` (a Banner PIDM for a person, or a staff/agent id),
``role`` (a :class:`~policies.rbac.Role`), optionally ``term``, and ``exp``. Two ways to trust
one, never both at once (so an HS256 token can never be passed off against an RSA key):

- **embedded default**: HS256 with ``BCA_AUTH_SECRET`` (or a random key kept in
  ``var/auth-secret``); ``bca token`` mints such tokens;
- **an institution's identity provider**: RS256 verified against ``BCA_OIDC_JWKS_URL``, with
  ``aud``/``iss`` checked when configured.

The :class:`~policies.rbac.Principal` built here is the only source of role and subject for the
API: routes declare what they need with :func:`require_roles`, never read claims themselves.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any

import jwt
from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from jwt.types import Options
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.concurrency import run_in_threadpool

from core.errors import ConfigurationError
from core.settings import Settings
from policies.rbac import Principal, Role

LOCAL_ALGORITHM = "HS256"
OIDC_ALGORITHMS = ["RS256"]
PERSON_ROLES = frozenset({Role.STUDENT, Role.ADVISOR, Role.INSTRUCTOR})
"""Roles whose ``sub`` must be the person's Banner PIDM (scope checks need it)."""


class InvalidToken(Exception):
    """A token that is missing, malformed, badly signed, expired or names an unknown role."""


MAX_TOKEN_CHARS = 8192
"""Far above any real token (an OIDC token with groups is a few KB); refused before decoding."""


class TokenClaims(BaseModel):
    """The claims the API reads; anything else in the token is ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    sub: str = Field(min_length=1, max_length=200)
    role: Role
    term: str | None = Field(None, pattern=r"^\d{6}$")
    dept: str | None = Field(None, pattern=r"^[A-Z0-9]{1,4}$", description="A chair's department.")

    def principal(self) -> Principal:
        """The caller as the policies know it; a person role's subject must be a PIDM."""
        pidm = int(self.sub) if self.sub.isdigit() else None
        if self.role in PERSON_ROLES and pidm is None:
            raise InvalidToken(f"role {self.role} needs a Banner PIDM as subject")
        if self.role is Role.CHAIR and self.dept is None:
            raise InvalidToken("role chair needs the department it chairs (claim dept)")
        return Principal(
            actor=f"{self.role}:{self.sub}",
            role=self.role,
            pidm=pidm,
            term=self.term,
            department=self.dept,
        )


def local_secret(settings: Settings) -> str:
    """``BCA_AUTH_SECRET``, else a random key in ``var/auth-secret`` (created once, mode 0600).

    Keeping the generated key in the var directory lets ``bca token`` and ``bca serve`` agree
    without anyone choosing a secret, while no two installations share one.
    """
    configured = settings.auth_secret.get_secret_value()
    if configured:
        return configured
    path = Path(settings.var_dir) / "auth-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            with path.open("x", encoding="utf-8") as handle:
                handle.write(secrets.token_urlsafe(48))
            path.chmod(0o600)
        except FileExistsError:
            pass  # another process wrote it first; read theirs
    return path.read_text(encoding="utf-8").strip()


def mint_token(
    settings: Settings,
    *,
    role: Role,
    subject: str,
    term: str | None = None,
    ttl: timedelta = timedelta(hours=8),
    department: str | None = None,
) -> str:
    """A locally signed token; refused when an identity provider is configured."""
    if settings.oidc_jwks_url:
        raise ConfigurationError(
            "BCA_OIDC_JWKS_URL is set: tokens come from the identity provider, not `bca token`"
        )
    if role is Role.CHAIR and department is None:
        raise ConfigurationError("role chair needs --department, the code it chairs (e.g. MATH)")
    try:
        claims = TokenClaims(sub=subject, role=role, term=term, dept=department)
        claims.principal()  # refuse a token the API would refuse
    except ValidationError as exc:
        wrong = exc.errors()[0]
        field = ".".join(str(part) for part in wrong["loc"])
        raise ConfigurationError(f"{field} {wrong['input']!r}: {wrong['msg']}") from None
    except InvalidToken:
        raise ConfigurationError(
            f"subject {subject!r}: role {role.value} needs the person's numeric Banner PIDM,"
            " e.g. 12345"
        ) from None
    now = int(time.time())
    payload: dict[str, Any] = {
        **claims.model_dump(exclude_none=True),
        "iat": now,
        "exp": now + int(ttl.total_seconds()),
    }
    return jwt.encode(payload, local_secret(settings), algorithm=LOCAL_ALGORITHM)


@dataclass
class TokenVerifier:
    """Checks signatures and claims the way the settings say (local key or JWKS)."""

    settings: Settings

    def __post_init__(self) -> None:
        """Fetch JWKS keys lazily (and cache them) only when a provider is configured."""
        self._jwks = (
            jwt.PyJWKClient(self.settings.oidc_jwks_url, cache_keys=True, timeout=5)
            if self.settings.oidc_jwks_url
            else None
        )
        self._secret = "" if self._jwks else local_secret(self.settings)

    def verify(self, token: str) -> Principal:
        """The principal a valid token names; :class:`InvalidToken` says what is wrong."""
        options: Options = {"require": ["exp", "sub", "role"]}
        if len(token) > MAX_TOKEN_CHARS:
            raise InvalidToken(f"token too large (over {MAX_TOKEN_CHARS} characters)")
        try:
            if self._jwks is None:
                payload = jwt.decode(
                    token, self._secret, algorithms=[LOCAL_ALGORITHM], options=options
                )
            else:
                key = self._jwks.get_signing_key_from_jwt(token)
                payload = jwt.decode(
                    token,
                    key,
                    algorithms=OIDC_ALGORITHMS,
                    audience=self.settings.oidc_audience or None,
                    issuer=self.settings.oidc_issuer or None,
                    options={
                        "require": options["require"],
                        "verify_aud": bool(self.settings.oidc_audience),
                    },
                )
            return TokenClaims.model_validate(payload).principal()
        except jwt.ExpiredSignatureError:
            raise InvalidToken("token expired") from None
        except jwt.PyJWKClientError as exc:
            raise InvalidToken(f"no signing key for this token: {exc}") from None
        except jwt.DecodeError:
            raise InvalidToken("invalid token: not a well-formed signed JWT") from None
        except jwt.InvalidTokenError as exc:
            raise InvalidToken(f"invalid token: {exc}") from None
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(map(str, e['loc'])) or 'claims'}: {e['msg']}" for e in exc.errors()
            )
            raise InvalidToken(f"invalid token claims: {problems}") from None


def verifier(request: Request) -> TokenVerifier:
    """The app's verifier (set by the app factory)."""
    found: TokenVerifier = request.app.state.verifier
    return found


def unauthorized(reason: str) -> HTTPException:
    """A 401 that tells the client to send a bearer token, with the reason."""
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=reason, headers={"WWW-Authenticate": "Bearer"}
    )


_bearer = HTTPBearer(auto_error=False, description="`bca token --role ROLE --subject ID`")


async def authenticated(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    checker: Annotated[TokenVerifier, Depends(verifier)],
) -> Principal:
    """The caller of an API route, from ``Authorization: Bearer``; 401 when absent or bad."""
    if credentials is None:
        raise unauthorized("missing bearer token")
    try:
        # JWKS verification may fetch keys over the network: keep it off the event loop.
        return await run_in_threadpool(checker.verify, credentials.credentials)
    except InvalidToken as exc:
        raise unauthorized(str(exc)) from None


Caller = Annotated[Principal, Depends(authenticated)]


Authenticate = Callable[..., Coroutine[Any, Any, Principal]]


def require_roles(
    *roles: Role, source: Authenticate = authenticated
) -> Callable[[Principal], Coroutine[Any, Any, Principal]]:
    """A dependency admitting only ``roles`` (403 for anyone else ``source`` authenticates).

    ``source`` is how the caller is identified: the bearer header for the API, the session
    cookie for the dashboard.
    """
    allowed = frozenset(roles)
    # A default rather than Annotated: annotations are strings here (postponed evaluation) and
    # could not name the closure's ``source``.
    caller = Depends(source)

    async def dependency(principal: Principal = caller) -> Principal:
        if principal.role not in allowed:
            names = ", ".join(sorted(r.value for r in allowed))
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, detail=f"role {principal.role} may not do this ({names})"
            )
        return principal

    return dependency


APPROVER_ROLES = (Role.ADVISOR, Role.INSTRUCTOR, Role.REGISTRAR, Role.CHAIR)
"""People who may be asked to decide an approval."""
OPERATOR_ROLES = (Role.REGISTRAR, Role.ADMIN)
"""Staff who run the system: the event monitor, replays and the audit trail."""

EXCEPTION_ROLES = (*OPERATOR_ROLES, Role.LMS_ADMIN)
"""Staff who see the person exceptions the agents raised (an LMS admin: the account ones)."""
RESOLVER_ROLES = (Role.LMS_ADMIN, Role.ADMIN)
"""Staff who run Canvas and may resolve an account exception by re-running its section."""

Approver = Annotated[Principal, Depends(require_roles(*APPROVER_ROLES))]
Operator = Annotated[Principal, Depends(require_roles(*OPERATOR_ROLES))]
