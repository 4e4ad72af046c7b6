"""The ItemList result of list tasks that read every page."""

from __future__ import annotations

import pickle

from rasl_prefect.models import Group
from rasl_prefect.tasks import ItemList


def make_groups() -> ItemList[Group]:
    return ItemList[Group]([Group(id=1, name="VIP"), Group(id=2, name="عملاء")])


def test_item_list_works_as_list() -> None:
    groups = make_groups()

    assert len(groups) == 2
    assert groups[1].name == "عملاء"
    assert [group.id for group in groups] == [1, 2]
    assert groups.items == list(groups)


def test_item_list_dumps_as_array() -> None:
    dumped = make_groups().model_dump(mode="json", exclude_none=True)

    assert dumped == [{"id": 1, "name": "VIP"}, {"id": 2, "name": "عملاء"}]


def test_item_list_survives_pickle() -> None:
    groups = make_groups()

    restored = pickle.loads(pickle.dumps(groups))

    assert type(restored) is type(groups)
    assert restored == groups
    assert isinstance(restored[0], Group)


def test_item_list_empty() -> None:
    empty = ItemList[Group]([])

    assert len(empty) == 0
    assert list(empty) == []
