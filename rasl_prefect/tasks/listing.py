"""The result model of list tasks that read every page."""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field

ItemT = TypeVar("ItemT", bound=BaseModel)


class ItemList(BaseModel, Generic[ItemT]):
    """Every object that a list endpoint returned, across all the pages read.

    Like `Page`, it keeps the objects in `items`, so code handles both results of a list task
    the same way.

    Attributes:
        items: The objects, in the order the server returned them.
    """

    items: list[ItemT] = Field(default_factory=list)

    def __reduce__(self) -> tuple[Any, ...]:
        # Plain pickle finds classes by name, and `ItemList[Contact]` made inside a function has
        # none, so the copy is rebuilt from its item type. Prefect itself uses cloudpickle.
        item_types = type(self).__pydantic_generic_metadata__["args"]
        return (_rebuild_item_list, (item_types, self.items))


def _rebuild_item_list(item_types: tuple[Any, ...], items: list[Any]) -> ItemList[Any]:
    if not item_types:
        return ItemList(items=items)
    parametrized: type[ItemList[Any]] = ItemList.__class_getitem__(item_types)  # type: ignore[assignment]
    return parametrized(items=items)
