"""Fixtures of the task tests: sandbox credentials and a plain HTTP client to read results back."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prefect.logging import disable_run_logger

from rasl_prefect import RaslCredentials


@pytest.fixture(autouse=True)
def no_run_logger() -> Iterator[None]:
    """Let `task.fn(...)` run outside a flow, where Prefect has no run logger."""
    with disable_run_logger():
        yield


@pytest.fixture
def credentials(sandbox: Any) -> RaslCredentials:
    """A credentials block holding the sandbox's seeded full-scope token."""
    return RaslCredentials(api_token=sandbox.token, base_url=sandbox.base_url, max_retries=0)


@pytest.fixture
def api(sandbox: Any) -> Iterator[httpx.Client]:
    """A plain httpx client of the sandbox API, to check a task's effect without our client."""
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=10) as client:
        yield client
