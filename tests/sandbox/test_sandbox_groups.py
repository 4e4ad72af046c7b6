"""Groups: create, read, rename, delete, membership and list parameters."""

from __future__ import annotations

from typing import Any

import httpx
import pytest


def new_contact(api: httpx.Client, number: int) -> int:
    body = {
        "firstname": "F",
        "lastname": "L",
        "phone": f"+9665000000{number:02d}",
        "type": "lead",
        "source_id": 1,
        "status_id": 1,
    }
    return int(api.post("/contacts", json=body).json()["data"]["id"])


def new_group(api: httpx.Client, name: str) -> dict[str, Any]:
    response = api.post("/groups", json={"name": name})
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])


def test_create_group(api: httpx.Client) -> None:
    response = api.post("/groups", json={"name": "عملاء مميزون"})
    data = response.json()["data"]
    assert response.status_code == 201
    assert response.json()["message"] == "Group created successfully"
    assert data["name"] == "عملاء مميزون"
    assert set(data) == {"id", "name", "created_at", "updated_at"}


def test_group_name_required(api: httpx.Client) -> None:
    response = api.post("/groups", json={})
    assert response.status_code == 422
    assert response.json()["error"]["details"]["errors"]["name"] == ["Group name is required"]


def test_group_name_unique(api: httpx.Client) -> None:
    new_group(api, "VIP")
    response = api.post("/groups", json={"name": "vip"})
    assert response.status_code == 422
    assert "already exists" in response.json()["message"]


def test_get_group(api: httpx.Client) -> None:
    group = new_group(api, "VIP")
    assert api.get(f"/groups/{group['id']}").json()["data"] == group
    assert api.get("/groups/999").status_code == 404


def test_update_group(api: httpx.Client) -> None:
    group = new_group(api, "VIP")
    other = new_group(api, "Other")
    renamed = api.patch(f"/groups/{group['id']}", json={"name": "Gold"})
    same_name = api.patch(f"/groups/{group['id']}", json={"name": "Gold"})
    clash = api.patch(f"/groups/{other['id']}", json={"name": "gold"})
    assert renamed.status_code == 200
    assert renamed.json()["data"]["name"] == "Gold"
    assert renamed.json()["message"] == "Group updated successfully"
    assert same_name.status_code == 200
    assert clash.status_code == 422
    assert api.patch("/groups/999", json={"name": "x"}).status_code == 404


def test_delete_group_keeps_contacts(api: httpx.Client) -> None:
    group = new_group(api, "VIP")
    contact_id = new_contact(api, 11)
    api.post(f"/groups/{group['id']}/contacts", json={"contact_ids": [contact_id]})
    response = api.delete(f"/groups/{group['id']}")
    assert response.status_code == 200
    assert api.get(f"/groups/{group['id']}").status_code == 404
    assert api.get(f"/contacts/{contact_id}").json()["data"]["group_id"] == []
    assert api.delete(f"/groups/{group['id']}").status_code == 404


def test_delete_group_needs_delete_scope(sandbox: Any) -> None:
    record = sandbox.admin.create_token(name="writer", scopes=["groups:write", "groups:read"])
    headers = {"Authorization": f"Bearer {record['token']}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers) as client:
        group = client.post("/groups", json={"name": "VIP"}).json()["data"]
        response = client.delete(f"/groups/{group['id']}")
    assert response.status_code == 403
    assert response.json()["error"]["details"]["required_scope"] == "groups:delete"


def test_add_contacts_skips_members(api: httpx.Client) -> None:
    group = new_group(api, "VIP")
    first, second = new_contact(api, 11), new_contact(api, 12)
    added = api.post(f"/groups/{group['id']}/contacts", json={"contact_ids": [first]})
    again = api.post(
        f"/groups/{group['id']}/contacts", json={"contact_ids": [first, second, second]}
    )
    assert added.json()["data"] == {"group_id": group["id"], "contacts_added": 1}
    assert again.json()["data"]["contacts_added"] == 1
    assert api.get(f"/contacts/{second}").json()["data"]["group_id"] == [group["id"]]


def test_add_unknown_contact_422(api: httpx.Client) -> None:
    group = new_group(api, "VIP")
    contact_id = new_contact(api, 11)
    response = api.post(f"/groups/{group['id']}/contacts", json={"contact_ids": [contact_id, 4242]})
    assert response.status_code == 422
    assert "do not exist" in response.json()["message"]
    assert api.get(f"/contacts/{contact_id}").json()["data"]["group_id"] == []


@pytest.mark.parametrize(
    "body", [{}, {"contact_ids": []}, {"contact_ids": ["a"]}, {"contact_ids": 5}]
)
def test_membership_validation(api: httpx.Client, body: dict[str, Any]) -> None:
    group = new_group(api, "VIP")
    assert api.post(f"/groups/{group['id']}/contacts", json=body).status_code == 422
    assert api.request("DELETE", f"/groups/{group['id']}/contacts", json=body).status_code == 422


def test_membership_unknown_group_404(api: httpx.Client) -> None:
    assert api.post("/groups/999/contacts", json={"contact_ids": [1]}).status_code == 404


def test_remove_contacts_skips_non_members(api: httpx.Client) -> None:
    group = new_group(api, "VIP")
    first, second = new_contact(api, 11), new_contact(api, 12)
    api.post(f"/groups/{group['id']}/contacts", json={"contact_ids": [first]})
    response = api.request(
        "DELETE", f"/groups/{group['id']}/contacts", json={"contact_ids": [first, second, 4242]}
    )
    assert response.status_code == 200
    assert response.json()["data"] == {"group_id": group["id"], "contacts_removed": 1}
    assert api.get(f"/contacts/{first}").json()["data"]["group_id"] == []


def test_list_groups_sorted_search(api: httpx.Client) -> None:
    for name in ("Zeta", "Alpha", "Mid Alpha"):
        new_group(api, name)
    names = [item["name"] for item in api.get("/groups").json()["data"]]
    found = [item["name"] for item in api.get("/groups", params={"search": "alpha"}).json()["data"]]
    descending = [
        item["name"] for item in api.get("/groups", params={"sort": "-name"}).json()["data"]
    ]
    assert names == ["Alpha", "Mid Alpha", "Zeta"]
    assert found == ["Alpha", "Mid Alpha"]
    assert descending == ["Zeta", "Mid Alpha", "Alpha"]
    assert api.get("/groups", params={"filter[name]": "zeta"}).json()["meta"]["total"] == 1
    assert api.get("/groups", params={"sort": "size"}).status_code == 422
