"""Contact tasks against the sandbox over real HTTP, checked by reading contacts back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from rasl_prefect import RaslCredentials
from rasl_prefect.exceptions import RaslNotFoundError, RaslValidationError
from rasl_prefect.models import BatchCreateResult, BatchDeleteResult, Contact, Page
from rasl_prefect.tasks import (
    batch_create_contacts,
    batch_delete_contacts,
    create_contact,
    delete_contact,
    get_contact,
    list_contacts,
    update_contact,
)
from rasl_prefect.tasks.listing import ItemList


def contact_fields(phone: str, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "firstname": "Sara",
        "lastname": "Haddad",
        "phone": phone,
        "type": "lead",
        "source_id": 1,
        "status_id": 1,
    }
    fields.update(overrides)
    return fields


def read_contact(api: httpx.Client, contact_id: int | None) -> httpx.Response:
    return api.get(f"/contacts/{contact_id}")


def test_create_contact_stores_fields(credentials: RaslCredentials, api: httpx.Client) -> None:
    contact = create_contact.fn(
        credentials,
        **contact_fields(
            "+966500000041", firstname="سارة", city="الرياض", email="sara@example.com"
        ),
    )

    assert isinstance(contact, Contact)
    stored = read_contact(api, contact.id).json()["data"]
    assert stored["firstname"] == "سارة"
    assert stored["city"] == "الرياض"
    assert stored["email"] == "sara@example.com"
    assert stored["phone"] == "966500000041"


def test_create_contact_duplicate_phone(credentials: RaslCredentials) -> None:
    create_contact.fn(credentials, **contact_fields("+966500000042"))

    with pytest.raises(RaslValidationError):
        create_contact.fn(credentials, **contact_fields("+966500000042", firstname="Omar"))


def test_get_contact_includes_groups(credentials: RaslCredentials, api: httpx.Client) -> None:
    group_id = api.post("/groups", json={"name": "VIP"}).json()["data"]["id"]
    created = create_contact.fn(credentials, **contact_fields("+966500000043", groups=[group_id]))

    contact = get_contact.fn(credentials, contact_id=created.id, include=["groups"])

    assert contact.id == created.id
    assert contact.groups is not None
    assert [group["id"] for group in contact.groups] == [group_id]


def test_get_contact_unknown_id(credentials: RaslCredentials) -> None:
    with pytest.raises(RaslNotFoundError):
        get_contact.fn(credentials, contact_id=999_999)


def test_update_contact_changes_fields(credentials: RaslCredentials, api: httpx.Client) -> None:
    created = create_contact.fn(credentials, **contact_fields("+966500000044"))

    updated = update_contact.fn(
        credentials, contact_id=created.id, changes={"type": "customer", "city": "Jeddah"}
    )

    assert updated.type == "customer"
    stored = read_contact(api, created.id).json()["data"]
    assert stored["type"] == "customer"
    assert stored["city"] == "Jeddah"
    assert stored["firstname"] == "Sara"


def test_update_contact_rejects_bad_type(credentials: RaslCredentials, api: httpx.Client) -> None:
    created = create_contact.fn(credentials, **contact_fields("+966500000045"))

    with pytest.raises(RaslValidationError):
        update_contact.fn(credentials, contact_id=created.id, changes={"type": "vendor"})

    assert read_contact(api, created.id).json()["data"]["type"] == "lead"


def test_delete_contact_removes_it(credentials: RaslCredentials, api: httpx.Client) -> None:
    created = create_contact.fn(credentials, **contact_fields("+966500000046"))

    result = delete_contact.fn(credentials, contact_id=created.id)

    assert result.id == created.id
    assert read_contact(api, created.id).status_code == 404


def test_batch_create_skips_duplicates(credentials: RaslCredentials, api: httpx.Client) -> None:
    create_contact.fn(credentials, **contact_fields("+966500000047"))

    result = batch_create_contacts.fn(
        credentials,
        contacts=[
            contact_fields("+966500000047"),
            contact_fields("+966500000048", firstname="Omar"),
        ],
        skip_duplicates=True,
    )

    assert isinstance(result, BatchCreateResult)
    assert result.summary.created == 1
    assert result.summary.skipped == 1
    assert [item.index for item in result.skipped] == [0]
    assert [contact.phone for contact in result.created] == ["966500000048"]
    search = api.get("/contacts", params={"search": "966500000048"}).json()["data"]
    assert [item["firstname"] for item in search] == ["Omar"]


def test_batch_create_reports_failures(credentials: RaslCredentials) -> None:
    result = batch_create_contacts.fn(
        credentials,
        contacts=[
            contact_fields("+966500000049"),
            contact_fields("+966500000050", source_id=9999),
        ],
    )

    assert result.summary.created == 1
    assert result.summary.failed == 1
    assert [item.index for item in result.errors] == [1]


def test_batch_delete_counts_unknown(credentials: RaslCredentials, api: httpx.Client) -> None:
    first = create_contact.fn(credentials, **contact_fields("+966500000051"))
    second = create_contact.fn(credentials, **contact_fields("+966500000052"))
    assert first.id is not None
    assert second.id is not None

    result = batch_delete_contacts.fn(credentials, ids=[first.id, second.id, 999_999])

    assert isinstance(result, BatchDeleteResult)
    assert result.summary.deleted == 2
    assert result.summary.failed == 1
    assert read_contact(api, first.id).status_code == 404
    assert read_contact(api, second.id).status_code == 404


def test_list_contacts_reads_every_page(credentials: RaslCredentials, api: httpx.Client) -> None:
    phones = [f"+9665000001{number:02d}" for number in range(7)]
    batch_create_contacts.fn(credentials, contacts=[contact_fields(phone) for phone in phones])
    expected = api.get("/contacts").json()["meta"]["total"]

    contacts = list_contacts.fn(credentials, per_page=3)

    assert isinstance(contacts, ItemList)
    assert len(contacts.items) == expected
    assert {f"+{contact.phone}" for contact in contacts.items} >= set(phones)


def test_list_contacts_filters_type(credentials: RaslCredentials) -> None:
    create_contact.fn(credentials, **contact_fields("+966500000061", type="customer"))
    create_contact.fn(credentials, **contact_fields("+966500000062", type="lead"))

    customers = list_contacts.fn(credentials, filter={"type": "customer"})

    assert isinstance(customers, ItemList)
    assert [contact.phone for contact in customers.items] == ["966500000061"]


def test_list_contacts_one_page(credentials: RaslCredentials) -> None:
    create_contact.fn(credentials, **contact_fields("+966500000063"))

    page = list_contacts.fn(credentials, page=1, per_page=1)

    assert isinstance(page, Page)
    assert len(page.items) == 1
    assert page.per_page == 1
