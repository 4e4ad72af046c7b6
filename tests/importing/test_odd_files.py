"""Odd and hostile files: each gives a clear error or clear rejections, never a crash or hang."""

from __future__ import annotations

import os
import random
from collections.abc import Callable
from pathlib import Path

import phonenumbers
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rasl_prefect.importing import (
    ContactFileError,
    ContactRow,
    RejectedRow,
    open_contact_rows,
)
from tests.importing.conftest import read_rows

WriteFile = Callable[..., Path]


def test_empty_file(write_file: WriteFile) -> None:
    path = write_file(b"")

    with pytest.raises(ContactFileError, match="contact file is empty"):
        open_contact_rows(path)


def test_blank_lines_only(write_file: WriteFile) -> None:
    path = write_file("\n\r\n\n")

    with pytest.raises(ContactFileError, match="no header row"):
        open_contact_rows(path)


def test_header_only(write_file: WriteFile) -> None:
    path = write_file("Name,Phone\n")

    assert read_rows(path) == []


def test_binary_garbage(write_file: WriteFile) -> None:
    path = write_file(random.Random(1).randbytes(200_000))

    with pytest.raises(ContactFileError):
        read_rows(path)


def test_nul_bytes(write_file: WriteFile) -> None:
    path = write_file(b"Name,Phone\nSa\x00ra,+966500000011\n")

    rows = read_rows(path)

    assert len(rows) == 1
    row = rows[0]
    assert isinstance(row, ContactRow)
    assert row.firstname == "Sa\x00ra"


def test_mostly_nul_bytes(write_file: WriteFile) -> None:
    path = write_file(b"\x00" * 10_000)

    with pytest.raises(ContactFileError, match="NUL bytes"):
        open_contact_rows(path)


@pytest.mark.timeout(60)
def test_ten_megabyte_cell(write_file: WriteFile) -> None:
    path = write_file("Name,Phone\n" + "x" * 10_000_000 + ",+966500000011\n")

    with open_contact_rows(path) as reader, pytest.raises(ContactFileError) as caught:
        list(reader)

    assert "line 2" in str(caught.value)
    assert "longer than" in str(caught.value)


@pytest.mark.timeout(60)
def test_ten_megabyte_header(write_file: WriteFile) -> None:
    path = write_file("Phone," + "x" * 10_000_000 + "\n+966500000011,a\n")

    with pytest.raises(ContactFileError, match="longer than"):
        open_contact_rows(path)


@pytest.mark.timeout(60)
def test_unclosed_quote_large_file(write_file: WriteFile) -> None:
    rows = "".join(f"Name{index},+9665000{index % 100000:05d}\n" for index in range(100_000))
    path = write_file('Name,Phone\n"Sara,+966500000011\n' + rows)

    with open_contact_rows(path) as reader, pytest.raises(ContactFileError) as caught:
        list(reader)

    assert "row starting on line 2" in str(caught.value)
    assert "unclosed quote" in str(caught.value)


@pytest.mark.timeout(60)
def test_ten_thousand_columns(write_file: WriteFile) -> None:
    headers = ["Phone"] + [f"Column {index}" for index in range(9_999)]
    values = ["+966500000011"] + ["v"] * 9_999
    path = write_file(",".join(headers) + "\n" + ",".join(values) + "\n")

    with open_contact_rows(path) as reader:
        assert len(reader.columns.headers) == 10_000
        rows = list(reader)

    assert [row.phone for row in rows if isinstance(row, ContactRow)] == ["+966500000011"]


@pytest.mark.timeout(60)
def test_ten_thousand_columns_no_phone(write_file: WriteFile) -> None:
    headers = [f"Column {index}" for index in range(10_000)]
    path = write_file(",".join(headers) + "\n")

    with pytest.raises(ContactFileError) as caught:
        open_contact_rows(path)

    message = str(caught.value)
    assert "no phone column" in message
    assert "(9975 more)" in message
    assert len(message) < 2_000


def test_phone_cell_huge_number_list(write_file: WriteFile) -> None:
    cell = " ::: ".join(f"+9665000{index:05d}" for index in range(1_000))
    path = write_file(f'Name,Phone\nSara,"{cell}"\n')

    rows = read_rows(path)

    row = rows[0]
    assert isinstance(row, ContactRow)
    assert row.phone == "+966500000000"
    assert row.notes == ("999 other numbers ignored",)


def _check_outcome(item: ContactRow | RejectedRow) -> None:
    assert item.line >= 2
    if isinstance(item, RejectedRow):
        assert item.reason
        assert item.code is not None
        return
    assert item.phone.startswith("+")
    assert item.phone[1:].isascii()
    assert item.phone[1:].isdigit()
    assert 7 <= len(item.phone[1:]) <= 15
    assert phonenumbers.is_valid_number(phonenumbers.parse(item.phone))


def _read_any(path: Path) -> None:
    try:
        with open_contact_rows(path, default_region="SA") as reader:
            for item in reader:
                _check_outcome(item)
    except ContactFileError as error:
        assert str(error)


@pytest.mark.timeout(120)
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.binary(max_size=3_000))
def test_any_bytes(write_file: WriteFile, data: bytes) -> None:
    _read_any(write_file(data))


@pytest.mark.timeout(120)
@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    body=st.lists(
        st.lists(
            st.one_of(
                st.text(max_size=20),
                st.sampled_from(
                    ["+966500000011", "'+971500000021", "0550000144", "9.665E+11", '"', "\r", ""]
                ),
            ),
            max_size=5,
        ),
        max_size=20,
    ),
    delimiter=st.sampled_from([",", ";", "\t"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1256"]),
)
def test_any_rows(
    write_file: WriteFile, body: list[list[str]], delimiter: str, encoding: str
) -> None:
    lines = [delimiter.join(["Name", "Phone", "Email"])]
    lines += [delimiter.join(cells) for cells in body]
    text = "\n".join(lines)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        data = text.encode("utf-8")
    _read_any(write_file(data))


@pytest.mark.timeout(120)
@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(prefix=st.binary(max_size=200), noise=st.binary(max_size=200))
def test_any_bytes_after_header(write_file: WriteFile, prefix: bytes, noise: bytes) -> None:
    _read_any(write_file(b"Name,Phone\n" + prefix + b",+966500000011\n" + noise))


def test_random_file_sizes(write_file: WriteFile) -> None:
    generator = random.Random(5)
    for size in (1, 2, 3, 65_535, 65_536, 65_537, 131_073):
        _read_any(write_file(b"Phone\n" + generator.randbytes(size)))
    assert os.path.exists(write_file(b"x"))
