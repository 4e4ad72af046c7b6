"""Helpers for the contact file tests: writing small files and reading every row of them."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from rasl_prefect.importing import ContactRow, RejectedRow, open_contact_rows

DATA_DIR = Path(__file__).resolve().parents[1] / "data"


def read_rows(source: str | Path, **options: Any) -> list[ContactRow | RejectedRow]:
    """Read every row of a contact file with `open_contact_rows`."""
    with open_contact_rows(source, **options) as reader:
        return list(reader)


@pytest.fixture
def write_file(tmp_path: Path) -> Callable[..., Path]:
    """Return a function that writes text (encoded) or bytes to a new file and returns its path."""
    counter = iter(range(1_000_000))

    def write(content: str | bytes, encoding: str = "utf-8", suffix: str = ".csv") -> Path:
        path = tmp_path / f"contacts{next(counter)}{suffix}"
        data = content if isinstance(content, bytes) else content.encode(encoding)
        path.write_bytes(data)
        return path

    return write
