"""Fault injection: 500, 503, connection resets, dropped responses, latency and 429 bursts."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from rasl_prefect.sandbox import SandboxAdminError

TEMPLATE = {
    "phone": "+966500000011",
    "template_name": "welcome_offer",
    "language": "en",
    "field_1": "Sara",
}
CONNECTION_ERRORS = (httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError)


def message_total(api: httpx.Client) -> int:
    return int(api.get("/messages").json()["meta"]["total"])


def test_error_500_not_processed(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.set_faults(error_500=1.0, paths=["/api/v2/messages/template"])
    response = api.post("/messages/template", json=TEMPLATE)
    sandbox.admin.clear_faults()
    assert response.status_code == 500
    assert response.json()["error"]["code"] == "INTERNAL_ERROR"
    assert "X-RateLimit-Remaining" in response.headers
    assert message_total(api) == 0


def test_error_503_retry_after(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.set_faults(error_503=1.0)
    response = api.get("/account")
    assert response.status_code == 503
    assert response.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    assert response.headers["Retry-After"] == "1"


def test_reset_before_response(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.set_faults(reset=1.0, paths=["/api/v2/messages/template"])
    with pytest.raises(CONNECTION_ERRORS):
        api.post("/messages/template", json=TEMPLATE)
    sandbox.admin.clear_faults()
    assert message_total(api) == 0
    assert sandbox.admin.stats()["routes"]["POST /api/v2/messages/template"] == {"reset": 1}


def test_drop_after_commit_keeps_effect(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.set_faults(drop_after_commit=1.0, paths=["/api/v2/messages/template"])
    with pytest.raises(CONNECTION_ERRORS):
        api.post("/messages/template", json=TEMPLATE)
    sandbox.admin.clear_faults()
    assert message_total(api) == 1
    assert sandbox.admin.faults()["injected"] == {"drop_after_commit": 1}
    assert sandbox.admin.stats()["routes"]["POST /api/v2/messages/template"] == {"dropped": 1}


def test_drop_after_commit_new_client(sandbox: Any) -> None:
    sandbox.admin.set_faults(drop_after_commit=1.0, paths=["/api/v2/contacts"])
    body = {
        "firstname": "A",
        "lastname": "B",
        "phone": "+966500000011",
        "type": "lead",
        "source_id": 1,
        "status_id": 1,
    }
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with pytest.raises(CONNECTION_ERRORS):
        httpx.post(f"{sandbox.base_url}/contacts", json=body, headers=headers)
    sandbox.admin.clear_faults()
    again = httpx.post(f"{sandbox.base_url}/contacts", json=body, headers=headers)
    assert again.status_code == 422
    assert "phone" in again.json()["error"]["details"]["errors"]


def test_client_recovers_after_fault(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.set_faults(reset=1.0)
    with pytest.raises(CONNECTION_ERRORS):
        api.get("/account")
    sandbox.admin.clear_faults()
    assert api.get("/account").status_code == 200


def test_latency_added(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.set_faults(latency_ms=300)
    started = time.monotonic()
    api.get("/account")
    elapsed = time.monotonic() - started
    assert elapsed >= 0.3


def test_burst_429_then_normal(sandbox: Any) -> None:
    token = sandbox.admin.create_token(name="burst", rpm=10)
    sandbox.admin.set_faults(burst_429=2, seed=1)
    headers = {"Authorization": f"Bearer {token['token']}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers) as client:
        responses = [client.get("/account") for _ in range(3)]
    assert [response.status_code for response in responses] == [429, 429, 200]
    assert responses[0].json()["error"]["code"] == "RATE_LIMIT_EXCEEDED"
    assert "Retry-After" in responses[0].headers
    assert responses[2].headers["X-RateLimit-Remaining"] == "9"


def test_seed_reproducible(api: httpx.Client, sandbox: Any) -> None:
    runs = []
    for _ in range(2):
        sandbox.admin.set_faults(error_500=0.5, seed=42)
        runs.append([api.get("/account").status_code for _ in range(20)])
    assert runs[0] == runs[1]
    assert set(runs[0]) == {200, 500}


def test_paths_limit_faults(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.set_faults(error_500=1.0, paths=["/api/v2/messages"])
    assert api.get("/account").status_code == 200
    assert api.get("/messages").status_code == 500


def test_admin_api_never_faulted(sandbox: Any) -> None:
    sandbox.admin.set_faults(reset=1.0, error_500=1.0)
    assert sandbox.admin.stats()["total"] == 0
    assert sandbox.admin.health() == {"status": "ok"}


def test_faults_counted(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.set_faults(error_503=1.0)
    api.get("/account")
    api.get("/account")
    assert sandbox.admin.faults()["injected"] == {"error_503": 2}
    assert sandbox.admin.stats()["faults_injected"] == {"error_503": 2}


@pytest.mark.parametrize("settings", [{"error_500": 2}, {"latency_ms": -1}, {"timeout": 1}])
def test_invalid_fault_settings(sandbox: Any, settings: dict[str, Any]) -> None:
    with pytest.raises(SandboxAdminError, match="422"):
        sandbox.admin.set_faults(**settings)


def test_reset_turns_faults_off(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.set_faults(error_500=1.0)
    sandbox.admin.reset()
    assert api.get("/account").status_code == 200
