"""Contacts: create, read, update, delete, batches, pagination, sorting, search and filters."""

from __future__ import annotations

import threading
from typing import Any

import httpx
import pytest
from sandbox_http import token_client


def contact_body(number: int = 11, **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "firstname": f"First{number:02d}",
        "lastname": f"Last{number:02d}",
        "phone": f"+9665000000{number:02d}",
        "type": "lead",
        "source_id": 1,
        "status_id": 1,
    }
    body.update(overrides)
    return body


def create(api: httpx.Client, number: int = 11, **overrides: Any) -> dict[str, Any]:
    response = api.post("/contacts", json=contact_body(number, **overrides))
    assert response.status_code == 201, response.text
    return dict(response.json()["data"])


def errors_of(response: httpx.Response) -> dict[str, list[str]]:
    return dict(response.json()["error"]["details"]["errors"])


def test_create_contact_201(api: httpx.Client) -> None:
    response = api.post("/contacts", json=contact_body(email="a@example.com", company="Acme"))
    data = response.json()["data"]
    assert response.status_code == 201
    assert response.json()["message"] == "Contact created successfully"
    assert data["phone"] == "966500000011"
    assert data["email"] == "a@example.com"
    assert data["is_opted_out"] is False
    assert data["group_id"] == []
    assert data["groups"] == []


def test_create_contact_arabic_names(api: httpx.Client) -> None:
    data = create(api, firstname="\u200fمحمد", lastname="العلي")
    fetched = api.get(f"/contacts/{data['id']}").json()["data"]
    assert fetched["firstname"] == "\u200fمحمد"
    assert fetched["lastname"] == "العلي"


def test_create_contact_arabic_digits_phone(api: httpx.Client) -> None:
    data = create(api, phone="+٩٦٦٥٠٠٠٠٠٠١١")
    assert data["phone"] == "966500000011"


def test_create_contact_required_fields(api: httpx.Client) -> None:
    response = api.post("/contacts", json={})
    assert response.status_code == 422
    assert set(errors_of(response)) == {
        "firstname",
        "lastname",
        "phone",
        "type",
        "source_id",
        "status_id",
    }


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": "vip"}, "type"),
        ({"source_id": 99}, "source_id"),
        ({"status_id": 99}, "status_id"),
        ({"email": "not-an-email"}, "email"),
        ({"phone": "1" * 21}, "phone"),
        ({"firstname": "x" * 256}, "firstname"),
        ({"zip": "1" * 21}, "zip"),
        ({"groups": [999]}, "groups"),
        ({"source_id": "one"}, "source_id"),
    ],
)
def test_create_contact_invalid(api: httpx.Client, overrides: dict[str, Any], field: str) -> None:
    response = api.post("/contacts", json=contact_body(**overrides))
    assert response.status_code == 422
    assert field in errors_of(response)


def test_duplicate_phone_rejected(api: httpx.Client) -> None:
    create(api, phone="+966500000011")
    response = api.post("/contacts", json=contact_body(12, phone="966 500 000 011"))
    assert response.status_code == 422
    assert "phone" in errors_of(response)


def test_duplicate_email_rejected(api: httpx.Client) -> None:
    create(api, 11, email="dup@example.com")
    response = api.post("/contacts", json=contact_body(12, email="DUP@example.com"))
    assert response.status_code == 422
    assert "email" in errors_of(response)


def test_create_contact_limit(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.update_plan(limits={"contacts": 1})
    create(api, 11)
    response = api.post("/contacts", json=contact_body(12))
    assert response.status_code == 403
    assert response.json()["error"]["details"] == {
        "feature": "contacts",
        "current": 1,
        "maximum": 1,
    }


def test_create_with_groups(api: httpx.Client) -> None:
    group = api.post("/groups", json={"name": "VIP"}).json()["data"]
    data = create(api, groups=[group["id"]])
    assert data["group_id"] == [group["id"]]
    assert data["groups"][0]["name"] == "VIP"


def test_get_contact_includes(api: httpx.Client) -> None:
    data = create(api)
    fetched = api.get(f"/contacts/{data['id']}", params={"include": "source,status"}).json()["data"]
    assert fetched["source"]["name"] == "Website"
    assert fetched["status"]["name"] == "New"
    assert "groups" not in fetched


def test_get_contact_bad_include(api: httpx.Client) -> None:
    data = create(api)
    assert api.get(f"/contacts/{data['id']}", params={"include": "orders"}).status_code == 422


def test_get_contact_404(api: httpx.Client) -> None:
    assert api.get("/contacts/4040").status_code == 404
    assert api.get("/contacts/abc").status_code == 404


def test_update_contact_partial(api: httpx.Client) -> None:
    data = create(api, company="Old")
    response = api.patch(f"/contacts/{data['id']}", json={"company": "New", "type": "customer"})
    updated = response.json()["data"]
    assert response.status_code == 200
    assert response.json()["message"] == "Contact updated successfully"
    assert updated["company"] == "New"
    assert updated["type"] == "customer"
    assert updated["firstname"] == data["firstname"]


def test_update_contact_same_phone_allowed(api: httpx.Client) -> None:
    data = create(api)
    assert api.patch(f"/contacts/{data['id']}", json={"phone": "+966500000011"}).status_code == 200


def test_update_contact_other_phone_rejected(api: httpx.Client) -> None:
    create(api, 11)
    second = create(api, 12)
    response = api.patch(f"/contacts/{second['id']}", json={"phone": "966500000011"})
    assert response.status_code == 422
    assert "phone" in errors_of(response)


def test_update_contact_new_phone_indexed(api: httpx.Client) -> None:
    data = create(api, 11)
    api.patch(f"/contacts/{data['id']}", json={"phone": "+966500000099"})
    assert api.post("/contacts", json=contact_body(11)).status_code == 201
    assert api.post("/contacts", json=contact_body(99)).status_code == 422


def test_update_contact_404(api: httpx.Client) -> None:
    assert api.patch("/contacts/4040", json={"company": "x"}).status_code == 404


def test_delete_contact(api: httpx.Client) -> None:
    data = create(api)
    response = api.delete(f"/contacts/{data['id']}")
    assert response.status_code == 200
    assert response.json()["data"] is None
    assert api.get(f"/contacts/{data['id']}").status_code == 404
    assert api.delete(f"/contacts/{data['id']}").status_code == 404


def test_delete_frees_phone(api: httpx.Client) -> None:
    data = create(api)
    api.delete(f"/contacts/{data['id']}")
    assert api.post("/contacts", json=contact_body()).status_code == 201


def test_batch_create_summary(api: httpx.Client) -> None:
    create(api, 11)
    items = [contact_body(11), contact_body(12), contact_body(13, type="vip"), contact_body(14)]
    response = api.post("/contacts/batch", json={"contacts": items})
    data = response.json()["data"]
    assert response.status_code == 200
    assert data["summary"] == {"total": 4, "created": 2, "skipped": 0, "failed": 2}
    assert [contact["phone"] for contact in data["created"]] == ["966500000012", "966500000014"]
    assert [error["index"] for error in data["errors"]] == [0, 2]
    assert "phone" in data["errors"][0]["errors"]
    assert "type" in data["errors"][1]["errors"]


def test_batch_skip_duplicates(api: httpx.Client) -> None:
    create(api, 11)
    items = [contact_body(11), contact_body(12), contact_body(12)]
    body = {"contacts": items, "options": {"skip_duplicates": True}}
    data = api.post("/contacts/batch", json=body).json()["data"]
    assert data["summary"] == {"total": 3, "created": 1, "skipped": 2, "failed": 0}
    assert [item["index"] for item in data["skipped"]] == [0, 2]
    assert data["skipped"][0]["reason"] == "duplicate_phone"
    assert data["skipped"][0]["data"]["phone"] == "+966500000011"


def test_batch_duplicate_within_batch_fails(api: httpx.Client) -> None:
    data = api.post(
        "/contacts/batch", json={"contacts": [contact_body(12), contact_body(12)]}
    ).json()["data"]
    assert data["summary"]["created"] == 1
    assert data["summary"]["failed"] == 1


def test_batch_stop_on_error_rolls_back(api: httpx.Client) -> None:
    items = [contact_body(11), contact_body(12, type="vip"), contact_body(13)]
    response = api.post(
        "/contacts/batch", json={"contacts": items, "options": {"continue_on_error": False}}
    )
    assert response.status_code == 422
    assert response.json()["error"]["details"]["index"] == 1
    assert "contacts.1.type" in errors_of(response)
    assert api.get("/contacts").json()["meta"]["total"] == 0


def test_batch_max_size(api: httpx.Client) -> None:
    items = [contact_body(number % 100, phone=f"+9665{number:08d}") for number in range(101)]
    response = api.post("/contacts/batch", json={"contacts": items})
    assert response.status_code == 422
    assert "contacts" in errors_of(response)


def test_batch_of_hundred_ok(api: httpx.Client) -> None:
    items = [contact_body(0, phone=f"+9665{number:08d}") for number in range(100)]
    data = api.post("/contacts/batch", json={"contacts": items}).json()["data"]
    assert data["summary"]["created"] == 100


def test_batch_respects_contact_limit(api: httpx.Client, sandbox: Any) -> None:
    sandbox.admin.update_plan(limits={"contacts": 2})
    items = [contact_body(11), contact_body(12), contact_body(13)]
    response = api.post("/contacts/batch", json={"contacts": items})
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "FEATURE_LIMIT_EXCEEDED"
    assert api.get("/contacts").json()["meta"]["total"] == 0


def test_batch_delete_counts_unknown(api: httpx.Client) -> None:
    ids = [create(api, number)["id"] for number in (11, 12)]
    response = api.request("DELETE", "/contacts/batch", json={"ids": [*ids, 9999]})
    assert response.status_code == 200
    assert response.json()["data"]["summary"] == {"total": 3, "deleted": 2, "failed": 1}
    assert api.get("/contacts").json()["meta"]["total"] == 0


def test_batch_delete_validation(api: httpx.Client) -> None:
    assert api.request("DELETE", "/contacts/batch", json={}).status_code == 422
    assert (
        api.request("DELETE", "/contacts/batch", json={"ids": list(range(1, 102))}).status_code
        == 422
    )


def test_concurrent_batches_never_duplicate(sandbox: Any) -> None:
    items = [contact_body(0, phone=f"+9665{number:08d}") for number in range(60)]
    barrier = threading.Barrier(4)
    responses: list[httpx.Response] = []

    def post_batch(offset: int) -> None:
        with token_client(sandbox, sandbox.token) as client:
            barrier.wait(timeout=10)
            batch = items[offset : offset + 40]
            responses.append(client.post("/contacts/batch", json={"contacts": batch}))

    threads = [threading.Thread(target=post_batch, args=(offset,)) for offset in (0, 10, 20, 0)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    with token_client(sandbox, sandbox.token) as client:
        listed = client.get("/contacts", params={"per_page": 100}).json()
    phones = [contact["phone"] for contact in listed["data"]]
    created = sum(response.json()["data"]["summary"]["created"] for response in responses)
    assert len(responses) == 4
    assert len(phones) == len(set(phones))
    assert listed["meta"]["total"] == 60
    assert created == 60


def test_concurrent_creates_one_phone(sandbox: Any) -> None:
    barrier = threading.Barrier(6)
    statuses: list[int] = []

    def post_one() -> None:
        with token_client(sandbox, sandbox.token) as client:
            barrier.wait(timeout=10)
            statuses.append(client.post("/contacts", json=contact_body(11)).status_code)

    threads = [threading.Thread(target=post_one) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(statuses) == [201, 422, 422, 422, 422, 422]


@pytest.fixture
def twenty_contacts(api: httpx.Client) -> list[dict[str, Any]]:
    items = [
        contact_body(
            number,
            type=("lead", "customer", "guest")[number % 3],
            source_id=1 + number % 2,
            status_id=1 + number % 3,
            company="Acme" if number % 4 == 0 else None,
            email=f"user{number}@example.com" if number % 5 else None,
        )
        for number in range(1, 21)
    ]
    data = api.post("/contacts/batch", json={"contacts": items}).json()["data"]
    assert data["summary"]["created"] == 20
    return list(data["created"])


def test_pagination_meta_and_links(
    api: httpx.Client, twenty_contacts: list[dict[str, Any]]
) -> None:
    body = api.get("/contacts", params={"per_page": 8, "page": 2}).json()
    assert len(body["data"]) == 8
    assert body["meta"]["current_page"] == 2
    assert body["meta"]["per_page"] == 8
    assert body["meta"]["total"] == 20
    assert body["meta"]["last_page"] == 3
    assert body["meta"]["from"] == 9
    assert body["meta"]["to"] == 16
    assert "page=3" in body["links"]["next"]
    assert "page=1" in body["links"]["prev"]
    assert "per_page=8" in body["links"]["next"]


def test_pagination_default_fifteen(
    api: httpx.Client, twenty_contacts: list[dict[str, Any]]
) -> None:
    body = api.get("/contacts").json()
    assert len(body["data"]) == 15
    assert body["meta"]["per_page"] == 15


def test_pagination_last_page(api: httpx.Client, twenty_contacts: list[dict[str, Any]]) -> None:
    body = api.get("/contacts", params={"per_page": 8, "page": 3}).json()
    assert len(body["data"]) == 4
    assert body["links"]["next"] is None


def test_pagination_past_end_empty(
    api: httpx.Client, twenty_contacts: list[dict[str, Any]]
) -> None:
    body = api.get("/contacts", params={"page": 9}).json()
    assert body["data"] == []
    assert body["meta"]["from"] is None


def test_walk_pages_by_links(api: httpx.Client, twenty_contacts: list[dict[str, Any]]) -> None:
    seen: list[int] = []
    url: str | None = "/contacts?per_page=7&sort=id"
    for _ in range(10):
        if url is None:
            break
        body = api.get(url).json()
        seen += [item["id"] for item in body["data"]]
        url = body["links"]["next"]
    assert seen == sorted(item["id"] for item in twenty_contacts)


@pytest.mark.parametrize("params", [{"per_page": 101}, {"per_page": 0}, {"page": 0}, {"page": "x"}])
def test_pagination_bad_values(api: httpx.Client, params: dict[str, Any]) -> None:
    assert api.get("/contacts", params=params).status_code == 422


def test_sort_multiple_fields(api: httpx.Client, twenty_contacts: list[dict[str, Any]]) -> None:
    items = api.get("/contacts", params={"sort": "-lastname", "per_page": 100}).json()["data"]
    names = [item["lastname"] for item in items]
    assert names == sorted(names, reverse=True)
    items = api.get("/contacts", params={"sort": "firstname,-created_at", "per_page": 100}).json()[
        "data"
    ]
    assert [item["firstname"] for item in items] == sorted(item["firstname"] for item in items)


def test_sort_unknown_field(api: httpx.Client) -> None:
    response = api.get("/contacts", params={"sort": "email"})
    assert response.status_code == 422
    assert "email" in response.json()["message"]


def test_search_and_q(api: httpx.Client, twenty_contacts: list[dict[str, Any]]) -> None:
    assert api.get("/contacts", params={"search": "first07"}).json()["meta"]["total"] == 1
    assert api.get("/contacts", params={"q": "acme"}).json()["meta"]["total"] == 5
    assert api.get("/contacts", params={"search": "+966500000013"}).json()["meta"]["total"] == 1
    assert api.get("/contacts", params={"search": "user12@"}).json()["meta"]["total"] == 1


FILTER_CASES = [
    ({"filter[type]": "customer"}, lambda c: c["type"] == "customer"),
    ({"filter[source_id]": "2"}, lambda c: c["source_id"] == 2),
    ({"filter[status_id][ne]": "1"}, lambda c: c["status_id"] != 1),
    ({"filter[status_id][!=]": "1"}, lambda c: c["status_id"] != 1),
    ({"filter[status_id][in]": "1,3"}, lambda c: c["status_id"] in (1, 3)),
    ({"filter[status_id][not_in]": "1,3"}, lambda c: c["status_id"] not in (1, 3)),
    ({"filter[status_id][gte]": "2"}, lambda c: c["status_id"] >= 2),
    ({"filter[status_id][>=]": "2"}, lambda c: c["status_id"] >= 2),
    ({"filter[status_id][gt]": "2"}, lambda c: c["status_id"] > 2),
    ({"filter[status_id][>]": "2"}, lambda c: c["status_id"] > 2),
    ({"filter[status_id][lte]": "2"}, lambda c: c["status_id"] <= 2),
    ({"filter[status_id][<=]": "2"}, lambda c: c["status_id"] <= 2),
    ({"filter[status_id][lt]": "2"}, lambda c: c["status_id"] < 2),
    ({"filter[status_id][<]": "2"}, lambda c: c["status_id"] < 2),
    ({"filter[status_id][between]": "2,3"}, lambda c: 2 <= c["status_id"] <= 3),
    ({"filter[type][like]": "UST"}, lambda c: "ust" in c["type"]),
    ({"filter[assigned_id][null]": "true"}, lambda c: c["assigned_id"] is None),
    ({"filter[assigned_id][null]": "false"}, lambda c: c["assigned_id"] is not None),
    (
        {"filter[type]": "lead", "filter[source_id]": "1"},
        lambda c: c["type"] == "lead" and c["source_id"] == 1,
    ),
]


@pytest.mark.parametrize(("params", "predicate"), FILTER_CASES)
def test_filter_operators(
    api: httpx.Client, twenty_contacts: list[dict[str, Any]], params: dict[str, str], predicate: Any
) -> None:
    expected = sorted(item["id"] for item in twenty_contacts if predicate(item))
    items = api.get("/contacts", params={**params, "per_page": 100}).json()["data"]
    assert sorted(item["id"] for item in items) == expected


def test_filter_created_at(api: httpx.Client, twenty_contacts: list[dict[str, Any]]) -> None:
    created_at = twenty_contacts[0]["created_at"]
    day = created_at[:10]
    same_or_later = api.get("/contacts", params={"filter[created_at][gte]": day}).json()["meta"][
        "total"
    ]
    before = api.get("/contacts", params={"filter[created_at][lt]": day}).json()["meta"]["total"]
    assert same_or_later == 20
    assert before == 0


def test_filter_group_id(api: httpx.Client, twenty_contacts: list[dict[str, Any]]) -> None:
    group = api.post("/groups", json={"name": "Buyers"}).json()["data"]
    members = [twenty_contacts[0]["id"], twenty_contacts[5]["id"]]
    api.post(f"/groups/{group['id']}/contacts", json={"contact_ids": members})
    items = api.get("/contacts", params={"filter[group_id]": group["id"]}).json()["data"]
    others = api.get("/contacts", params={"filter[group_id][ne]": group["id"]}).json()["meta"][
        "total"
    ]
    assert sorted(item["id"] for item in items) == sorted(members)
    assert others == 18


@pytest.mark.parametrize(
    "params",
    [
        {"filter[email]": "x"},
        {"filter[type][approx]": "lead"},
        {"filter[status_id]": "one"},
        {"filter[status_id][between]": "1"},
        {"filter[created_at][gte]": "yesterday"},
        {"filter": "type"},
    ],
)
def test_filter_bad_values(api: httpx.Client, params: dict[str, str]) -> None:
    response = api.get("/contacts", params=params)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "VALIDATION_ERROR"


def test_fields_selection(api: httpx.Client, twenty_contacts: list[dict[str, Any]]) -> None:
    item = api.get("/contacts", params={"fields": "id,phone"}).json()["data"][0]
    assert set(item) == {"id", "phone"}
    assert api.get("/contacts", params={"fields": "id,password"}).status_code == 422


def test_list_include_groups(api: httpx.Client, twenty_contacts: list[dict[str, Any]]) -> None:
    item = api.get("/contacts", params={"include": "groups,status"}).json()["data"][0]
    assert item["groups"] == []
    assert "color" in item["status"]
