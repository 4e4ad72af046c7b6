"""Fixtures of the flow tests: a private result storage per test, sandbox credentials and an
HTTP client of the sandbox.

The folder has no `__init__.py` on purpose, because pytest would then import it as a package
named `flows`, which hides the project's `flows` package from the tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, temporary_settings

from rasl_prefect import RaslCredentials


@pytest.fixture
def result_storage(prefect_server: str, tmp_path: Path) -> Iterator[Path]:
    """Point Prefect's default result storage, and so the send ledger, at a fresh folder.

    Without it a campaign id derived from a file that another test imported finds that test's
    cached chunks and ledger records, although the sandbox was reset in between.
    """
    storage = tmp_path / "prefect-results"
    storage.mkdir()
    with temporary_settings({PREFECT_LOCAL_STORAGE_PATH: storage}):
        yield storage


@pytest.fixture
def credentials(sandbox: Any) -> RaslCredentials:
    """A credentials block of the sandbox's seeded token, paced far above what tests send."""
    return RaslCredentials(
        api_token=sandbox.token,
        base_url=sandbox.base_url,
        requests_per_minute=100_000,
        max_retry_wait_seconds=5,
    )


@pytest.fixture
def api(sandbox: Any) -> Iterator[httpx.Client]:
    """A plain httpx client of the sandbox API, to check the flow's effect without our client."""
    headers = {"Authorization": f"Bearer {sandbox.token}"}
    with httpx.Client(base_url=sandbox.base_url, headers=headers, timeout=30) as client:
        yield client
