"""List pages and the `iter_*` walkers, whatever pagination metadata the server sends."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx
import pytest
from client_fakes import RecordingApi, envelope

from rasl_prefect.client import RaslClient
from rasl_prefect.exceptions import RaslValidationError
from rasl_prefect.models import Contact, ContactFilter, Page

TOTAL = 7


def contacts(page: int, per_page: int) -> list[dict[str, Any]]:
    first = (page - 1) * per_page + 1
    return [{"id": number} for number in range(first, min(first + per_page, TOTAL + 1))]


def paged_api(style: str) -> Callable[[httpx.Request], httpx.Response]:
    """A contacts endpoint of 7 contacts that describes its pages in one metadata style."""

    def handle(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        per_page = int(request.url.params["per_page"])
        items = contacts(page, per_page)
        last_page = -(-TOTAL // per_page)
        next_url = (
            f"https://rasl.test/api/v2/contacts?page={page + 1}" if page < last_page else None
        )
        pagination = {"current_page": page, "last_page": last_page, "total": TOTAL}
        if style == "meta":
            body = envelope(items)
            body["meta"].update(pagination)
        elif style == "meta_pagination":
            body = envelope(items)
            body["meta"]["pagination"] = pagination
        elif style == "links":
            body = envelope(items, links={"next": next_url, "prev": None})
        elif style == "total_only":
            body = envelope(items)
            body["meta"]["total"] = TOTAL
        elif style == "nested_paginator":
            body = envelope({"data": items, "next_page_url": next_url, "per_page": per_page})
        elif style == "none":
            body = envelope(items)
        else:
            raise AssertionError(style)
        return httpx.Response(200, json=body)

    return handle


@pytest.mark.parametrize(
    "style", ["meta", "meta_pagination", "links", "total_only", "nested_paginator", "none"]
)
def test_iter_walks_every_style(style: str, make_client: Callable[..., RaslClient]) -> None:
    api = RecordingApi(paged_api(style))
    client = make_client(transport=api.transport())

    ids = [contact.id for contact in client.iter_contacts(per_page=3)]

    assert ids == list(range(1, TOTAL + 1))
    assert len(api.requests) == 3


def test_iter_stops_on_empty_page(make_client: Callable[..., RaslClient]) -> None:
    api = RecordingApi(paged_api("none"))
    client = make_client(transport=api.transport())

    ids = [contact.id for contact in client.iter_contacts(per_page=7)]

    assert ids == list(range(1, 8))
    assert len(api.requests) == 2
    assert api.requests[1].url.params["page"] == "2"


def test_iter_stops_when_page_ignored(make_client: Callable[..., RaslClient]) -> None:
    api = RecordingApi(lambda request: httpx.Response(200, json=envelope([{"id": 1}, {"id": 2}])))
    client = make_client(transport=api.transport())

    ids = [contact.id for contact in client.iter_contacts(per_page=2)]

    assert ids == [1, 2]
    assert len(api.requests) == 2


def test_iter_default_page_size(make_client: Callable[..., RaslClient]) -> None:
    api = RecordingApi(paged_api("meta"))
    client = make_client(transport=api.transport())

    list(client.iter_groups())

    assert api.requests[0].url.params["per_page"] == "100"


def test_iter_passes_filters(make_client: Callable[..., RaslClient]) -> None:
    api = RecordingApi(paged_api("meta"))
    client = make_client(transport=api.transport())

    list(client.iter_contacts(filter=ContactFilter(type="lead", group_id={"in": [1, 2]})))

    assert api.requests[0].url.params["filter[type]"] == "lead"
    assert api.requests[0].url.params["filter[group_id][in]"] == "1,2"


def test_page_metadata_read(client: RaslClient, api: RecordingApi) -> None:
    body = envelope([{"id": 1}])
    body["meta"]["pagination"] = {"current_page": 2, "last_page": 5, "total": 61}
    api.queue(httpx.Response(200, json=body))

    page = client.list_contacts(page=2)

    assert isinstance(page, Page)
    assert isinstance(page.items[0], Contact)
    assert page.current_page == 2
    assert page.last_page == 5
    assert page.total == 61
    assert page.has_next_page() is True


def test_links_without_next_is_last() -> None:
    page = Page[Contact](items=[Contact(id=1)] * 15, links_present=True, next_url=None)

    assert page.has_next_page() is False


def test_full_page_without_metadata_continues() -> None:
    page = Page[Contact](items=[Contact(id=1)] * 15, per_page=15)

    assert page.has_next_page() is True


@pytest.mark.parametrize("per_page", [0, 101])
def test_per_page_outside_limits(client: RaslClient, api: RecordingApi, per_page: int) -> None:
    with pytest.raises(RaslValidationError) as caught:
        client.list_contacts(per_page=per_page)

    assert "per_page" in caught.value.field_errors
    assert api.requests == []


def test_unknown_filter_operator(client: RaslClient, api: RecordingApi) -> None:
    with pytest.raises(RaslValidationError) as caught:
        client.list_contacts(filter={"created_at": {"after": "2026-01-01"}})

    assert "after" in str(caught.value)
    assert api.requests == []


def test_filter_values_formatted(client: RaslClient, api: RecordingApi) -> None:
    from datetime import date

    client.list_contacts(
        filter={
            "created_at": {"between": [date(2026, 1, 1), date(2026, 2, 1)]},
            "assigned_id": {"null": True},
        }
    )

    params = api.last.url.params
    assert params["filter[created_at][between]"] == "2026-01-01,2026-02-01"
    assert params["filter[assigned_id][null]"] == "true"
