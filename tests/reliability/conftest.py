"""Fixtures of the reliability suite: the `--long` option, a private result storage and a
sandbox with one-second rate-limit windows.

Run the bigger variants by hand with `.venv/bin/pytest tests/reliability --long`. The option is
only known when pytest is given this folder (or a file in it) on the command line, because
pytest reads `pytest_addoption` only from the conftest files of the paths it starts from.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

LONG_OPTION = "--long"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        LONG_OPTION,
        action="store_true",
        default=False,
        help="Run the reliability tests at full size: 5,000 contacts under faults, 2,000 killed.",
    )


def long_run_requested(config: pytest.Config) -> bool:
    """Return True when pytest was started with `--long`."""
    try:
        return bool(config.getoption(LONG_OPTION))
    except ValueError:
        # The option is unknown when pytest was started from another folder.
        return False


@pytest.fixture(scope="session")
def long_run(pytestconfig: pytest.Config) -> bool:
    """True when the bigger variants run (`--long`)."""
    return long_run_requested(pytestconfig)


@pytest.fixture
def result_storage(prefect_server: str, tmp_path: Path) -> Iterator[Path]:
    """Point Prefect's default result storage, and so the send ledger, at a fresh folder."""
    from prefect.settings import PREFECT_LOCAL_STORAGE_PATH, temporary_settings

    storage = tmp_path / "prefect-results"
    storage.mkdir()
    with temporary_settings({PREFECT_LOCAL_STORAGE_PATH: storage}):
        yield storage


@pytest.fixture(scope="module")
def fast_window_sandbox() -> Iterator[Any]:
    """Start a sandbox whose rate-limit window lasts one second.

    A 429 burst then sets a one-second `Retry-After`, which the client honours, instead of the rest
    of a 60-second window, which would exceed the client's maximum wait.
    """
    from rasl_prefect.sandbox import run_sandbox

    with run_sandbox(rpm=1_000_000, window_seconds=1) as server:
        yield server
