"""Templates (list, get, sync) and account info, usage and plan limits."""

from __future__ import annotations

import json
from typing import Any

import httpx


def test_list_templates_all_statuses(api: httpx.Client) -> None:
    body = api.get("/templates", params={"per_page": 100}).json()
    statuses = {item["status"] for item in body["data"]}
    assert statuses == {"APPROVED", "PENDING", "REJECTED"}
    assert body["meta"]["total"] == 8


def test_list_templates_filters(api: httpx.Client) -> None:
    approved = api.get("/templates", params={"filter[status]": "APPROVED"}).json()["meta"]["total"]
    arabic = api.get("/templates", params={"filter[language]": "ar"}).json()["data"]
    utility = api.get("/templates", params={"search": "utility"}).json()["meta"]["total"]
    assert approved == 6
    assert [item["template_name"] for item in arabic] == ["order_confirmation"]
    assert utility == 3


def test_list_templates_sort(api: httpx.Client) -> None:
    names = [
        item["template_name"]
        for item in api.get("/templates", params={"sort": "-template_name"}).json()["data"]
    ]
    assert names == sorted(names, reverse=True)


def test_seeded_templates_shape(api: httpx.Client) -> None:
    by_key = {
        (item["template_name"], item["language"]): item
        for item in api.get("/templates", params={"per_page": 100}).json()["data"]
    }
    welcome = by_key[("welcome_offer", "en")]
    order = by_key[("order_confirmation", "ar")]
    otp = by_key[("otp_login", "en")]
    assert (welcome["category"], welcome["status"], welcome["body_params_count"]) == (
        "MARKETING",
        "APPROVED",
        1,
    )
    assert (order["category"], order["body_params_count"]) == ("UTILITY", 3)
    assert ("order_confirmation", "en") in by_key
    assert otp["category"] == "AUTHENTICATION"
    assert "{{1}}" in otp["body_data"]
    assert isinstance(welcome["template_id"], str)
    assert welcome["name"] == welcome["template_name"]


def test_get_template_by_whatsapp_id(api: httpx.Client) -> None:
    listed = api.get("/templates", params={"filter[template_name]": "welcome_offer"}).json()[
        "data"
    ][0]
    response = api.get(f"/templates/{listed['template_id']}")
    data = response.json()["data"]
    assert response.status_code == 200
    assert data["id"] == listed["id"]
    assert data["header_data_format"] == "NONE"
    assert isinstance(data["components"], list)


def test_get_template_buttons_json_string(api: httpx.Client) -> None:
    listed = api.get("/templates", params={"filter[template_name]": "shipping_update"}).json()[
        "data"
    ][0]
    buttons = json.loads(listed["buttons_data"])
    assert buttons[0]["type"] == "URL"


def test_get_template_integer_id_404(api: httpx.Client) -> None:
    response = api.get("/templates/1")
    assert response.status_code == 404
    assert "template_id" in response.json()["message"]


def test_sync_templates(api: httpx.Client, sandbox: Any) -> None:
    response = api.post("/templates/sync")
    data = response.json()["data"]
    assert response.status_code == 200
    assert data["synced"] == 8
    assert data["by_status"]["APPROVED"] == 6


def test_sync_templates_not_configured(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.update_plan(whatsapp_configured=False)
    response = api.post("/templates/sync")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "WHATSAPP_NOT_CONFIGURED"


def test_account_info(api: httpx.Client) -> None:
    data = api.get("/account").json()["data"]
    assert data["id"] == 1
    assert data["name"] == "Sandbox Trading Co"
    assert data["status"] == "active"
    assert "subscription" in data


def test_usage_counts_contacts(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.update_plan(limits={"contacts": 4})
    for number in range(3):
        api.post(
            "/messages/template",
            json={
                "phone": f"+96650000001{number}",
                "template_name": "welcome_offer",
                "language": "en",
                "field_1": "x",
            },
        )
    body = api.get("/account/usage").json()
    contacts = body["data"]["contacts"]
    assert body["message"] == "Usage statistics retrieved successfully"
    assert contacts == {
        "current": 3,
        "limit": 4,
        "remaining": 1,
        "percentage_used": 75.0,
        "is_unlimited": False,
    }
    assert body["data"]["conversations"]["current"] == 3
    assert body["data"]["conversations"]["is_unlimited"] is True


def test_usage_drops_after_delete(api: httpx.Client) -> None:
    created = api.post(
        "/contacts",
        json={
            "firstname": "A",
            "lastname": "B",
            "phone": "+966500000011",
            "type": "lead",
            "source_id": 1,
            "status_id": 1,
        },
    ).json()["data"]
    api.delete(f"/contacts/{created['id']}")
    assert api.get("/account/usage").json()["data"]["contacts"]["current"] == 0


def test_plan_limits_token_rpm(sandbox: Any) -> None:
    record = sandbox.admin.create_token(name="slow", rpm=42)
    response = httpx.get(
        f"{sandbox.base_url}/account/limits", headers={"X-API-Key": record["token"]}
    )
    data = response.json()["data"]
    assert data["limits"]["api_calls_per_minute"]["limit"] == 42
    assert data["limits"]["contacts"]["is_unlimited"] is False
    assert data["limits"]["conversations"]["is_unlimited"] is True
    assert data["features"]["api_access"] is True
    assert response.json()["message"] == "Plan limits retrieved successfully"
