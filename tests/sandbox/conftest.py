"""Fixtures of the sandbox conformance tests: plain httpx clients against the session sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest


@pytest.fixture
def api(sandbox: Any) -> Iterator[httpx.Client]:
    """Return a keep-alive httpx client on the sandbox base URL with the seeded token."""
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=10) as client:
        yield client
