"""Shared test fixtures: telemetry off, a private Prefect home and one Prefect test server."""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Iterator
from typing import Any

# Prefect sends telemetry unless it is turned off, so set this before importing Prefect.
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ["DO_NOT_TRACK"] = "1"
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="rasl-prefect-home-"))
os.environ.setdefault("PREFECT_LOGGING_TO_API_BATCH_INTERVAL", "0.3")

import pytest  # noqa: E402


@pytest.fixture(scope="session")
def prefect_server() -> Iterator[str]:
    """Start one temporary Prefect server for the session and return its API URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())


@pytest.fixture(scope="session")
def sandbox_server() -> Iterator[Any]:
    """Start one RASL sandbox for the session on a free loopback port and return its handle.

    The seeded token allows 100,000 requests per 60-second window, so ordinary tests are never
    rate limited; tests of rate limiting create their own token with `admin.create_token(rpm=...)`.
    """
    from rasl_prefect.sandbox import run_sandbox

    with run_sandbox(rpm=100_000, window_seconds=60) as server:
        yield server


@pytest.fixture
def sandbox(sandbox_server: Any) -> Any:
    """Return the session sandbox with its state reset (seed data, no faults, zeroed stats).

    The handle has `base_url` (ending in `/api/v2`), `token` (every scope) and `admin`.
    """
    sandbox_server.admin.reset()
    return sandbox_server


@pytest.fixture
def child_processes() -> Iterator[list[subprocess.Popen[bytes]]]:
    """Collect the subprocesses a test starts and kill any still running when it ends."""
    processes: list[subprocess.Popen[bytes]] = []
    yield processes
    for process in processes:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=30)
