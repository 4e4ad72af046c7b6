"""HTTP helpers of the sandbox conformance tests."""

from __future__ import annotations

from typing import Any

import httpx


def token_client(sandbox: Any, token: str) -> httpx.Client:
    """Return an httpx client on the sandbox base URL that sends `token` as a Bearer token."""
    return httpx.Client(
        base_url=sandbox.base_url, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
