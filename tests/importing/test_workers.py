"""Phone validation in worker processes gives the same rows, in the same order, as one process."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

import rasl_prefect.importing.reader as reader_module
from rasl_prefect.importing import ContactFileError, open_contact_rows
from rasl_prefect.importing.summary import scan_contact_file
from tests.importing.conftest import read_rows

WriteFile = Callable[..., Path]


def build_export(rows: int) -> str:
    lines = ["First Name,Phone 1 - Label,Phone 1 - Value,Phone 2 - Label,Phone 2 - Value,Notes"]
    for index in range(rows):
        kind = index % 7
        if kind == 0:
            lines.append(f"N{index},Work,+966110000{index % 1000:03d},Mobile,+9665000{index:05d},")
        elif kind == 1:
            lines.append(f"N{index},Mobile,05{index % 100_000:08d},,,")
        elif kind == 2:
            lines.append(f'N{index},,+9665000{index % 50:05d},,,"multi\nline"')
        elif kind == 3:
            lines.append(f"N{index},,9.665E+11,,,")
        elif kind == 4:
            lines.append(f'"N{index}" x,,+9665000{index:05d},,,')
        elif kind == 5:
            lines.append(",,,,,")
        else:
            lines.append(f"N{index},,garbage{index},,,")
    return "\n".join(lines) + "\n"


@pytest.fixture
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    """Start workers after 10 rows and send batches of 7 rows, so a small file uses them."""
    monkeypatch.setattr(reader_module, "PARALLEL_AFTER_ROWS", 10)
    monkeypatch.setattr(reader_module, "_BATCH_ROWS", 7)


@pytest.mark.timeout(120)
@pytest.mark.usefixtures("small_batches")
def test_workers_match_single_process(write_file: WriteFile) -> None:
    path = write_file(build_export(700))

    single = read_rows(path, default_region="SA")
    parallel = read_rows(path, default_region="SA", workers=2)

    assert len(single) > 500
    assert parallel == single


@pytest.mark.timeout(120)
@pytest.mark.usefixtures("small_batches")
def test_workers_summary_counts(write_file: WriteFile) -> None:
    path = write_file(build_export(300))

    single = scan_contact_file(path, default_region="SA")
    parallel = scan_contact_file(path, default_region="SA", workers=2)

    assert parallel.accepted == single.accepted
    assert parallel.rejected == single.rejected
    assert parallel.consent == single.consent
    assert parallel.content_sha256 == single.content_sha256


@pytest.mark.timeout(120)
@pytest.mark.usefixtures("small_batches")
def test_workers_stop_early(write_file: WriteFile) -> None:
    path = write_file(build_export(300))

    with open_contact_rows(path, default_region="SA", workers=2) as reader:
        first = [item for _, item in zip(range(40), reader, strict=False)]

    assert len(first) == 40


@pytest.mark.timeout(120)
@pytest.mark.usefixtures("small_batches")
def test_workers_file_error(write_file: WriteFile) -> None:
    path = write_file(build_export(100) + '"unclosed,' + "x" * 2_000_000 + "\n")

    with open_contact_rows(path, default_region="SA", workers=2) as reader:
        with pytest.raises(ContactFileError, match="longer than"):
            list(reader)


def test_workers_argument_checked(write_file: WriteFile) -> None:
    path = write_file("Phone\n+966500000011\n")

    with pytest.raises(ValueError, match="workers must be 1 or more"):
        open_contact_rows(path, workers=0)
