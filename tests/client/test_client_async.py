"""The asynchronous client where its behaviour differs from the synchronous one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
from client_fakes import (
    FAKE_TOKEN,
    AsyncFakeClock,
    AsyncScaledClock,
    RecordingApi,
    WindowedApi,
    envelope,
    limit_share,
    multipart_fields,
)

from rasl_prefect.client import AsyncRaslClient
from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.exceptions import RaslOutcomeUnknownError, RaslRateLimitError

PHONE = "+966500000011"
ResultT = TypeVar("ResultT")


def run_with_client(
    api: RecordingApi,
    use: Callable[[AsyncRaslClient], Awaitable[ResultT]],
    clock: AsyncFakeClock | None = None,
    **settings: Any,
) -> ResultT:
    async def main() -> ResultT:
        async with AsyncRaslClient(
            FAKE_TOKEN,
            base_url="https://rasl.test/api/v2",
            transport=api.async_transport(),
            clock=clock or AsyncFakeClock(),
            requests_per_minute=None,
            **settings,
        ) as client:
            return await use(client)

    return asyncio.run(main())


def test_async_send_and_parse() -> None:
    api = RecordingApi().queue(
        httpx.Response(201, json=envelope({"message_id": "wamid.X"}, request_id="req-a"))
    )

    sent = run_with_client(api, lambda c: c.send_text_message(phone=PHONE, message="مرحبا"))

    assert sent.message_id == "wamid.X"
    assert sent.request_id == "req-a"
    assert api.last.headers["authorization"] == f"Bearer {FAKE_TOKEN}"


def test_async_delete_with_body() -> None:
    api = RecordingApi()

    run_with_client(api, lambda c: c.remove_contacts_from_group(5, [1, 2]))

    assert api.last.method == "DELETE"
    assert api.last_json() == {"contact_ids": [1, 2]}


def test_async_media_upload(tmp_path: Path) -> None:
    voice = tmp_path / "note.ogg"
    voice.write_bytes(b"OggS voice")
    api = RecordingApi()

    run_with_client(
        api, lambda c: c.send_media_message(phone=PHONE, media_type="audio", media_file=voice)
    )

    assert multipart_fields(api.last)["media_file"] == "<file note.ogg>"
    assert b"OggS voice" in api.last.content


def test_async_429_waits_on_clock() -> None:
    clock = AsyncFakeClock()
    api = RecordingApi().queue(
        httpx.Response(429, headers={"Retry-After": "4"}), httpx.Response(200, json=envelope({}))
    )

    async def use(client: AsyncRaslClient) -> None:
        client.retry_policy.random_fraction = lambda: 0.0
        await client.get_account_info()

    run_with_client(api, use, clock=clock)

    assert clock.sleeps == [4.0]


def test_async_wait_cap_raises() -> None:
    api = RecordingApi().queue(httpx.Response(429, headers={"Retry-After": "50"}))

    with pytest.raises(RaslRateLimitError) as caught:
        run_with_client(api, lambda c: c.get_account_info(), max_retry_wait_seconds=10)

    assert caught.value.retry_after is not None
    assert caught.value.retry_after >= 50


def test_async_ambiguous_send_not_retried() -> None:
    api = RecordingApi().queue(httpx.ReadTimeout("slow"), httpx.Response(200, json=envelope({})))

    with pytest.raises(RaslOutcomeUnknownError):
        run_with_client(api, lambda c: c.send_otp(phone=PHONE, template_name="t", code="1"))

    assert len(api.requests) == 1


def test_async_get_retried_on_timeout() -> None:
    api = RecordingApi().queue(
        httpx.ReadTimeout("slow"), httpx.Response(200, json=envelope({"id": 3}))
    )

    account = run_with_client(api, lambda c: c.get_account_info())

    assert account.id == 3
    assert len(api.requests) == 2


def test_async_iter_pages() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        page = int(request.url.params["page"])
        body = envelope([{"id": page * 10}, {"id": page * 10 + 1}])
        body["meta"].update({"current_page": page, "last_page": 3})
        return httpx.Response(200, json=body)

    api = RecordingApi(handle)

    async def collect(client: AsyncRaslClient) -> list[int | None]:
        return [group.id async for group in client.iter_groups(per_page=2)]

    ids = run_with_client(api, collect)

    assert ids == [10, 11, 20, 21, 30, 31]


def test_async_list_messages_fallback() -> None:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v2/messages/messages":
            return httpx.Response(200, json=envelope([{"id": 1}]))
        return httpx.Response(404)

    api = RecordingApi(handle)

    async def list_twice(client: AsyncRaslClient) -> None:
        await client.list_messages()
        await client.list_messages()

    run_with_client(api, list_twice)

    assert [request.url.path for request in api.requests] == [
        "/api/v2/messages",
        "/api/v2/messages/messages",
        "/api/v2/messages/messages",
    ]


def test_async_tasks_share_limit() -> None:
    # Real asyncio tasks on a clock 100 times faster: 5 one-minute windows take about 3 s.
    clock = AsyncScaledClock(speed=100)
    server = WindowedApi(clock, limit=50)  # type: ignore[arg-type]

    async def main() -> None:
        async with AsyncRaslClient(
            "pacing-token",
            transport=httpx.MockTransport(server),
            clock=clock,
            requests_per_minute=50,
            max_retries=0,
        ) as client:

            async def send_batch() -> None:
                for _ in range(25):
                    await client.send_text_message(phone=PHONE, message="hi")

            await asyncio.gather(*(send_batch() for _ in range(10)))

    asyncio.run(main())

    assert server.rejected == 0
    assert len(server.accepted_at) == 250
    # Loose because the 100-fold clock multiplies scheduling delays on a busy machine.
    assert limit_share(server) >= 0.8


def test_async_concurrency_slot_awaited(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, int, bool]] = []

    async def fake_rate_limit(name: str, occupy: int = 1, strict: bool = False) -> None:
        calls.append((name, occupy, strict))

    async def fake_read_limit(name: str) -> int:
        return 30

    monkeypatch.setattr("prefect.concurrency.asyncio.rate_limit", fake_rate_limit)
    monkeypatch.setattr("rasl_prefect.client.slots.read_limit_async", fake_read_limit)
    api = RecordingApi()

    run_with_client(api, lambda c: c.get_plan_limits(), concurrency_limit_name="rasl-acme")

    assert calls == [("rasl-acme", 3, True)]


def test_async_from_credentials() -> None:
    api = RecordingApi()
    block = RaslCredentials(api_token=FAKE_TOKEN, base_url="https://rasl.test/api/v2")

    async def main() -> None:
        async with block.get_async_client(transport=api.async_transport()) as client:
            await client.get_usage_statistics()

    asyncio.run(main())

    assert str(api.last.url) == "https://rasl.test/api/v2/account/usage"
