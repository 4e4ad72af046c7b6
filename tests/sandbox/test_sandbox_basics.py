"""Envelope, request ids, authentication, scopes, unknown routes and the OpenAPI description."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
from sandbox_http import token_client


def test_success_envelope_shape(api: httpx.Client) -> None:
    body = api.get("/account").json()
    assert body["success"] is True
    assert body["message"] == "Account information retrieved successfully"
    assert set(body["meta"]) == {"request_id", "timestamp"}
    assert body["meta"]["timestamp"].endswith("+00:00")


def test_request_id_header_matches_meta(api: httpx.Client) -> None:
    response = api.get("/account")
    request_id = response.headers["X-Request-Id"]
    assert uuid.UUID(request_id).version == 4
    assert response.json()["meta"]["request_id"] == request_id


def test_request_ids_are_unique(api: httpx.Client) -> None:
    ids = {api.get("/account").headers["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5


def test_error_envelope_shape(api: httpx.Client) -> None:
    response = api.get("/contacts/999999")
    body = response.json()
    assert response.status_code == 404
    assert body["success"] is False
    assert body["error"]["code"] == "NOT_FOUND"
    assert body["error"]["message"] == body["message"]
    assert body["error"]["details"] == {}
    assert body["meta"]["request_id"] == response.headers["X-Request-Id"]


def test_missing_token_is_401(sandbox: Any) -> None:
    response = httpx.get(f"{sandbox.base_url}/account")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"
    assert "X-RateLimit-Limit" not in response.headers
    assert response.headers["X-Request-Id"] == response.json()["meta"]["request_id"]


def test_unknown_token_is_401(sandbox: Any) -> None:
    with token_client(sandbox, "sbx_not_a_real_token") as client:
        response = client.get("/account")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "UNAUTHORIZED"


def test_wrong_auth_scheme_is_401(sandbox: Any) -> None:
    headers = {"Authorization": f"Basic {sandbox.token}"}
    response = httpx.get(f"{sandbox.base_url}/account", headers=headers)
    assert response.status_code == 401


def test_x_api_key_header_works(sandbox: Any) -> None:
    response = httpx.get(f"{sandbox.base_url}/account", headers={"X-API-Key": sandbox.token})
    assert response.status_code == 200
    assert response.json()["data"]["subdomain"] == "sandbox"


def test_expired_token_is_401(sandbox: Any) -> None:
    record = sandbox.admin.create_token(name="expired", expires_in_seconds=-5)
    with token_client(sandbox, record["token"]) as client:
        response = client.get("/account")
    assert response.status_code == 401
    assert "expired" in response.json()["message"]


def test_future_expiry_token_works(sandbox: Any) -> None:
    record = sandbox.admin.create_token(name="later", expires_at="2099-01-01T00:00:00+00:00")
    with token_client(sandbox, record["token"]) as client:
        assert client.get("/account").status_code == 200


def test_token_expires_with_clock(sandbox: Any) -> None:
    record = sandbox.admin.create_token(name="short", expires_in_seconds=60)
    with token_client(sandbox, record["token"]) as client:
        assert client.get("/account").status_code == 200
        sandbox.admin.advance_clock(61)
        assert client.get("/account").status_code == 401


def test_missing_scope_is_403(sandbox: Any) -> None:
    record = sandbox.admin.create_token(name="reader", scopes=["contacts:read"])
    with token_client(sandbox, record["token"]) as client:
        response = client.post("/messages/text", json={"phone": "+966500000011", "message": "Hi"})
    body = response.json()
    assert response.status_code == 403
    assert body["error"]["code"] == "INSUFFICIENT_SCOPE"
    assert body["error"]["details"]["required_scope"] == "messages:send"
    assert "messages:send" in body["message"]


def test_scope_checked_before_validation(sandbox: Any) -> None:
    record = sandbox.admin.create_token(name="reader", scopes=["contacts:read"])
    with token_client(sandbox, record["token"]) as client:
        response = client.post("/contacts", json={})
    assert response.status_code == 403


ENDPOINT_SCOPES = [
    ("POST", "/messages/text", "messages:send"),
    ("POST", "/messages/media", "messages:send"),
    ("POST", "/messages/template", "messages:send"),
    ("POST", "/messages/interactive", "messages:send"),
    ("GET", "/messages", "messages:read"),
    ("GET", "/messages/messages", "messages:read"),
    ("GET", "/messages/1", "messages:read"),
    ("POST", "/auth/send-otp", "messages:send"),
    ("POST", "/auth/verify", "messages:send"),
    ("POST", "/auth/resend", "messages:send"),
    ("POST", "/auth/status", "messages:send"),
    ("GET", "/auth/templates", "templates:read"),
    ("GET", "/templates", "templates:read"),
    ("GET", "/templates/1290017745210301", "templates:read"),
    ("POST", "/templates/sync", "templates:sync"),
    ("GET", "/contacts", "contacts:read"),
    ("POST", "/contacts", "contacts:write"),
    ("GET", "/contacts/1", "contacts:read"),
    ("PATCH", "/contacts/1", "contacts:write"),
    ("DELETE", "/contacts/1", "contacts:delete"),
    ("POST", "/contacts/batch", "contacts:write"),
    ("DELETE", "/contacts/batch", "contacts:delete"),
    ("GET", "/groups", "groups:read"),
    ("POST", "/groups", "groups:write"),
    ("GET", "/groups/1", "groups:read"),
    ("PATCH", "/groups/1", "groups:write"),
    ("DELETE", "/groups/1", "groups:delete"),
    ("POST", "/groups/1/contacts", "groups:write"),
    ("DELETE", "/groups/1/contacts", "groups:write"),
    ("GET", "/account", "account:read"),
    ("GET", "/account/usage", "account:read"),
    ("GET", "/account/limits", "account:read"),
]


def test_every_endpoint_names_its_scope(sandbox: Any) -> None:
    record = sandbox.admin.create_token(name="no scopes", scopes=[])
    with token_client(sandbox, record["token"]) as client:
        for method, path, scope in ENDPOINT_SCOPES:
            response = client.request(method, path, json={})
            assert response.status_code == 403, (method, path)
            assert response.json()["error"]["details"]["required_scope"] == scope, (method, path)


def test_every_endpoint_allows_its_scope(sandbox: Any) -> None:
    for method, path, scope in ENDPOINT_SCOPES:
        record = sandbox.admin.create_token(name=scope, scopes=[scope])
        with token_client(sandbox, record["token"]) as client:
            response = client.request(method, path, json={})
        assert response.status_code != 403, (method, path, response.text)


def test_unknown_route_is_404(api: httpx.Client) -> None:
    response = api.get("/no-such-endpoint")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "NOT_FOUND"


def test_wrong_method_is_405(api: httpx.Client) -> None:
    response = api.put("/account")
    assert response.status_code == 405
    assert response.json()["error"]["code"] == "METHOD_NOT_ALLOWED"


def test_openapi_lists_api_routes(sandbox: Any) -> None:
    spec = httpx.get(f"{sandbox.root_url}/openapi.json").json()
    operations = {
        (method.upper(), path.removeprefix("/api/v2"))
        for path, item in spec["paths"].items()
        if path.startswith("/api/v2")
        for method in item
    }
    path_templates = {
        "/templates/1290017745210301": "/templates/{template_id}",
        "/contacts/1": "/contacts/{contact_id}",
        "/groups/1": "/groups/{group_id}",
        "/messages/1": "/messages/{message_id}",
    }
    expected = set()
    for method, path, _ in ENDPOINT_SCOPES:
        for concrete, template in path_templates.items():
            path = path.replace(concrete, template)
        expected.add((method, path))
    assert operations == expected


def test_openapi_names_required_scope(sandbox: Any) -> None:
    spec = httpx.get(f"{sandbox.root_url}/openapi.json").json()
    operation = spec["paths"]["/api/v2/messages/template"]["post"]
    assert operation["x-required-scope"] == "messages:send"
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    assert "template_name" in schema["required"]


def test_invalid_json_body_is_422(api: httpx.Client) -> None:
    response = api.post(
        "/messages/text", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_json_array_body_is_422(api: httpx.Client) -> None:
    response = api.post("/contacts", json=[1, 2])
    assert response.status_code == 422


def test_openapi_admin_outside_api(sandbox: Any) -> None:
    spec = httpx.get(f"{sandbox.root_url}/openapi.json").json()
    admin_paths = [path for path in spec["paths"] if "_sandbox" in path]
    assert admin_paths
    assert all(path.startswith("/_sandbox/") for path in admin_paths)


def test_form_encoded_body_accepted(api: httpx.Client) -> None:
    response = api.post("/messages/text", data={"phone": "+966500000011", "message": "مرحبا"})
    assert response.status_code == 201
    assert response.json()["data"]["message"] == "مرحبا"
