"""Fixtures of the client tests: a fake clock, a recording mock API and clients wired to them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from client_fakes import FAKE_TOKEN, FakeClock, RecordingApi

from rasl_prefect.client import RaslClient


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def api() -> RecordingApi:
    return RecordingApi()


@pytest.fixture
def make_client(clock: FakeClock, api: RecordingApi) -> Iterator[Callable[..., RaslClient]]:
    clients: list[RaslClient] = []

    def build(**overrides: Any) -> RaslClient:
        settings: dict[str, Any] = {
            "base_url": "https://rasl.test/api/v2",
            "transport": api.transport(),
            "clock": clock,
            "requests_per_minute": None,
        }
        settings.update(overrides)
        client = RaslClient(FAKE_TOKEN, **settings)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., RaslClient]) -> RaslClient:
    return make_client()
