"""One page of a list endpoint, with whatever pagination metadata the server sent."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field

ItemT = TypeVar("ItemT", bound=BaseModel)

MAX_PER_PAGE = 100
"""The largest `per_page` the list endpoints accept."""


class Page(BaseModel, Generic[ItemT]):
    """One page of results from a list endpoint.

    The layout of the pagination metadata is undocumented, so every field except `items` may
    be None. `has_next_page` decides from what did arrive.

    Attributes:
        items: The objects on this page.
        page: The page number that was requested.
        per_page: The page size that was requested.
        current_page: The server's current page number, when it sent one.
        last_page: The server's last page number, when it sent one.
        total: The total number of objects across all pages, when the server sent it.
        next_url: The `links.next` URL, when the server sent one.
        links_present: True when the server sent a `links` object, so a missing `next`
            means this is the last page.
        request_id: The `meta.request_id` of the response.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    items: list[ItemT] = Field(default_factory=list)
    page: int = 1
    per_page: int = 15
    current_page: int | None = None
    last_page: int | None = None
    total: int | None = None
    next_url: str | None = None
    links_present: bool = False
    request_id: str | None = None

    def has_next_page(self) -> bool:
        """Decide whether another page follows, from the metadata that arrived.

        Returns:
            False on an empty page. Otherwise the result comes from `last_page`, `links.next`
            or `total`, in that order, and with no metadata at all it is True only for a full page.
        """
        if not self.items:
            return False

        current = self.current_page or self.page
        if self.last_page is not None:
            return current < self.last_page
        if self.links_present:
            return bool(self.next_url)
        if self.total is not None:
            return current * self.per_page < self.total
        return len(self.items) >= self.per_page


def read_pagination(body: Mapping[str, Any]) -> dict[str, Any]:
    """Collect Laravel-style pagination fields from a response body, wherever they sit.

    Looks in `meta`, `meta.pagination`, the body itself, and `data` when `data` is an object
    (a nested paginator).

    Args:
        body: The decoded JSON response.

    Returns:
        The keyword arguments `current_page`, `last_page`, `total`, `next_url` and
        `links_present` that were found.
    """
    found: dict[str, Any] = {}
    containers: list[Mapping[str, Any]] = []
    data = body.get("data")
    for candidate in (body, data if isinstance(data, Mapping) else None):
        if candidate is None:
            continue
        meta = candidate.get("meta")
        if isinstance(meta, Mapping):
            pagination = meta.get("pagination")
            if isinstance(pagination, Mapping):
                containers.append(pagination)
            containers.append(meta)
        containers.append(candidate)

    for container in containers:
        for key in ("current_page", "last_page", "total"):
            if key not in found and isinstance(container.get(key), int):
                found[key] = container[key]
        if "links_present" in found:
            continue
        links = container.get("links")
        if isinstance(links, Mapping):
            next_link = links.get("next")
        elif "next_page_url" in container:
            # A bare Laravel paginator puts the link beside the items, and `links` is a list.
            next_link = container.get("next_page_url")
        else:
            continue
        found["links_present"] = True
        found["next_url"] = next_link if isinstance(next_link, str) and next_link else None
    return found


def read_page_items(body: Mapping[str, Any]) -> list[Any]:
    """Return the raw list of objects from a list response.

    Accepts `data` as a list, or as an object holding `data` or `items` (a nested paginator).

    Args:
        body: The decoded JSON response.

    Returns:
        The raw objects, or an empty list when none are found.
    """
    data = body.get("data", body)
    if isinstance(data, list):
        return data
    if isinstance(data, Mapping):
        for key in ("data", "items"):
            nested = data.get(key)
            if isinstance(nested, list):
                return nested
    return []
