"""Bearer tokens: missing, invalid, expired, wrong role; local HS256 and OIDC JWKS (RS256)."""

from __future__ import annotations

import json
import re
import threading
import time
from contextlib import nullcontext
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app import create_app
from core.errors import ConfigurationError
from policies.rbac import Role
from runtime.api.auth import InvalidToken, TokenVerifier
from runtime.cli import app as cli
from sandbox.serving import free_port


def test_missing_malformed_and_expired_tokens_are_401(client, settings):
    assert client.get("/api/approvals").status_code == 401
    assert client.get("/api/approvals").headers["www-authenticate"] == "Bearer"
    bad = client.get("/api/approvals", headers={"Authorization": "Bearer not.a.jwt"})
    assert bad.status_code == 401 and "invalid token" in bad.json()["detail"]
    secret = settings.auth_secret.get_secret_value()
    expired = jwt.encode({"sub": "42", "role": "advisor", "exp": int(time.time()) - 5}, secret)
    response = client.get("/api/approvals", headers={"Authorization": f"Bearer {expired}"})
    assert response.status_code == 401 and response.json()["detail"] == "token expired"
    forged = jwt.encode(
        {"sub": "42", "role": "advisor", "exp": int(time.time()) + 60},
        "another-secret-32-bytes-long!!!!",
    )
    assert (
        client.get("/api/approvals", headers={"Authorization": f"Bearer {forged}"}).status_code
        == 401
    )


def test_claims_are_checked(client, settings):
    secret = settings.auth_secret.get_secret_value()
    exp = int(time.time()) + 60
    cases: list[tuple[dict[str, Any], str]] = [
        ({"sub": "42", "role": "dean", "exp": exp}, "role"),
        ({"sub": "staff-7", "role": "advisor", "exp": exp}, "needs a Banner PIDM"),
        ({"role": "advisor", "exp": exp}, "sub"),
        ({"sub": "42", "role": "advisor"}, "exp"),
    ]
    for claims, says in cases:
        response = client.get(
            "/api/approvals", headers={"Authorization": f"Bearer {jwt.encode(claims, secret)}"}
        )
        assert response.status_code == 401, claims
        assert says in response.json()["detail"]


def test_wrong_role_is_403(client, token, people):
    assert client.get("/api/audit", headers=token(Role.ADVISOR, people.advisor)).status_code == 403
    assert (
        client.get("/api/events", headers=token(Role.INSTRUCTOR, people.advisor)).status_code == 403
    )
    assert client.get("/api/audit", headers=token(Role.REGISTRAR, "staff-1")).status_code == 200


def test_bca_token_prints_a_token_the_api_accepts(client, settings, monkeypatch):
    monkeypatch.setenv("BCA_AUTH_SECRET", settings.auth_secret.get_secret_value())
    monkeypatch.setenv("BCA_VAR_DIR", str(settings.var_dir))
    from core.settings import get_settings

    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            cli, ["token", "--role", "registrar", "--subject", "ops-1", "--ttl", "5m"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    minted = result.output.strip().splitlines()[-1]
    assert jwt.decode(minted, options={"verify_signature": False})["role"] == "registrar"
    assert (
        client.get("/api/audit", headers={"Authorization": f"Bearer {minted}"}).status_code == 200
    )
    refused = CliRunner().invoke(
        cli, ["token", "--role", "advisor", "--subject", "x", "--ttl", "0h"]
    )
    assert refused.exit_code != 0


def test_local_secret_is_generated_once_when_not_configured(settings):
    unset = settings.model_copy(update={"auth_secret": type(settings.auth_secret)("")})
    first, second = TokenVerifier(unset), TokenVerifier(unset)
    key = (unset.var_dir / "auth-secret").read_text()
    assert len(key) >= 48 and first._secret == second._secret == key


class Jwks:
    """A JWKS endpoint for a locally generated RSA key, as an identity provider serves it."""

    def __init__(self) -> None:
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
        body = json.dumps(
            {"keys": [{**public, "kid": "k1", "use": "sig", "alg": "RS256"}]}
        ).encode()

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", free_port()), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/.well-known/jwks.json"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def sign(self, **claims) -> str:
        payload = {
            "exp": int(time.time()) + 60,
            "iss": "https://idp.example.edu",
            "aud": "bca",
            **claims,
        }
        return jwt.encode(payload, self.key, algorithm="RS256", headers={"kid": "k1"})


@pytest.fixture
def jwks():
    endpoint = Jwks()
    yield endpoint
    endpoint.server.shutdown()


def test_oidc_tokens_are_verified_against_the_jwks(settings, desk, jwks, people, banner):
    oidc = settings.model_copy(
        update={
            "oidc_jwks_url": jwks.url,
            "oidc_audience": "bca",
            "oidc_issuer": "https://idp.example.edu",
        }
    )
    app = create_app(oidc, approval_queue=lambda _s: nullcontext(_queue(desk, banner)))
    with TestClient(app) as client:

        def status(token: str) -> int:
            return client.get(
                "/api/approvals", headers={"Authorization": f"Bearer {token}"}
            ).status_code

        assert status(jwks.sign(sub=str(people.advisor), role="advisor", term="202610")) == 200
        assert status(jwks.sign(sub=str(people.advisor), role="advisor", aud="other-app")) == 401
        assert status(jwks.sign(sub=str(people.advisor), role="advisor", iss="https://evil")) == 401
        local = jwt.encode(
            {"sub": str(people.advisor), "role": "advisor", "exp": int(time.time()) + 60},
            settings.auth_secret.get_secret_value(),
        )
        assert status(local) == 401  # HS256 is not accepted once an identity provider is set
        other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        forged = jwt.encode(
            {
                "sub": "1",
                "role": "registrar",
                "exp": int(time.time()) + 60,
                "aud": "bca",
                "iss": "https://idp.example.edu",
            },
            other_key,
            algorithm="RS256",
            headers={"kid": "k1"},
        )
        assert status(forged) == 401
    with pytest.raises(ConfigurationError):
        from runtime.api.auth import mint_token

        mint_token(oidc, role=Role.ADVISOR, subject="1")
    with pytest.raises(InvalidToken, match="no signing key"):
        TokenVerifier(oidc).verify(
            jwt.encode({"sub": "1"}, other_key, algorithm="RS256", headers={"kid": "k9"})
        )


def _queue(desk, banner):
    from policies.scope import BannerDirectory
    from runtime.api.queue import GraphApprovalQueue

    return GraphApprovalQueue(desk.graph, desk.checkpointer, BannerDirectory(banner))


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _signed(settings: Any, claims: dict[str, Any], **headers: Any) -> str:
    secret = settings.auth_secret.get_secret_value()
    return jwt.encode({"exp": int(time.time()) + 60, **claims}, secret, headers=headers or None)


@pytest.mark.parametrize(
    ("name", "make", "detail"),
    [
        ("agent role, subject not a PIDM", lambda s: _signed(s, {"sub": "abc", "role": "support"}),
         r"^invalid token claims: "),
        ("alg none", lambda s: jwt.encode(
            {"sub": "42", "role": "advisor", "exp": int(time.time()) + 60}, "", algorithm="none"),
         r"^invalid token: "),
        ("not yet valid", lambda s: _signed(
            s, {"sub": "42", "role": "advisor", "nbf": int(time.time()) + 600}),
         r"not yet valid"),
        ("no role", lambda s: _signed(s, {"sub": "42"}), r"role"),
        ("a header whose bytes are not UTF-8", lambda s: "__4.e30.c2ln",
         r"^invalid token: not a well-formed signed JWT$"),
        ("a header that is not JSON", lambda s: "bm90IGpzb24.e30.c2ln",
         r"^invalid token: not a well-formed signed JWT$"),
        ("oversized", lambda s: _signed(s, {"sub": "42", "role": "advisor", "pad": "x" * 20000}),
         r"^token too large"),
    ],
)  # fmt: skip
def test_token_edge_cases_are_401_with_a_plain_reason(client, settings, name, make, detail):
    """Each is refused as 401 (never a 500), and the reason echoes no decoder internals."""
    response = client.get("/api/approvals", headers=_bearer(make(settings)))
    assert response.status_code == 401, (name, response.text)
    reason = response.json()["detail"]
    assert re.search(detail, reason), (name, reason)
    assert "codec" not in reason and "Traceback" not in reason
