"""Tasks inside real flow runs on the test Prefect server: send caching and task-level retries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prefect import flow

from rasl_prefect import RaslCredentials
from rasl_prefect.exceptions import RaslSendFailedError
from rasl_prefect.models import Page
from rasl_prefect.tasks import (
    get_account_info,
    list_authentication_templates,
    list_contacts,
    list_groups,
    list_messages,
    list_templates,
    send_template_message,
    send_text_message,
)
from rasl_prefect.tasks.listing import ItemList

PHONE = "+966500000011"


@pytest.fixture(autouse=True)
def no_run_logger() -> Iterator[None]:
    """Keep Prefect's run logger on: these tests run real flows."""
    yield


def outbound_texts(api: httpx.Client) -> list[str]:
    response = api.get("/messages", params={"per_page": 100, "filter[direction]": "outbound"})
    response.raise_for_status()
    return [message["message"] for message in response.json()["data"]]


def response_statuses(sandbox: Any) -> dict[str, int]:
    """Count the sandbox's responses by HTTP status since the test's reset."""
    return dict(sandbox.admin.stats()["statuses"])


def test_flow_retry_skips_done_send(
    prefect_server: str, credentials: RaslCredentials, api: httpx.Client
) -> None:
    attempts: list[int] = []

    @flow(retries=1, retry_delay_seconds=0)
    def send_then_fail_once() -> str | None:
        sent = send_text_message(credentials, phone=PHONE, message="Your order shipped.")
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("a later step failed on the first attempt")
        return sent.message_id

    message_id = send_then_fail_once()

    assert len(attempts) == 2
    assert message_id is not None
    assert outbound_texts(api) == ["Your order shipped."]


def test_same_send_twice_sends_once(
    prefect_server: str, credentials: RaslCredentials, api: httpx.Client
) -> None:
    @flow
    def send_duplicates() -> list[str | None]:
        first = send_text_message(credentials, phone=PHONE, message="Hello")
        second = send_text_message(credentials, phone=PHONE, message="Hello")
        third = send_text_message(credentials, phone=PHONE, message="Goodbye")
        return [first.message_id, second.message_id, third.message_id]

    message_ids = send_duplicates()

    assert message_ids[0] == message_ids[1]
    assert message_ids[2] != message_ids[0]
    assert sorted(outbound_texts(api)) == ["Goodbye", "Hello"]


def test_separate_flow_runs_both_send(
    prefect_server: str, credentials: RaslCredentials, api: httpx.Client
) -> None:
    @flow
    def daily_reminder() -> None:
        send_text_message(credentials, phone=PHONE, message="Reminder: pay your invoice.")

    daily_reminder()
    daily_reminder()

    assert outbound_texts(api) == ["Reminder: pay your invoice."] * 2


def test_read_task_retries_rate_limit(prefect_server: str, sandbox: Any) -> None:
    # A one-second window keeps the client's wait for the window reset short.
    token = sandbox.admin.create_token(name="one-second-window", window_seconds=1)["token"]
    credentials = RaslCredentials(api_token=token, base_url=sandbox.base_url, max_retries=0)
    sandbox.admin.set_faults(burst_429=1, paths=["/api/v2/account"])
    fast_retry = get_account_info.with_options(retry_delay_seconds=0)

    @flow
    def read_account() -> str | None:
        return fast_retry(credentials).status

    assert read_account() == "active"
    assert response_statuses(sandbox) == {"429": 1, "200": 1}


def test_send_task_never_retries_failure(
    prefect_server: str, sandbox: Any, credentials: RaslCredentials, api: httpx.Client
) -> None:
    sandbox.admin.set_faults(message_send_failed=1.0, paths=["/api/v2/messages/template"])
    # Even with retries added by a caller, a send the API may have attempted is not repeated.
    eager_send = send_template_message.with_options(retries=3, retry_delay_seconds=0)

    @flow
    def send_welcome() -> None:
        eager_send(
            credentials, phone=PHONE, template_name="welcome_offer", language="en", body=["Sara"]
        )

    with pytest.raises(RaslSendFailedError):
        send_welcome()

    assert response_statuses(sandbox) == {"500": 1}


def test_list_tasks_return_in_flow(prefect_server: str, credentials: RaslCredentials) -> None:
    list_tasks = [
        list_messages,
        list_authentication_templates,
        list_templates,
        list_contacts,
        list_groups,
    ]

    @flow
    def read_lists() -> list[Any]:
        send_text_message(credentials, phone=PHONE, message="Hello")
        every_page = [list_task(credentials) for list_task in list_tasks]
        first_pages = [list_task(credentials, page=1, per_page=1) for list_task in list_tasks]
        return every_page + first_pages

    results = read_lists()

    assert all(isinstance(result, ItemList) for result in results[:5])
    assert all(isinstance(result, Page) for result in results[5:])
    assert [len(result.items) for result in results[:2]] == [1, 1]
    assert len(results[3].items) == 1
