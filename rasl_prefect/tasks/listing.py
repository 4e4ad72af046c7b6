"""The result model of list tasks that read every page."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, RootModel

ItemT = TypeVar("ItemT", bound=BaseModel)


class ItemList(RootModel[list[ItemT]], Generic[ItemT]):
    """Every object that a list endpoint returned, across all the pages read.

    It works as a read-only list (`len`, iteration, indexing) and, like `Page`, exposes the
    objects as `items`, so code handles both results of a list task the same way.
    """

    def __iter__(self) -> Iterator[ItemT]:  # type: ignore[override]
        return iter(self.root)

    def __len__(self) -> int:
        return len(self.root)

    def __getitem__(self, index: int) -> ItemT:
        return self.root[index]

    @property
    def items(self) -> list[ItemT]:
        """The objects, in the order the server returned them."""
        return self.root

    def __reduce__(self) -> tuple[Any, ...]:
        # Plain pickle finds classes by name, and `ItemList[Contact]` made inside a function has
        # none, so the copy is rebuilt from its item type. Prefect itself uses cloudpickle.
        item_types = type(self).__pydantic_generic_metadata__["args"]
        return (_rebuild_item_list, (item_types, self.root))


def _rebuild_item_list(item_types: tuple[Any, ...], items: list[Any]) -> ItemList[Any]:
    if not item_types:
        return ItemList(items)
    parametrized: type[ItemList[Any]] = ItemList.__class_getitem__(item_types)  # type: ignore[assignment]
    return parametrized(items)
