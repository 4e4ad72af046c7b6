"""Group tasks against the sandbox over real HTTP, checked by reading groups and contacts back."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from rasl_prefect import RaslCredentials
from rasl_prefect.exceptions import RaslNotFoundError, RaslValidationError
from rasl_prefect.models import Group, GroupMembershipChange, Page
from rasl_prefect.tasks import (
    add_contacts_to_group,
    create_group,
    delete_group,
    get_group,
    list_groups,
    remove_contacts_from_group,
    update_group,
)
from rasl_prefect.tasks.listing import ItemList


def make_contacts(api: httpx.Client, count: int) -> list[int]:
    ids = []
    for number in range(count):
        body = {
            "firstname": f"Member {number}",
            "lastname": "Test",
            "phone": f"+9665000002{number:02d}",
            "type": "lead",
            "source_id": 1,
            "status_id": 1,
        }
        response = api.post("/contacts", json=body)
        response.raise_for_status()
        ids.append(response.json()["data"]["id"])
    return ids


def member_groups(api: httpx.Client, contact_id: int) -> list[Any]:
    return list(api.get(f"/contacts/{contact_id}").json()["data"]["group_id"])


def test_create_group_stores_name(credentials: RaslCredentials, api: httpx.Client) -> None:
    group = create_group.fn(credentials, name="عملاء مميزون")

    assert isinstance(group, Group)
    assert api.get(f"/groups/{group.id}").json()["data"]["name"] == "عملاء مميزون"


def test_create_group_duplicate_name(credentials: RaslCredentials) -> None:
    create_group.fn(credentials, name="VIP")

    with pytest.raises(RaslValidationError):
        create_group.fn(credentials, name="VIP")


def test_get_group_reads_it(credentials: RaslCredentials) -> None:
    created = create_group.fn(credentials, name="VIP")
    assert created.id is not None

    group = get_group.fn(credentials, group_id=created.id)

    assert group.id == created.id
    assert group.name == "VIP"


def test_update_group_renames_it(credentials: RaslCredentials, api: httpx.Client) -> None:
    created = create_group.fn(credentials, name="VIP")
    assert created.id is not None

    renamed = update_group.fn(credentials, group_id=created.id, name="Gold")

    assert renamed.name == "Gold"
    assert api.get(f"/groups/{created.id}").json()["data"]["name"] == "Gold"


def test_delete_group_removes_it(credentials: RaslCredentials, api: httpx.Client) -> None:
    created = create_group.fn(credentials, name="VIP")
    assert created.id is not None

    result = delete_group.fn(credentials, group_id=created.id)

    assert result.id == created.id
    assert api.get(f"/groups/{created.id}").status_code == 404


def test_delete_group_unknown_id(credentials: RaslCredentials) -> None:
    with pytest.raises(RaslNotFoundError):
        delete_group.fn(credentials, group_id=999_999)


def test_add_contacts_counts_new(credentials: RaslCredentials, api: httpx.Client) -> None:
    group = create_group.fn(credentials, name="VIP")
    assert group.id is not None
    first, second = make_contacts(api, 2)
    add_contacts_to_group.fn(credentials, group_id=group.id, contact_ids=[first])

    change = add_contacts_to_group.fn(credentials, group_id=group.id, contact_ids=[first, second])

    assert isinstance(change, GroupMembershipChange)
    assert change.contacts_added == 1
    assert member_groups(api, first) == [group.id]
    assert member_groups(api, second) == [group.id]


def test_remove_contacts_counts_members(credentials: RaslCredentials, api: httpx.Client) -> None:
    group = create_group.fn(credentials, name="VIP")
    assert group.id is not None
    first, second = make_contacts(api, 2)
    add_contacts_to_group.fn(credentials, group_id=group.id, contact_ids=[first])

    change = remove_contacts_from_group.fn(
        credentials, group_id=group.id, contact_ids=[first, second]
    )

    assert change.contacts_removed == 1
    assert member_groups(api, first) == []


def test_add_contacts_unknown_group(credentials: RaslCredentials, api: httpx.Client) -> None:
    (contact_id,) = make_contacts(api, 1)

    with pytest.raises(RaslNotFoundError):
        add_contacts_to_group.fn(credentials, group_id=999_999, contact_ids=[contact_id])


def test_list_groups_reads_every_page(credentials: RaslCredentials) -> None:
    names = [f"Group {number}" for number in range(5)]
    for name in names:
        create_group.fn(credentials, name=name)

    groups = list_groups.fn(credentials, per_page=2)

    assert isinstance(groups, ItemList)
    assert sorted(group.name or "" for group in groups.items) == names


def test_list_groups_one_page(credentials: RaslCredentials) -> None:
    for number in range(3):
        create_group.fn(credentials, name=f"Group {number}")

    page = list_groups.fn(credentials, page=2, per_page=2, sort="name")

    assert isinstance(page, Page)
    assert [group.name for group in page.items] == ["Group 2"]
