"""Shared test fixtures: telemetry off, a private Prefect home and one Prefect test server."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator

# Prefect's server and client send telemetry unless told not to; set before Prefect is imported.
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
