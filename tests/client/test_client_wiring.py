"""Client wiring: the List Messages fallback, credentials, the cache and Prefect concurrency."""

from __future__ import annotations

import pickle
from collections.abc import Callable

import httpx
import pytest
from client_fakes import FAKE_TOKEN, RecordingApi, envelope

from rasl_prefect.client import RaslClient, clear_client_cache, get_cached_client
from rasl_prefect.client.slots import block_size_for
from rasl_prefect.credentials import RaslCredentials
from rasl_prefect.exceptions import RaslConfigurationError, RaslNotFoundError


def messages_api(working_path: str) -> RecordingApi:
    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == f"/api/v2{working_path}":
            return httpx.Response(200, json=envelope([{"id": 1, "type": "text"}]))
        return httpx.Response(404, json={"error": {"code": "NOT_FOUND", "message": "Not found"}})

    return RecordingApi(handle)


def test_list_messages_primary_path(make_client: Callable[..., RaslClient]) -> None:
    api = messages_api("/messages")
    client = make_client(transport=api.transport())

    client.list_messages()
    client.list_messages()

    assert [request.url.path for request in api.requests] == ["/api/v2/messages"] * 2


def test_list_messages_falls_back_once(make_client: Callable[..., RaslClient]) -> None:
    api = messages_api("/messages/messages")
    client = make_client(transport=api.transport())

    first = client.list_messages()
    client.list_messages(page=2)

    assert first.items[0].id == 1
    assert [request.url.path for request in api.requests] == [
        "/api/v2/messages",
        "/api/v2/messages/messages",
        "/api/v2/messages/messages",
    ]


def test_fallback_remembered_per_client(make_client: Callable[..., RaslClient]) -> None:
    api = messages_api("/messages/messages")
    make_client(transport=api.transport()).list_messages()
    other = make_client(transport=api.transport())

    other.list_messages()

    assert api.requests[2].url.path == "/api/v2/messages"


def test_fallback_both_missing_raises(make_client: Callable[..., RaslClient]) -> None:
    api = messages_api("/nowhere")
    client = make_client(transport=api.transport())

    with pytest.raises(RaslNotFoundError):
        client.list_messages()

    assert len(api.requests) == 2


def test_iter_messages_uses_fallback(make_client: Callable[..., RaslClient]) -> None:
    api = messages_api("/messages/messages")
    client = make_client(transport=api.transport())

    messages = list(client.iter_messages())

    assert [message.id for message in messages] == [1]


def credentials(**overrides: object) -> RaslCredentials:
    values: dict[str, object] = {"api_token": FAKE_TOKEN, "base_url": "https://rasl.test/api/v2"}
    values.update(overrides)
    return RaslCredentials(**values)  # type: ignore[arg-type]


def test_from_credentials_settings() -> None:
    block = credentials(
        auth_header="x-api-key", requests_per_minute=120, max_retries=2, max_retry_wait_seconds=9
    )

    with RaslClient.from_credentials(block) as client:
        assert client.base_url == "https://rasl.test/api/v2"
        assert client.auth_header == "x-api-key"
        assert client.requests_per_minute == 120
        assert client.retry_policy.max_retries == 2
        assert client.retry_policy.max_total_wait == 9


def test_from_credentials_sends_token() -> None:
    api = RecordingApi()
    block = credentials(auth_header="x-api-key")

    with block.get_client(transport=api.transport()) as client:
        client.get_account_info()

    assert api.last.headers["x-api-key"] == FAKE_TOKEN


def test_cache_reuses_client() -> None:
    clear_client_cache()
    try:
        first = get_cached_client(credentials())
        second = get_cached_client(credentials())

        assert first is second
    finally:
        clear_client_cache()


def test_cache_keys_on_token_and_settings() -> None:
    clear_client_cache()
    try:
        base = get_cached_client(credentials())
        other_token = get_cached_client(credentials(api_token="another-token-value"))
        other_rate = get_cached_client(credentials(requests_per_minute=30))

        assert base is not other_token
        assert base is not other_rate
    finally:
        clear_client_cache()


def test_cache_replaces_closed_client() -> None:
    clear_client_cache()
    try:
        first = get_cached_client(credentials())
        first.close()

        assert get_cached_client(credentials()) is not first
    finally:
        clear_client_cache()


def test_block_holds_no_client() -> None:
    clear_client_cache()
    try:
        block = credentials()
        block.get_client()

        restored = pickle.loads(pickle.dumps(block))

        assert restored.api_token.get_secret_value() == FAKE_TOKEN
        assert not any(isinstance(value, RaslClient) for value in vars(block).values())
    finally:
        clear_client_cache()


def test_client_not_picklable(client: RaslClient) -> None:
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(client)


def test_concurrency_slot_taken_strictly(
    make_client: Callable[..., RaslClient], api: RecordingApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, int, bool]] = []
    monkeypatch.setattr("rasl_prefect.client.slots.read_limit", lambda name: 5)
    monkeypatch.setattr(
        "prefect.concurrency.sync.rate_limit",
        lambda name, occupy=1, strict=False: calls.append((name, occupy, strict)),
    )
    client = make_client(concurrency_limit_name="rasl-acme")
    api.queue(httpx.Response(429, headers={"Retry-After": "1"}))

    client.get_account_info()

    assert calls == [("rasl-acme", 1, True), ("rasl-acme", 1, True)]


def test_concurrency_slots_taken_in_blocks(
    make_client: Callable[..., RaslClient], api: RecordingApi, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[int] = []
    monkeypatch.setattr("rasl_prefect.client.slots.read_limit", lambda name: 50)
    monkeypatch.setattr(
        "prefect.concurrency.sync.rate_limit",
        lambda name, occupy=1, strict=False: calls.append(occupy),
    )
    client = make_client(concurrency_limit_name="rasl-acme")

    for _ in range(7):
        client.get_account_info()

    assert calls == [5, 5]
    assert len(api.requests) == 7


def test_empty_limit_name_paces_alone(
    make_client: Callable[..., RaslClient], api: RecordingApi
) -> None:
    client = make_client(concurrency_limit_name="")

    client.get_account_info()

    assert client.concurrency_limit_name is None
    assert client._slots is None
    assert not client._pacer.state.shared


@pytest.mark.parametrize(
    ("limit", "expected"),
    [(1, 1), (2, 1), (19, 1), (20, 2), (100, 10), (250, 20), (5000, 20)],
)
def test_slot_block_size(limit: int, expected: int) -> None:
    assert block_size_for(limit) == expected


def test_missing_concurrency_limit_raises(
    prefect_server: str, make_client: Callable[..., RaslClient], api: RecordingApi
) -> None:
    client = make_client(concurrency_limit_name="rasl-limit-that-does-not-exist")

    with pytest.raises(RaslConfigurationError, match="prefect gcl create rasl-limit-that"):
        client.get_account_info()

    assert api.requests == []


def test_concurrency_limit_paces_requests(
    prefect_server: str, make_client: Callable[..., RaslClient], api: RecordingApi
) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as prefect_client:
        prefect_client.upsert_global_concurrency_limit_by_name(
            "rasl-client-test", limit=5, slot_decay_per_second=5.0
        )
    client = make_client(concurrency_limit_name="rasl-client-test")

    for _ in range(3):
        client.get_account_info()

    assert len(api.requests) == 3


def test_concurrency_limit_slots_held_in_a_block(
    prefect_server: str, make_client: Callable[..., RaslClient], api: RecordingApi
) -> None:
    from prefect.client.orchestration import get_client

    with get_client(sync_client=True) as prefect_client:
        prefect_client.upsert_global_concurrency_limit_by_name(
            "rasl-client-block-test", limit=100, slot_decay_per_second=0.01
        )
    client = make_client(concurrency_limit_name="rasl-client-block-test")

    for _ in range(3):
        client.get_account_info()

    with get_client(sync_client=True) as prefect_client:
        limit = prefect_client.read_global_concurrency_limit_by_name("rasl-client-block-test")
    assert len(api.requests) == 3
    assert limit.active_slots == 10
