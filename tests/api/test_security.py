"""Response headers, the session cookie, and who may read the operations routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app import create_app
from policies.rbac import Role

ELSEWHERE = ("203.0.113.9", 40000)
OPS = ["/metrics", "/docs", "/openapi.json"]


@pytest.fixture
def remote(app: FastAPI) -> Iterator[TestClient]:
    """A client on another host (the address is a documentation range)."""
    with TestClient(app, client=ELSEWHERE) as c:
        yield c


@pytest.mark.parametrize("path", OPS)
def test_operations_routes_answer_this_host_and_operators_only(
    client: TestClient, remote: TestClient, token: Any, path: str
) -> None:
    assert client.get(path).status_code == 200
    refused = remote.get(path)
    assert refused.status_code == 403 and "operator" in refused.json()["detail"]
    assert remote.get(path, headers=token(Role.ADVISOR, 100001)).status_code == 403
    assert remote.get(path, headers=token(Role.REGISTRAR, "registrar")).status_code == 200


def test_token_mode_closes_them_on_this_host_too_and_open_mode_opens_them(
    settings: Any, desk: Any, banner: Any, token: Any
) -> None:
    del desk, banner
    with TestClient(create_app(replace_settings(settings, ops_access="token"))) as local:
        assert local.get("/metrics").status_code == 403
        assert local.get("/metrics", headers=token(Role.REGISTRAR, "r")).status_code == 200
    with TestClient(
        create_app(replace_settings(settings, ops_access="open")), client=ELSEWHERE
    ) as c:
        assert c.get("/metrics").status_code == 200


def replace_settings(settings: Any, **changes: Any) -> Any:
    return settings.model_copy(update=changes)


def test_pages_carry_a_policy_that_only_this_origin_and_canvas_may_frame(
    client: TestClient, settings: Any
) -> None:
    page = client.get("/dashboard/sign-in")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert f"frame-ancestors 'self' {settings.canvas_url.rstrip('/')}" in csp
    assert page.headers["x-frame-options"] == "SAMEORIGIN"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["cache-control"] == "no-store"
    assert "no-store" not in client.get("/static/dashboard.css").headers.get("cache-control", "")


def test_the_session_cookie_lives_a_working_day_and_is_secure_behind_https(
    client: TestClient, token: Any
) -> None:
    form = client.get("/dashboard/sign-in")
    csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
    bearer = token(Role.REGISTRAR, "registrar")["Authorization"].split(" ", 1)[1]
    signed = client.post(
        "/dashboard/sign-in",
        data={"token": bearer, "csrf": csrf},
        headers={"X-Forwarded-Proto": "https"},
        follow_redirects=False,
    )
    cookie = next(
        v for k, v in signed.headers.multi_items() if k == "set-cookie" and "bca_session" in v
    )
    assert "Max-Age=28800" in cookie and "Secure" in cookie and "HttpOnly" in cookie
