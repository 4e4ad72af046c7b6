"""The ItemList result of list tasks that read every page."""

from __future__ import annotations

import pickle

from prefect.utilities.collections import visit_collection

from rasl_prefect.models import Group
from rasl_prefect.tasks import ItemList


def make_groups() -> ItemList[Group]:
    return ItemList[Group](items=[Group(id=1, name="VIP"), Group(id=2, name="عملاء")])


def test_item_list_holds_items() -> None:
    groups = make_groups()

    assert [group.id for group in groups.items] == [1, 2]
    assert groups.items[1].name == "عملاء"


def test_item_list_dumps_items() -> None:
    dumped = make_groups().model_dump(mode="json", exclude_none=True)

    assert dumped == {"items": [{"id": 1, "name": "VIP"}, {"id": 2, "name": "عملاء"}]}


def test_item_list_survives_pickle() -> None:
    groups = make_groups()

    restored = pickle.loads(pickle.dumps(groups))

    assert type(restored) is type(groups)
    assert restored == groups
    assert isinstance(restored.items[0], Group)


def test_item_list_survives_prefect_visit() -> None:
    # Prefect walks every task result with visit_collection to link it to the task run.
    groups = make_groups()

    visited = visit_collection(groups, visit_fn=lambda value: value, return_data=True)

    assert visited == groups


def test_item_list_empty() -> None:
    assert ItemList[Group]().items == []
